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
processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem

from gauss_core import chem

RULES_VERSION = "1.1"

# Rows of the rule tables: kind -> group estimate (None = excluded, with the reason in EXCLUDED_REASONS).
# Neutral donors: pKBHX (log10 of the 1:1 H-bond complexation constant with 4-fluorophenol in CCl4),
# typical values of each family from the pKBHX database (Laurence, Brameld, Graton, Le Questel, Renault,
# J. Med. Chem. 52, 4073 (2009)) and Laurence & Gal, "Lewis Basicity and Affinity Scales" (Wiley 2010).
NEUTRAL_BASICITY: dict[str, float | None] = {
    # nitrogen
    "amine_N": 2.2,             # Et2NH 2.25, nBuNH2 2.14, Et3N 1.98, quinuclidine 2.63
    "hydrazine_N": 1.5,         # N next to N/O (hydrazines, hydroxylamines): alpha lone pairs lower basicity
    "aniline_N": 0.45,          # aniline 0.46, N,N-dimethylaniline 0.39 (lone pair in the ring)
    "enamine_N": 0.5,           # N-C=C: lone pair conjugated with the C=C, like anilines
    "azine_N": 1.86,            # pyridine 1.86
    "pyridazine_N": 1.65,       # pyridazine 1.65 (second ring N adjacent)
    "diazine_N": 1.0,           # pyrimidine 1.07, pyrazine 0.92; triazines and oxazines lower
    "imidazole_N": 2.4,         # imidazole N3 2.42, 1-methylimidazole 2.72
    "pyrazole_N": 1.85,         # 1-methylpyrazole 1.84
    "oxazole_N": 1.3,           # oxazole 1.30
    "isoxazole_N": 0.8,         # isoxazole 0.81 (ring O next to the N)
    "polyazole_N": 0.9,         # triazoles, tetrazoles, oxadiazoles: each extra aza N lowers the basicity
    "azole_N": 1.8,             # other 5-ring pyridine-type N (fused bridgeheads), pyrazole-like
    "imine_N": 1.8,             # N-alkyl aldimines/ketimines ~1.8
    "amidine_N": 2.8,           # imino N of amidines/guanidines (DBU 3.3, N,N-dimethylacetamidine ~2.8)
    "imidate_N": 1.3,           # N=C-O (imidates, oxazolines): O lowers the imino basicity
    "oxime_N": 0.9,             # N=C with O/N on the N (oximes, hydrazones)
    "azo_N": 0.3,               # N=N, weakly basic
    "nitrile_N": 0.91,          # acetonitrile 0.91
    # oxygen
    "water_O": 0.65,            # water 0.65
    "alcohol_O": 1.0,           # MeOH 0.82, EtOH 1.02, tBuOH 1.14
    "ether_O": 1.1,             # Et2O 1.01, THF 1.28, oxetane 1.36, oxirane 0.97
    "aryl_O": -0.05,            # anisole -0.07, phenol O ~ -0.1: lone pair in the ring
    "enol_O": 0.0,              # vinyl ethers/enols: lone pair conjugated with the C=C
    "hetero_O": 0.5,            # O bonded to N or O (hydroxylamine, peroxide)
    "ketone_O": 1.2,            # acetone 1.18, cyclohexanone 1.39
    "aldehyde_O": 0.8,          # acetaldehyde 0.65, propanal 0.8
    "amide_O": 2.2,             # DMF 2.10, DMA 2.44, 2-pyrrolidinone 2.38
    "urea_O": 2.4,              # tetramethylurea 2.44
    "carbamate_O": 1.6,         # carbonyl O of carbamates, ~1.6
    "ester_O": 1.0,             # carbonyl O of esters/acids: ethyl acetate 1.00, gamma-butyrolactone 1.16
    "acyl_halide_O": 0.3,       # acyl fluorides, weakly basic
    "cumulene_O": 0.2,          # ketene/isocyanate O=C=X
    "nitroso_O": 0.5,           # N=O
    # excluded kinds
    "amide_N": None,
    "conjugated_N": None,
    "pyrrole_N": None,
    "nitroso_N": None,
    "acyloxy_O": None,
    "furan_O": None,
    "nitro_O": None,
    "charged": None,
}

