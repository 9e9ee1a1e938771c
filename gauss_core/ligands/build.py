"""Build the monodentate ligand set (neutral N/O donors and N/O mono-anions) from the QM9 SMILES.

The chemistry lives in ``donors``; this module reads QM9, runs the rules over worker processes,
collapses duplicates, assigns ids and classes and writes the gzipped CSV.
"""

from __future__ import annotations

import collections
import multiprocessing
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rdkit import Chem

from gauss_core.atomic import atomic_path
from gauss_core import chem, columns, paths
from gauss_core.errors import DataFormatError
from gauss_core.ligands import donors

# The paper's set (Sec. II.1): 208k ligands, 72k mono-anions, ~136k neutral.
PAPER_COUNTS = {"neutral": 136_000, "anionic": 72_000, "total": 208_000}

CLASS_NAMES = {1: "neutral O", 2: "neutral N", 3: "anionic O", 4: "anionic N"}

_QM9_COLUMNS = ("gdb_index", "smiles", "uncharacterized")


def ligand_class(element: str, charge: int) -> int:
    """The paper's ligand class: 1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N.

    Raises:
        ValueError: element not N/O or charge not 0/-1.
    """
    element = str(element).strip().capitalize()
    if element not in ("N", "O") or int(charge) not in (0, -1):
        raise ValueError(f"no ligand class for donor {element!r} with charge {charge}: donors are N/O, charge 0 or -1")
    return (1 if element == "O" else 2) + (2 if int(charge) == -1 else 0)


def smiles_class(smiles: str) -> int:
    """The ligand class (1-4) from a donor-first SMILES: first atom N/O, formal charge 0/-1; 0 otherwise."""
    mol = Chem.MolFromSmiles(str(smiles))
    if mol is None or mol.GetNumAtoms() == 0:
        return 0
    try:
        return ligand_class(mol.GetAtomWithIdx(0).GetSymbol(), Chem.GetFormalCharge(mol))
    except ValueError:
        return 0


@dataclass(frozen=True)
class BuildConfig:
    """Inputs of one build."""

    qm9_path: Path = paths.QM9_SMILES
    workers: int = 2
    chunk_size: int = 400
    include_uncharacterized: bool = False   # QM9's 3,054 molecules whose DFT geometry broke the SMILES bonds
    neutral_window: float = donors.NEUTRAL_BASICITY_WINDOW
    anion_window: float = donors.ANION_PKA_WINDOW
    limit: int | None = None                # first N molecules only (tests, quick looks)
    progress: bool = True


@dataclass
class BuildResult:
    """The built set plus what was skipped and why."""

    frame: pd.DataFrame
    skipped: collections.Counter = field(default_factory=collections.Counter)
    kinds: collections.Counter = field(default_factory=collections.Counter)
    n_molecules: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Ligands per class name plus 'neutral', 'anionic' and 'total'."""
        by_class = self.frame[columns.LIGAND_CLASS].value_counts().to_dict()
        out = {CLASS_NAMES[c]: int(by_class.get(c, 0)) for c in CLASS_NAMES}
        out["neutral"] = out["neutral O"] + out["neutral N"]
        out["anionic"] = out["anionic O"] + out["anionic N"]
        out["total"] = len(self.frame)
        return out

    def counts_table(self) -> str:
        """Plain-text table of our counts next to the paper's."""
        c = self.counts()
        lines = [f"{'class':<12}{'this build':>12}{'paper':>10}"]
        for name in CLASS_NAMES.values():
            lines.append(f"{name:<12}{c[name]:>12,}{'-':>10}")
        for name in ("neutral", "anionic", "total"):
            lines.append(f"{name:<12}{c[name]:>12,}{'~' + format(PAPER_COUNTS[name], ','):>10}")
        return "\n".join(lines)


def ligands_from_smiles(smiles: str, neutral_window: float = donors.NEUTRAL_BASICITY_WINDOW,
                        anion_window: float = donors.ANION_PKA_WINDOW) -> tuple[list[donors.DonorSite], str | None]:
    """All ligands one molecule gives under the donor rules.

    Returns:
        (sites, skip_reason): skip_reason is None unless the molecule is skipped as a whole.
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return [], "unparseable SMILES"
    reason = donors.molecule_is_eligible(mol)
    if reason:
        return [], reason
    try:
        sites = donors.neutral_sites(mol, neutral_window) + donors.anion_sites(mol, anion_window)
    except Exception as exc:  # an anion RDKit cannot sanitise: record and go on
        return [], f"rule error: {exc}"
    if not sites:
        return [], "no N/O donor and no N-H/O-H"
    return sites, None


def _work(args: tuple[list[tuple[int, str]], float, float]) -> list[tuple[int, list[donors.DonorSite], str | None]]:
    batch, nw, aw = args
    return [(idx, *ligands_from_smiles(smi, nw, aw)) for idx, smi in batch]


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_qm9(path: Path) -> pd.DataFrame:
    """QM9 table (gdb_index, smiles, uncharacterized, ...).

    Raises:
        DataFormatError: missing file or columns.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"QM9 SMILES file {path} not found: pass --qm9 PATH (default {paths.QM9_SMILES})")
    frame = pd.read_csv(path)
    missing = [c for c in _QM9_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFormatError(f"{path} lacks column(s) {missing}; expected {list(_QM9_COLUMNS)}")
    return frame


def _map_batches(func, tasks: list, workers: int, total: int, progress: bool, desc: str) -> Iterable[list]:
    """Run `func` over task batches (worker processes when workers > 1) with a progress bar over molecules."""
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit="mol", disable=not progress) as bar:
        if workers > 1:
            # fork: workers need no re-import of the caller's __main__ (spawn would require a main guard)
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with multiprocessing.get_context(method).Pool(workers) as pool:
                for results in pool.imap(func, tasks):
                    bar.update(len(results))
                    yield results
        else:
            for task in tasks:
                results = func(task)
                bar.update(len(results))
                yield results


