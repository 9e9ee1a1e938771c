"""Donor rule tables and site kinds: what each N/O atom of a molecule is as a neutral donor (`site_kind`,
with its pKBHX basicity in NEUTRAL_BASICITY, or excluded with the reason in EXCLUDED_REASONS) and what
anion removing one of its H makes (`anion_kind`, with its pKa in ANION_PKA).

The chemistry behind each kind is in docs/ligand_rules.md; donors.py chooses the sites from these.
"""

from __future__ import annotations

from rdkit import Chem

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