EXCLUDED_REASONS: dict[str, str] = {
    "amide_N": "amide/urea/carbamate N: its lone pair is delocalised into the C=O (the O is the donor)",
    "conjugated_N": "N single-bonded to C=N/N=N/C#N (amidine amino N, cyanamide): lone pair delocalised",
    "pyrrole_N": "pyrrole-type aromatic N (with H or a substituent): lone pair is part of the aromatic sextet",
    "nitroso_N": "N of N=O: lone pair is low-lying; the O is the (weak) donor",
    "acyloxy_O": "single-bonded O on C=O/C=N (ester alkoxy O, acid OH, oxime O): lone pair delocalised",
    "furan_O": "aromatic O (furan, oxazole): lone pair is part of the aromatic sextet",
    "nitro_O": "O of a nitro group: the two O share one negative charge delocalised onto N+, a very weak donor",
    "charged": "atom carries a formal charge (N+ has no lone pair; nitro/zwitterion O- has no class)",
}

# Mono-anion sites: approximate aqueous pKa of the X-H that is removed.
ANION_PKA: dict[str, float] = {
    "carboxylate_O": 4.5,       # acetic acid 4.76, formic acid 3.75
    "phenoxide_O": 10.0,        # phenol 9.99
    "enolate_O": 10.5,          # enols (GDB lists them as drawn), acidity close to phenols
    "oximate_O": 11.5,          # acetoxime 12.4, oximes 10.5-12.5
    "peroxide_O": 11.6,         # MeOOH 11.5
    "hetero_oxide_O": 13.7,     # hydroxylamine O-H 13.7
    "hydroxide_O": 15.7,        # water
    "alkoxide_O": 16.0,         # MeOH 15.5, EtOH 16, iPrOH 17
    "imide_N": 9.6,             # succinimide 9.6 (N-H between two C=O)
    "pyridonate_N": 11.6,       # 2-pyridone N-H 11.6 (aromatic N-H next to an exocyclic C=O)
    "amidate_N": 15.5,          # acetamide ~15.1, ureas/carbamates a little higher
    "tetrazolide_N": 4.9,       # tetrazole 4.9 (aromatic N-H, 4 ring N)
    "triazolide_N": 9.5,        # 1,2,3-triazole 9.3, 1,2,4-triazole 10.3
    "diazolide_N": 14.4,        # imidazole 14.5, pyrazole 14.2
    "pyrrolide_N": 17.5,        # pyrrole 17.5 (23 in DMSO)
    "amidinate_N": 25.0,        # N-H of amidines/hydrazones: conjugation stabilises the anion
    "anilide_N": 28.0,          # aniline (30.6 in DMSO)
    "imide_anion_N": 30.0,      # C=N-H of imines
    "hydrazide_N": 32.0,        # N-H on N bonded to N/O
    "amido_N": 36.0,            # aliphatic amines, ammonia 38
}

NEUTRAL_BASICITY_WINDOW = 0.0   # only the most basic kind: see docs/ligand_rules.md "Choosing the donor"
ANION_PKA_WINDOW = 0.0          # only the most acidic kind: see docs/ligand_rules.md "Choosing the anion"


@dataclass(frozen=True)
class DonorSite:
    """One donor-first ligand made from a molecule."""

    smiles: str          # donor-first SMILES of the ligand
    donor_element: str   # "N" or "O"
    charge: int          # 0 or -1 (formal charge of the donor = net charge of the ligand)
    kind: str            # site kind (keys of NEUTRAL_BASICITY / ANION_PKA)


def _has_double_to(atom: Chem.Atom, elements: set[str], exclude: int | None = None) -> bool:
    """True if `atom` has a double bond to an atom of one of `elements` (other than atom index `exclude`)."""
    for bond in atom.GetBonds():
        if bond.GetBondType() != Chem.BondType.DOUBLE:
            continue
        other = bond.GetOtherAtom(atom)
        if other.GetIdx() != exclude and other.GetSymbol() in elements:
            return True
    return False


def _has_triple(atom: Chem.Atom, exclude: int | None = None) -> bool:
    return any(b.GetBondType() == Chem.BondType.TRIPLE and b.GetOtherAtomIdx(atom.GetIdx()) != exclude
               for b in atom.GetBonds())


def _bond_types(atom: Chem.Atom) -> list[Chem.BondType]:
    return [b.GetBondType() for b in atom.GetBonds()]


def _ring_nitrogens(mol: Chem.Mol, atom: Chem.Atom) -> int:
    """Number of N atoms in the smallest aromatic ring holding `atom`."""
    rings = [r for r in mol.GetRingInfo().AtomRings() if atom.GetIdx() in r]
    if not rings:
        return 1
    ring = min(rings, key=len)
    return sum(1 for i in ring if mol.GetAtomWithIdx(i).GetSymbol() == "N")


