"""OpenMolcas CASSCF(9,7)+SO for Dy(III) complexes: one import for the input writer, runner and parser.

The code lives in molcas_input (structure, settings, input text), molcas_run (pymolcas, pruning) and
molcas_parse (Kramers doublets, g-tensors, crystal field); this module re-exports their public names so
`from gauss_core.kd.molcas_casscf import X` keeps working for the queue's job kinds and the docs.
"""

from gauss_core.kd.molcas_input import (ATOMIC_NUMBER, HARTREE_TO_CM1, N_4F_ELECTRONS, N_4F_ORBITALS, N_KD,
                                        N_SEXTET_ROOTS, MolcasCasscfConfig, MolcasInputError, MolcasRunError,
                                        XyzStructure, read_xyz_structure, structure_from,
                                        write_molcas_input)
from gauss_core.kd.molcas_parse import (KramersDoublet, MolcasKDResult, check_basis_labels, molcas_error_summary,
                                        parse_active_orbitals, parse_crystal_field, parse_g_tensors,
                                        parse_molcas_output, parse_rasscf_energies, parse_so_energies)
from gauss_core.kd.molcas_run import (BULKY_PATTERNS, MolcasRun, find_pymolcas, molcas_env, prune_outputs,
                                     run_casscf_4f_guess, run_molcas)

__all__ = ["ATOMIC_NUMBER", "BULKY_PATTERNS", "HARTREE_TO_CM1", "N_4F_ELECTRONS", "N_4F_ORBITALS", "N_KD",
           "N_SEXTET_ROOTS", "KramersDoublet", "MolcasCasscfConfig", "MolcasInputError", "MolcasKDResult",
           "MolcasRun", "MolcasRunError", "XyzStructure", "check_basis_labels", "find_pymolcas",
           "molcas_env", "molcas_error_summary", "parse_active_orbitals", "parse_crystal_field", "parse_g_tensors",
           "parse_molcas_output", "parse_rasscf_energies", "parse_so_energies", "prune_outputs", "read_xyz_structure",
           "run_casscf_4f_guess", "run_molcas",
           "structure_from", "write_molcas_input"]
