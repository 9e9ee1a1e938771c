"""Dy complexes: assemble [Dy(H2O)5L2]+, check, relax with GFN2-xTB, structural descriptors, export."""

from gauss_core.complexes.assemble import AssemblyError, assemble, ligand_info
from gauss_core.complexes.checks import is_clean, run_checks
from gauss_core.complexes.descriptors import descriptors
from gauss_core.complexes.export import export, to_mol2, to_sdf, to_xyz
from gauss_core.complexes.relax import RelaxConfig, relax
from gauss_core.complexes.structure import Complex

__all__ = ["AssemblyError", "Complex", "RelaxConfig", "assemble", "descriptors", "export", "is_clean", "ligand_info",
           "relax", "run_checks", "to_mol2", "to_sdf", "to_xyz"]
