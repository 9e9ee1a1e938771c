"""KD surrogate on the latent space (GP from latent + donor class to the 7 CASSCF gaps) and suggestions
for the next CASSCF jobs. See model.py for the API; numbers carry provenance surrogate-gp-latent.

Map colour in one call (the dashboard): sur.predict_frame(lmap.z, classes_from_ligand_set(lmap.smiles, ligands)).
"""

from gauss_core.surrogate.cache import load_or_fit_kd_surrogate
from gauss_core.surrogate.cv import SurrogateCV
from gauss_core.surrogate.features import casscf_training_rows, classes_from_ligand_set, classes_of, scaffold_group
from gauss_core.surrogate.gp import SurrogateConfig
from gauss_core.surrogate.model import KDSurrogate, SurrogateError, fit_kd_surrogate

__all__ = ["KDSurrogate", "SurrogateCV", "SurrogateConfig", "SurrogateError", "casscf_training_rows",
           "classes_from_ligand_set", "classes_of", "fit_kd_surrogate", "load_or_fit_kd_surrogate", "scaffold_group"]
