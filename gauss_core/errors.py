"""User-facing errors: each names the problem and the fix; the CLI and the dashboard show the message
instead of a stack trace."""

from __future__ import annotations


class GaussError(Exception):
    """Base class for errors caused by input or environment, with a message meant for the user."""


class InvalidSmilesError(GaussError):
    """A SMILES string RDKit cannot parse, or one the model cannot represent."""


class UnknownTokenError(InvalidSmilesError):
    """A SMILES token that is not in the model's vocabulary."""


class SmilesTooLongError(InvalidSmilesError):
    """A SMILES with more tokens than the model's maximum length."""


class CheckpointError(GaussError):
    """A checkpoint that is missing, corrupt, truncated or incompatible."""


class DataFormatError(GaussError):
    """An input file with wrong columns or an unreadable layout."""


class MissingProgramError(GaussError):
    """An external program (xtb, pymolcas, sbatch, ...) is not installed."""


class NotWritableError(GaussError):
    """A folder or file for mutable state (GAUSS_HOME, a job directory, a cache) that cannot be written."""


class QueueLockedError(GaussError):
    """The queue database stayed locked by another process's write transaction past the busy timeout."""
