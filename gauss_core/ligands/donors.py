"""Donor rules: which N/O atoms of a molecule can bind Dy(III), and which mono-anions to make.

The rules are written down, with the chemistry behind each, in docs/ligand_rules.md. In short:

* Every N or O atom of a neutral, uncharged molecule gets a *site kind* (``site_kind``): amine N,
  pyridine-type N, amide N, pyrrole-type N, ether O, carbonyl O, ... Kinds whose lone pair is not
  available to a metal (amide N, pyrrole-type N, nitro N, ester alkoxy O, furan O, ...) are excluded.
* Neutral ligands: a molecule binds a hard Lewis acid such as Dy(III) through its most basic donor.
  Each accepted kind carries a group estimate of its Lewis basicity (pKBHX, the hydrogen-bond basicity
  scale of Laurence et al., which tracks hard-cation affinity); a molecule contributes its
  symmetry-distinct donor atoms whose basicity is within ``NEUTRAL_BASICITY_WINDOW`` (default 0: the
  most basic kind only; ties are kept because group values cannot rank them) of its best one.
* Mono-anions: remove one H from an N-H or O-H. The mono-anion of a molecule is its conjugate base at
  the most acidic site; an anion made at a much less acidic site takes the proton back (intramolecular
  proton transfer). Each N-H/O-H kind carries a group pKa; a molecule contributes the sites within
  ``ANION_PKA_WINDOW`` pKa units (default 0: the most acidic kind only) of its most acidic one.

Everything here works on one RDKit molecule at a time, so that the builder can run it in worker
processes. The rule tables and each atom's kind are in donor_kinds.py; this module picks the sites.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem

from gauss_core import chem
from gauss_core.ligands.donor_kinds import (ANION_PKA, EXCLUDED_REASONS, NEUTRAL_BASICITY, RULES_VERSION,
                                            anion_kind, site_kind)

# The rule tables and site kinds (donor_kinds.py) are part of the rules' public face here.
__all__ = ["ANION_PKA", "ANION_PKA_WINDOW", "EXCLUDED_REASONS", "NEUTRAL_BASICITY", "NEUTRAL_BASICITY_WINDOW",
           "RULES_VERSION", "DonorSite", "anion_kind", "anion_sites", "make_anion", "molecule_is_eligible",
           "neutral_sites", "scored_acid_sites", "scored_donors", "site_kind", "window_counts"]

NEUTRAL_BASICITY_WINDOW = 0.0   # only the most basic kind: see docs/ligand_rules.md "Choosing the donor"
ANION_PKA_WINDOW = 0.0          # only the most acidic kind: see docs/ligand_rules.md "Choosing the anion"


@dataclass(frozen=True)
class DonorSite:
    """One donor-first ligand made from a molecule."""

    smiles: str          # donor-first SMILES of the ligand
    donor_element: str   # "N" or "O"
    charge: int          # 0 or -1 (formal charge of the donor = net charge of the ligand)
    kind: str            # site kind (keys of NEUTRAL_BASICITY / ANION_PKA)


def _symmetry_representatives(mol: Chem.Mol, indices: list[int]) -> list[int]:
    """One atom index per symmetry class among `indices` (graph symmetry, RDKit canonical ranks)."""
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
    seen: set[int] = set()
    reps = []
    for i in indices:
        if ranks[i] not in seen:
            seen.add(ranks[i])
            reps.append(i)
    return reps


def make_anion(mol: Chem.Mol, atom_idx: int) -> Chem.Mol:
    """Copy of `mol` with one H removed from atom `atom_idx`, which becomes the -1 charged donor."""
    rw = Chem.RWMol(mol)
    atom = rw.GetAtomWithIdx(atom_idx)
    n_h = atom.GetTotalNumHs()
    atom.SetFormalCharge(-1)
    atom.SetNoImplicit(True)
    atom.SetNumExplicitHs(n_h - 1)
    anion = rw.GetMol()
    Chem.SanitizeMol(anion)
    return anion


def scored_donors(mol: Chem.Mol) -> list[tuple[int, str, float]]:
    """(atom index, kind, pKBHX) of every accepted neutral N/O donor atom of `mol`."""
    scored = []
    for atom in mol.GetAtoms():
        if atom.GetSymbol() not in ("N", "O"):
            continue
        kind = site_kind(mol, atom)
        basicity = NEUTRAL_BASICITY[kind]
        if basicity is not None:
            scored.append((atom.GetIdx(), kind, basicity))
    return scored


def scored_acid_sites(mol: Chem.Mol) -> list[tuple[int, str, float]]:
    """(atom index, anion kind, pKa) of every uncharged N/O atom of `mol` that carries H."""
    return [(a.GetIdx(), kind, ANION_PKA[kind]) for a in mol.GetAtoms()
            if a.GetSymbol() in ("N", "O") and a.GetTotalNumHs() > 0 and a.GetFormalCharge() == 0
            for kind in (anion_kind(mol, a),)]


def neutral_sites(mol: Chem.Mol, window: float = NEUTRAL_BASICITY_WINDOW) -> list[DonorSite]:
    """Neutral ligands of a molecule: its symmetry-distinct N/O donors within `window` of its most basic.

    Args:
        mol: sanitised, uncharged molecule.
        window: pKBHX window below the best donor; use float('inf') for every accepted donor.
    Returns:
        DonorSites with charge 0 (possibly empty).
    """
    scored = scored_donors(mol)
    if not scored:
        return []
    best = max(s[2] for s in scored)
    keep = {i: k for i, k, b in scored if b >= best - window}
    reps = _symmetry_representatives(mol, sorted(keep))
    return [DonorSite(chem.donor_first_smiles(mol, i), mol.GetAtomWithIdx(i).GetSymbol(), 0, keep[i]) for i in reps]


def anion_sites(mol: Chem.Mol, window: float = ANION_PKA_WINDOW) -> list[DonorSite]:
    """Mono-anions of a molecule: remove one H from the symmetry-distinct N-H/O-H within `window` pKa
    units of its most acidic N-H/O-H.

    Args:
        mol: sanitised, uncharged molecule.
        window: pKa window above the most acidic site; float('inf') gives every N-H/O-H.
    Returns:
        DonorSites with charge -1 (possibly empty).
    """
    scored = scored_acid_sites(mol)
    if not scored:
        return []
    best = min(s[2] for s in scored)
    keep = {i: k for i, k, pka in scored if pka <= best + window}
    out = []
    for i in _symmetry_representatives(mol, sorted(keep)):
        anion = make_anion(mol, i)
        out.append(DonorSite(chem.donor_first_smiles(anion, i), mol.GetAtomWithIdx(i).GetSymbol(), -1, keep[i]))
    return out


def window_counts(mol: Chem.Mol, neutral_windows: tuple[float, ...],
                  anion_windows: tuple[float, ...]) -> dict[str, int]:
    """Number of symmetry-distinct neutral donors / anion sites of `mol` under each window (no SMILES made).

    Keys: 'neutral_all_NO' (every N/O atom), 'neutral_<w>', 'anion_<w>', 'molecules_neutral', 'molecules_anion'.
    """
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
    out = {"neutral_all_NO": len({ranks[a.GetIdx()] for a in mol.GetAtoms() if a.GetSymbol() in ("N", "O")})}
    donors_ = scored_donors(mol)
    acids = scored_acid_sites(mol)
    out["molecules_neutral"] = int(bool(donors_))
    out["molecules_anion"] = int(bool(acids))
    best_b = max((b for _, _, b in donors_), default=0.0)
    best_p = min((p for _, _, p in acids), default=0.0)
    for w in neutral_windows:
        out[f"neutral_{w:g}"] = len({ranks[i] for i, _, b in donors_ if b >= best_b - w})
    for w in anion_windows:
        out[f"anion_{w:g}"] = len({ranks[i] for i, _, p in acids if p <= best_p + w})
    return out


def _is_nitro_pair(atom: Chem.Atom) -> bool:
    """Charged atom of an N+(-O-) pair (nitro group, N-oxide): a neutral covalent group drawn with charges."""
    q = atom.GetFormalCharge()
    if q == 1 and atom.GetSymbol() == "N":
        return any(nb.GetSymbol() == "O" and nb.GetFormalCharge() == -1 for nb in atom.GetNeighbors())
    if q == -1 and atom.GetSymbol() == "O":
        return any(nb.GetSymbol() == "N" and nb.GetFormalCharge() == 1 for nb in atom.GetNeighbors())
    return False


def molecule_is_eligible(mol: Chem.Mol) -> str | None:
    """None when a molecule may give ligands, else the reason it is skipped.

    Nitro groups (RDKit draws them N+(=O)O-) are ordinary neutral groups whose atoms are simply never
    donors. Other formal charges in QM9 are zwitterions (NH3+ ... COO-) and ylides (C- next to N+):
    those molecules are skipped. See docs/ligand_rules.md.
    """
    for atom in mol.GetAtoms():
        if atom.GetNumRadicalElectrons():
            return "radical"
        if atom.GetFormalCharge() and not _is_nitro_pair(atom):
            return "zwitterion or ylide (formal charges)"
    return None
