"""GAUSS Studio core library: GAUSS-II ligand VAE for Dy(III) single-molecule magnets.

Data flows one way through the subpackages (see docs/ARCHITECTURE.md):
ligands -> proxies -> model -> train -> latent -> sampling -> complexes -> kd -> jobs.
This package never imports streamlit.
"""

__version__ = "0.1.0"
