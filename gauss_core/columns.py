"""Column names shared by files and tables. Units are part of the name.

Ligand set (assets/ligands/ligands.csv.gz): LIGAND_COLUMNS.
Proxy labels (one row per ligand SMILES, NaN where missing): PROXY_COLUMNS + PROVENANCE.
KD labels: KD_GAP_COLUMNS (+ KD_PROVENANCE); structural vector: STRUCT_COLUMNS.
"""

from __future__ import annotations

SMILES = "smiles"                    # donor-first SMILES (the model's input)
CANONICAL = "canonical_smiles"       # canonical kekulised SMILES (novelty / uniqueness key)
DONOR_ELEMENT = "donor_element"      # "O" or "N"
DONOR_Z = "donor_Z"                  # 8 or 7
CHARGE = "ligand_charge"             # 0 or -1
LIGAND_CLASS = "ligand_class"        # 1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N
QM9_INDEX = "qm9_index"              # parent QM9 (GDB) index, 1-based; 0 for user-imported ligands
LIGAND_ID = "ligand_id"

LIGAND_COLUMNS = (LIGAND_ID, SMILES, CANONICAL, DONOR_ELEMENT, DONOR_Z, CHARGE, LIGAND_CLASS, QM9_INDEX)

# Donor-atom proxy labels (GAUSS-II head targets), atomic units.
Q_DONOR = "q_donor_e"                 # partial charge of the donor atom, e
MU_DONOR = "mu_donor_au"              # atomic dipole magnitude of the donor, e*a0
ALPHA_DONOR = "alpha_donor_au3"       # isotropic polarisability of the donor, a0^3
PROXY_COLUMNS = (DONOR_Z, Q_DONOR, MU_DONOR, ALPHA_DONOR)
PROVENANCE = "provenance"

# Bond-length proxy (gauss_core.kd.bond_length, `gauss label --method axial`): the Dy-L axial distance of the
# relaxed [Dy(H2O)5L2]+, mean of the two donors; empty when a neutral donor left the metal (flag 'dissociated').
R_DYL = "r_dyl_A"
R_DYL_METHOD = "r_dyl_method"          # e.g. "xtb-gfn2-axial", or "xtb-gfn2-axial+<correction>"
R_DYL_FLAGS = "r_dyl_flags"            # ";"-joined: dissociated, and the relaxed complex's structural flags
R_DYL_CPU = "r_dyl_cpu_s"              # CPU seconds of the geometry (xtb child processes included)
# Extra GAUSS-II head targets, used when the label tables have them, and the column naming each one's method.
PROXY_EXTRA_COLUMNS = (R_DYL,)
LABEL_METHOD_COLUMNS = {R_DYL: R_DYL_METHOD}

# The paper's 6-d structural vector of the relaxed complex (GAUSS-I input).
STRUCT_COLUMNS = ("struct_class", "mpp_A", "sdp_A", "angle_L_Dy_L_deg", "r_Dy_L1_A", "r_Dy_L2_A")
KD_GAP_COLUMNS = tuple(f"kd_gap{i}_cm1" for i in range(1, 8))  # E(KD i+1) - E(KD 1), cm^-1
KD_PROVENANCE = "kd_provenance"

# Value the paper's authors use for a missing label in their whitespace-separated training files.
MISSING_LABEL = -1000000.0

# Sampled candidates (gauss_core.sampling, gauss_core.export). Predicted proxies are PREDICTED_PREFIX +
# the label name, e.g. "pred_q_donor_e"; they carry provenance "gauss2-prediction".
SEED_SMILES = "seed_smiles"           # donor-first SMILES of the LP seed
SIGMA = "sigma"                       # LP standard deviation used for z' = z + sigma * eps
IS_VALID = "valid"                    # RDKit parses and sanitises the decoded string
IS_NOVEL = "novel"                    # canonical kekulised SMILES not in the training set and not a seed
IS_UNIQUE = "unique"                  # first occurrence of this canonical SMILES in the candidate table
DONOR_FIRST_OK = "donor_first_ok"     # decoded string starts with an N or O atom (usable as ligand L)
TIMES_GENERATED = "times_generated"   # how many attempts decoded to this molecule in its run
RANDOM_SEED = "random_seed"           # numpy seed of the LP run that produced the row (reproducibility)
CHECKPOINT_HASH = "checkpoint_hash"   # first 16 hex of the SHA-256 of the checkpoint file that decoded the row
PREDICTED_PREFIX = "pred_"

# KD mapping set (assets/kd/kd_mapping.csv.gz, gauss_core.kd.kd_mapping): how each KD estimate was made.
KD_MODE = "kd_mode"                       # "template-sp" (unrelaxed template + xtb charges) or "relaxed"
GEOMETRY_PROVENANCE = "geometry_provenance"  # builder or relaxation that made the complex geometry
KD_GEOMETRY_SOURCE = "kd_geometry_source"  # geometry a CASSCF result was computed on (gauss_core.jobs.labels)
KD_BASIS = "kd_basis"  # basis of a CASSCF result, "Dy ANO-RCC-VDZP, ligands ANO-RCC-MB" (gauss_core.jobs.labels)
CHARGES_PROVENANCE = "charges_provenance"    # source of the point charges (xtb-gfn2)

# Cheap descriptors of a (constrained-relaxed) complex that the calibrated KD estimate regresses on
# (gauss_core.kd.estimate.complex_features); CASSCF jobs store them for their own geometry.
KD_ESTIMATE_FEATURES = ("q_donor_xtb_e", "anionic", "donor_is_N", "alpha_donor_au3", "r_Dy_L_mean_A",
                        "angle_L_Dy_L_deg", "mpp_A", "cf_gap1_cm1", "cf_gap7_cm1")

# KD surrogate on the latent space (gauss_core.surrogate): predicted gaps and their 1-sigma uncertainty,
# provenance provenance.SURROGATE_GP_LATENT (an estimate from n CASSCF results, never CASSCF itself).
SURROGATE_GAP_COLUMNS = tuple(f"surrogate_gap{i}_cm1" for i in range(1, 8))
SURROGATE_STD_COLUMNS = tuple(f"surrogate_gap{i}_std_cm1" for i in range(1, 8))
SURROGATE_PROVENANCE = "surrogate_provenance"   # e.g. "surrogate-gp-latent (n=119 CASSCF, ckpt 3f164ba5)"