def _next_to_exocyclic_carbonyl(atom: Chem.Atom) -> bool:
    """Aromatic N next to a C=O (2-pyridone-like lactam)."""
    for nb in atom.GetNeighbors():
        for bond in nb.GetBonds():
            other = bond.GetOtherAtom(nb)
            if (bond.GetBondType() == Chem.BondType.DOUBLE and other.GetSymbol() in ("O", "S")
                    and not other.GetIsAromatic()):
                return True
    return False


def _is_pyridine_type(atom: Chem.Atom) -> bool:
    return (atom.GetSymbol() == "N" and atom.GetIsAromatic() and atom.GetTotalNumHs() == 0
            and atom.GetDegree() == 2 and atom.GetFormalCharge() == 0)


def _aromatic_n_kind(mol: Chem.Mol, atom: Chem.Atom) -> str:
    """Kind of a pyridine-type aromatic N: the other heteroatoms of its ring set its basicity."""
    idx = atom.GetIdx()
    rings = [r for r in mol.GetRingInfo().AtomRings() if idx in r]
    if not rings:
        return "azine_N"
    ring = min(rings, key=len)
    neighbours = {nb.GetIdx() for nb in atom.GetNeighbors()}
    others = [mol.GetAtomWithIdx(i) for i in ring if i != idx]
    other_pyridine = [a for a in others if _is_pyridine_type(a)]
    ring_o = [a for a in others if a.GetSymbol() == "O"]
    pyrrole_type = [a for a in others if a.GetSymbol() == "N" and not _is_pyridine_type(a)]
    if len(ring) == 6:
        if not other_pyridine and not ring_o and not pyrrole_type:
            return "azine_N"
        if len(other_pyridine) == 1 and other_pyridine[0].GetIdx() in neighbours and not ring_o and not pyrrole_type:
            return "pyridazine_N"
        return "diazine_N"
    if len(ring) == 5:
        if other_pyridine:
            return "polyazole_N"
        if any(a.GetIdx() in neighbours for a in ring_o):
            return "isoxazole_N"
        if ring_o:
            return "oxazole_N"
        if any(a.GetIdx() in neighbours for a in pyrrole_type):
            return "pyrazole_N"
        if pyrrole_type:
            return "imidazole_N"
    return "azole_N"


