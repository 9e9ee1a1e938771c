"""Errors of the proxy-labelling stage (subclasses of GaussError: each message names problem and fix)."""

from __future__ import annotations

from gauss_core.errors import GaussError


class LabellingError(GaussError):
    """A ligand that could not be labelled; batch runs record the message as the row's error."""


class StructureError(LabellingError):
    """No usable 3D structure (embedding or force field failed)."""


class XtbError(LabellingError):
    """xtb failed, did not converge or wrote output we cannot read."""


class LopropError(LabellingError):
    """OpenMolcas SCF/LoProp failed or its output lacks the donor's domain."""
