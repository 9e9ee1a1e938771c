"""Streamlit glue of the GAUSS Studio dashboard: cached resources, session state, the 3D viewer.

Only the dashboard imports this package (it imports streamlit); all computation lives in gauss_core.
"""
