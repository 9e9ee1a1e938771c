"""LP sampling around seeds, with validity / novelty / uniqueness counted by the MOSES-style definitions
in `gauss_core.sampling.metrics`."""

from gauss_core.sampling.lp import (CANDIDATE_COLUMNS, LPBatch, LPConfig, LPResult, LPSampler, SamplingConfigError,
                                    donor_first_ok, ligand_set_reference, reference_set,
                                    training_reference)
from gauss_core.sampling.metrics import (CanonicalCache, MosesRates, NoveltyTracker, SamplingCounters,
                                         canonical_or_none, moses_rates)
from gauss_core.sampling.seeds import CheckedSeed, NoDonorError, check_seed, encode_seeds
from gauss_core.sampling.sweep import SweepConfig, sigma_sweep, sweep_figure, sweep_sigmas

__all__ = [
    "CANDIDATE_COLUMNS", "LPBatch", "LPConfig", "LPResult", "LPSampler", "SamplingConfigError", "donor_first_ok",
    "ligand_set_reference", "training_reference",
    "reference_set", "CanonicalCache", "MosesRates", "NoveltyTracker", "SamplingCounters", "canonical_or_none",
    "moses_rates", "CheckedSeed", "NoDonorError", "check_seed", "encode_seeds", "SweepConfig", "sigma_sweep",
    "sweep_figure", "sweep_sigmas",
]