def site_kind(mol: Chem.Mol, atom: Chem.Atom) -> str:
    """Kind of an N or O atom as a neutral donor (a key of NEUTRAL_BASICITY).

    Args:
        mol: sanitised molecule (implicit H).
        atom: an N or O atom of `mol`.
    Returns:
        The kind; excluded kinds map to None in NEUTRAL_BASICITY.
    """
    if atom.GetFormalCharge() != 0 or atom.GetNumRadicalElectrons():
        return "charged"
    sym = atom.GetSymbol()
    idx = atom.GetIdx()
    nbrs = list(atom.GetNeighbors())
    btypes = _bond_types(atom)
    if sym == "N":
        if atom.GetIsAromatic():
            if atom.GetTotalNumHs() > 0 or atom.GetDegree() == 3:
                return "pyrrole_N"
            return _aromatic_n_kind(mol, atom)
        if Chem.BondType.TRIPLE in btypes:
            return "nitrile_N"
        if Chem.BondType.DOUBLE in btypes:
            partner = next(b.GetOtherAtom(atom) for b in atom.GetBonds() if b.GetBondType() == Chem.BondType.DOUBLE)
            if partner.GetSymbol() == "O":
                return "nitroso_N"
            if partner.GetSymbol() == "N":
                return "azo_N"
            # C=N: what hangs on the N and on the C decides the basicity.
            if any(nb.GetSymbol() in ("O", "N") for nb in nbrs if nb.GetIdx() != partner.GetIdx()):
                return "oxime_N"
            c_subs = [nb for nb in partner.GetNeighbors() if nb.GetIdx() != idx]
            if any(nb.GetSymbol() == "N" and not _has_double_to(nb, {"C", "N", "O"}) and not nb.GetIsAromatic()
                   for nb in c_subs):
                return "amidine_N"
            if any(nb.GetSymbol() == "O" for nb in c_subs):
                return "imidate_N"
            return "imine_N"
        # sp3-type N (single bonds only)
        for nb in nbrs:
            if _has_double_to(nb, {"O", "S"}):
                return "amide_N"
        for nb in nbrs:
            if _has_double_to(nb, {"N"}, exclude=idx) or (nb.GetSymbol() in ("C", "N") and _has_triple(nb)):
                if nb.GetSymbol() == "C" and _has_triple(nb) and not any(
                        o.GetSymbol() == "N" for o in nb.GetNeighbors() if o.GetIdx() != idx):
                    continue  # ynamine N-C#C: treated below as enamine-like
                return "conjugated_N"
        if any(nb.GetIsAromatic() for nb in nbrs):
            return "aniline_N"
        if any(nb.GetSymbol() in ("N", "O") for nb in nbrs):
            return "hydrazine_N"
        if any(_has_double_to(nb, {"C"}) or _has_triple(nb) for nb in nbrs):
            return "enamine_N"
        return "amine_N"
    # oxygen
    if any(nb.GetFormalCharge() > 0 for nb in nbrs):
        return "nitro_O"
    if atom.GetIsAromatic():
        return "furan_O"
    if Chem.BondType.DOUBLE in btypes:
        partner = nbrs[0]
        if partner.GetSymbol() == "N":
            return "nitroso_O"
        others = [nb for nb in partner.GetNeighbors() if nb.GetIdx() != idx]
        if any(b.GetBondType() == Chem.BondType.DOUBLE for b in partner.GetBonds()
               if b.GetOtherAtomIdx(partner.GetIdx()) != idx):
            return "cumulene_O"
        n_n = sum(1 for nb in others if nb.GetSymbol() == "N")
        n_o = sum(1 for nb in others if nb.GetSymbol() == "O")
        if any(nb.GetSymbol() in ("F", "Cl", "Br", "I") for nb in others):
            return "acyl_halide_O"
        if n_n >= 2:
            return "urea_O"
        if n_n == 1 and n_o >= 1:
            return "carbamate_O"
        if n_n == 1:
            return "amide_O"
        if n_o >= 1:
            return "ester_O"
        if partner.GetTotalNumHs() > 0:
            return "aldehyde_O"
        return "ketone_O"
    if not nbrs:
        return "water_O"
    for nb in nbrs:
        if _has_double_to(nb, {"O", "N", "S"}) or (nb.GetSymbol() == "C" and _has_triple(nb)):
            return "acyloxy_O"
    if any(nb.GetIsAromatic() for nb in nbrs):
        return "aryl_O"
    if any(nb.GetSymbol() in ("N", "O") for nb in nbrs):
        return "hetero_O"
    if any(_has_double_to(nb, {"C"}) for nb in nbrs):
        return "enol_O"
    return "alcohol_O" if atom.GetTotalNumHs() > 0 else "ether_O"


def anion_kind(mol: Chem.Mol, atom: Chem.Atom) -> str:
    """Kind (a key of ANION_PKA) of the anion made by removing one H from N-H/O-H atom `atom`."""
    sym = atom.GetSymbol()
    idx = atom.GetIdx()
    nbrs = list(atom.GetNeighbors())
    if sym == "O":
        if not nbrs:
            return "hydroxide_O"
        nb = nbrs[0]
        if nb.GetSymbol() == "C" and _has_double_to(nb, {"O", "S"}):
            return "carboxylate_O"
        if nb.GetSymbol() == "N" and _has_double_to(nb, {"C", "N"}):
            return "oximate_O"
        if nb.GetSymbol() == "O":
            return "peroxide_O"
        if nb.GetSymbol() == "N":
            return "hetero_oxide_O"
        if nb.GetIsAromatic():
            return "phenoxide_O"
        if _has_double_to(nb, {"C", "N"}):
            return "enolate_O"  # enol / imidic acid O-H
        return "alkoxide_O"
    if atom.GetIsAromatic():
        if _next_to_exocyclic_carbonyl(atom):
            return "pyridonate_N"
        n_ring = _ring_nitrogens(mol, atom)
        return {1: "pyrrolide_N", 2: "diazolide_N", 3: "triazolide_N"}.get(n_ring, "tetrazolide_N")
    if any(b.GetBondType() == Chem.BondType.DOUBLE for b in atom.GetBonds()):
        return "imide_anion_N"
    n_acyl = sum(1 for nb in nbrs if _has_double_to(nb, {"O", "S"}))
    if n_acyl >= 2:
        return "imide_N"
    if n_acyl == 1:
        return "amidate_N"
    if any(_has_double_to(nb, {"N"}, exclude=idx) or _has_triple(nb) for nb in nbrs):
        return "amidinate_N"
    if any(nb.GetIsAromatic() or _has_double_to(nb, {"C"}) for nb in nbrs):
        return "anilide_N"
    if any(nb.GetSymbol() in ("N", "O") for nb in nbrs):
        return "hydrazide_N"
    return "amido_N"


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