def _eligible_items(config: BuildConfig, skipped: collections.Counter) -> list[tuple[int, str]]:
    qm9 = read_qm9(config.qm9_path)
    if config.limit:
        qm9 = qm9.head(config.limit)
    if not config.include_uncharacterized:
        skipped["QM9 uncharacterized (geometry does not match SMILES)"] = int((qm9["uncharacterized"] == 1).sum())
        qm9 = qm9[qm9["uncharacterized"] != 1]
    return list(zip(qm9["gdb_index"].astype(int), qm9["smiles"].astype(str), strict=False))


def build_ligand_set(config: BuildConfig | None = None, out_path: Path | None = None) -> BuildResult:
    """Run the donor rules over QM9 and return (and optionally write) the ligand set.

    Args:
        config: inputs (QM9 path, workers, windows); defaults build the bundled set.
        out_path: gzipped CSV to write (columns.LIGAND_COLUMNS); None writes nothing.
    Returns:
        BuildResult with the frame (one row per distinct donor-first SMILES), skip reasons and timing.
    """
    config = config or BuildConfig()
    start = time.perf_counter()
    skipped: collections.Counter = collections.Counter()
    items = _eligible_items(config, skipped)
    tasks = [(batch, config.neutral_window, config.anion_window) for batch in _chunks(items, config.chunk_size)]

    rows: list[tuple] = []
    kinds: collections.Counter = collections.Counter()
    for results in _map_batches(_work, tasks, config.workers, len(items), config.progress, "ligand rules"):
        for idx, sites, reason in results:
            if reason:
                skipped[reason] += 1
            for site in sites:
                kinds[site.kind] += 1
                rows.append((site.smiles, site.donor_element, site.charge, idx))

    frame = pd.DataFrame(rows, columns=[columns.SMILES, columns.DONOR_ELEMENT, columns.CHARGE, columns.QM9_INDEX])
    n_pairs = len(frame)
    # One row per distinct donor-first SMILES: the same ligand from two QM9 entries keeps the first index.
    frame = frame.sort_values([columns.QM9_INDEX, columns.CHARGE, columns.SMILES], ascending=[True, False, True])
    frame = frame.drop_duplicates(columns.SMILES, keep="first").reset_index(drop=True)
    skipped["duplicate donor-first SMILES (same ligand from another QM9 entry)"] = n_pairs - len(frame)
    frame[columns.CANONICAL] = [chem.canonical_kekule(s) for s in frame[columns.SMILES]]
    frame[columns.DONOR_Z] = frame[columns.DONOR_ELEMENT].map({"N": 7, "O": 8}).astype(int)
    frame[columns.LIGAND_CLASS] = [ligand_class(e, q) for e, q in
                                   zip(frame[columns.DONOR_ELEMENT], frame[columns.CHARGE], strict=False)]
    frame[columns.LIGAND_ID] = range(1, len(frame) + 1)
    frame = frame[list(columns.LIGAND_COLUMNS)]
    result = BuildResult(frame=frame, skipped=skipped, kinds=kinds, n_molecules=len(items),
                         seconds=time.perf_counter() - start)
    if out_path is not None:
        write_ligand_set(frame, out_path)
    return result


def _count_windows(args: tuple[list[tuple[int, str]], tuple, tuple]) -> list[collections.Counter]:
    batch, nws, aws = args
    out = []
    for _, smi in batch:
        mol = Chem.MolFromSmiles(smi)
        counts: collections.Counter[str] = collections.Counter()
        if mol is not None and donors.molecule_is_eligible(mol) is None:
            counts.update(donors.window_counts(mol, nws, aws))
        out.append(counts)
    return out


def window_sensitivity(config: BuildConfig | None = None,
                       neutral_windows: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, float("inf")),
                       anion_windows: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, float("inf"))) -> dict[str, int]:
    """(molecule, ligand) pair counts under other basicity/pKa windows, to show how the rules shape the set.

    Returns:
        Counts keyed as donors.window_counts (summed over the eligible QM9 molecules), plus 'molecules'.
    """
    config = config or BuildConfig()
    items = _eligible_items(config, collections.Counter())
    tasks = [(batch, neutral_windows, anion_windows) for batch in _chunks(items, config.chunk_size)]
    total: collections.Counter = collections.Counter()
    for results in _map_batches(_count_windows, tasks, config.workers, len(items), config.progress, "window counts"):
        for counts in results:
            total.update(counts)
    total["molecules"] = len(items)
    return dict(total)


def write_ligand_set(frame: pd.DataFrame, path: Path) -> None:
    """Write a ligand table as gzipped CSV (deterministic bytes: no timestamp or file name in the gzip header)."""
    import gzip

    with atomic_path(path) as tmp, open(tmp, "wb") as raw, \
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(frame.to_csv(index=False).encode())
