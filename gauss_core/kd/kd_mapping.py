"""The KD mapping set: ligands of the bundled set assembled into [Dy(H2O)5L2]+ with KD estimates.

The paper maps the latent space to the first KD gap with ~1k-23k CASSCF-labelled complexes. Here the
bulk of the map comes from the crystal-field estimate (gauss_core.kd.estimate, provenance
"cf-pointcharge") and CASSCF results from the job queue are added on top when they exist
(`with_casscf`), each row tagged with where its numbers come from.

Two documented modes (column `kd_mode`):
* "relaxed": the complexes pipeline as the dashboard runs it: assemble (molSimplify, RDKit fallback),
  GFN2-xTB constrained relaxation of the Y analogue, point-charge estimate (~5-10 s per complex here).
* "template-sp": RDKit template (same donor distances, same atom order), NO relaxation, one GFN2-xTB
  single point for the charges, point-charge estimate (~1 s per complex). Cheaper by ~10x, so that
  thousands of complexes fit on a 2-core machine; its rows say so (kd_mode, geometry_provenance "rdkit").
* "axial-mapped": the geometry whose Dy-L distance is computed, not fixed per class (docs/geometry.md): the
  lowest-energy ligand conformer (builder "search"), GFN2-xTB with the axial ligands free, each distance
  mapped onto the DFT references; point-charge estimate on that geometry (~8 s per complex). Within a donor
  class the first gap follows this distance, which the two modes above fix.

Ligands are drawn stratified over the 4 donor classes (equal numbers, seeded) and processed in an
interleaved class order, so a build stopped early is still stratified. Every finished ligand (result or
error) is appended to a JSONL cache (flushed per line) and the output table is rewritten atomically
every `write_every` ligands: a crash or a kill loses at most the ligand in progress.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.atomic import atomic_path
from gauss_core.errors import GaussError
from gauss_core.modes import KDMode

MODES = tuple(KDMode)
# (characterise relax mode, template builder) of each mode: how its complexes are made
MODE_GEOMETRY = {KDMode.TEMPLATE_SP: ("none", "rdkit"), KDMode.RELAXED: ("constrained", "auto"),
                 KDMode.AXIAL_MAPPED: ("axial-mapped", "search")}
N_CLASSES = 4
CACHE_VERSION = 1

MAPPING_COLUMNS = (C.LIGAND_ID, C.SMILES, C.CANONICAL, C.DONOR_ELEMENT, C.CHARGE, C.LIGAND_CLASS,
                   *C.STRUCT_COLUMNS, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE, C.KD_MODE, C.GEOMETRY_PROVENANCE,
                   C.CHARGES_PROVENANCE, "g_x", "g_y", "g_z", "flags", "seconds")
ERROR_COLUMNS = (C.LIGAND_ID, C.SMILES, C.LIGAND_CLASS, C.KD_MODE, "error")


@dataclass(frozen=True)
class KDMapConfig:
    """Settings of a KD mapping build.

    Attributes:
        n_ligands: ligands to process (split equally over the 4 classes; paper: >= 1k labelled).
        mode: "template-sp" or "relaxed" (see module docstring).
        seed: seeds the stratified draw.
        out: output table (CSV.GZ) of successful rows; errors go to `<out stem>_errors.csv`.
        cache_dir: JSONL caches (default GAUSS_HOME/kdmap).
        write_every: rewrite the output after this many new ligands.
        shard, n_shards: process only ligands with index % n_shards == shard (several processes).
        reverse: walk the shard's ligands from the end (a second process on the same shard meets the first
            in the middle; both skip ligands the other finished, re-read every `write_every` ligands).
    """

    n_ligands: int = 2400
    mode: str = KDMode.TEMPLATE_SP.value
    seed: int = 0
    out: Path = field(default_factory=lambda: paths.KD_MAPPING_SET)
    cache_dir: Path | None = None
    write_every: int = 25
    shard: int = 0
    n_shards: int = 1
    reverse: bool = False

    def validate(self) -> None:
        if self.mode not in MODES:
            raise GaussError(f"unknown KD mapping mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if self.n_ligands < N_CLASSES:
            raise GaussError(f"--n {self.n_ligands} is too small: the set is stratified over {N_CLASSES} classes")
        if not 0 <= self.shard < self.n_shards:
            raise GaussError(f"shard {self.shard} must lie in 0..{self.n_shards - 1}")
        if self.mode != KDMode.TEMPLATE_SP and Path(self.out).resolve() == paths.KD_MAPPING_SET.resolve():
            raise GaussError(f"mode {self.mode} would overwrite the bundled template-sp set {paths.KD_MAPPING_SET}; "
                             f"write it to its own file (--out {default_out(self.mode)})")

    def cache_path(self) -> Path:
        base = Path(self.cache_dir) if self.cache_dir else paths.gauss_home() / "kdmap"
        rev = "rev" if self.reverse else ""
        return base / (f"kd_mapping_v{CACHE_VERSION}_{self.mode}_seed{self.seed}_"
                       f"shard{self.shard}of{self.n_shards}{rev}.jsonl")

    def cache_glob(self) -> list[Path]:
        """Every shard cache of this mode and seed (the output merges them all)."""
        base = Path(self.cache_dir) if self.cache_dir else paths.gauss_home() / "kdmap"
        return sorted(base.glob(f"kd_mapping_v{CACHE_VERSION}_{self.mode}_seed{self.seed}_shard*.jsonl"))

    @property
    def errors_path(self) -> Path:
        name = Path(self.out).name.replace(".csv.gz", "").replace(".csv", "")
        return Path(self.out).with_name(f"{name}_errors.csv")


def default_out(mode: str) -> Path:
    """Where a build of `mode` writes by default: each geometry keeps its own table."""
    return {KDMode.TEMPLATE_SP.value: paths.KD_MAPPING_SET, KDMode.AXIAL_MAPPED.value: paths.KD_MAPPING_AXIAL}.get(
        str(mode), paths.ASSETS / "kd" / f"kd_mapping_{str(mode).replace('-', '_')}.csv.gz")


def select_ligands(ligands: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Stratified draw: n // 4 ligands of each class (all of a class if it has fewer), seeded, returned in
    interleaved class order (class 1, 2, 3, 4, 1, 2, ...) so that any prefix is stratified too.

    Args:
        ligands: a ligand set (columns.LIGAND_COLUMNS).
    """
    per_class = max(1, n // N_CLASSES)
    groups = []
    for cls in sorted(ligands[C.LIGAND_CLASS].unique()):
        g = ligands[ligands[C.LIGAND_CLASS] == cls]
        g = g.sample(n=min(per_class, len(g)), random_state=seed).reset_index(drop=True)
        g["_rank"] = np.arange(len(g))
        groups.append(g)
    out = pd.concat(groups, ignore_index=True).sort_values(["_rank", C.LIGAND_CLASS], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def estimate_ligand(smiles: str, mode: str = KDMode.TEMPLATE_SP.value, calibrated=None) -> dict:
    """Assemble one complex and estimate its KDs.

    Returns:
        dict with the 6 structural descriptors, 7 gaps, kd_provenance, kd_mode, geometry and charge
        provenance, ground-KD g values, flags and seconds.
    Raises:
        GaussError (AssemblyError, RelaxationError, InvalidSmilesError, MissingProgramError).
    """
    return estimate_ligand_all(smiles, mode, (calibrated,))[0]


def estimate_ligand_all(smiles: str, mode: str = KDMode.TEMPLATE_SP.value,
                        calibrated: Sequence = (None,)) -> list[dict]:
    """Assemble one complex once and estimate its KDs with each estimator: None = cf-pointcharge, or a
    CalibratedModel. One estimate_ligand row per estimator, in order; the build (and the xtb charges) are
    shared, and `seconds` is the time of the whole call.
    """
    from gauss_core.kd.characterise import characterise

    if mode not in MODES:
        raise GaussError(f"unknown KD mapping mode {mode!r}: choose one of {', '.join(MODES)}")
    # The bundled set's rows were validated when the set was built; the map keeps every one of them.
    relax, builder = MODE_GEOMETRY[KDMode(mode)]
    result = characterise(smiles, relax, builder=builder, estimators=calibrated, validate=False)
    if result.estimate_error is not None:
        raise GaussError(result.estimate_error)
    rows = []
    for est in result.estimates:
        row = est.to_row()
        row.update(result.descriptors)
        row[C.KD_MODE] = mode
        row["seconds"] = round(result.seconds, 3)
        rows.append(row)
    return rows


def read_cache(path: Path) -> list[dict]:
    """Records of a JSONL cache; a cut last line (crash mid-write) is ignored."""
    if not Path(path).exists():
        return []
    out = []
    with open(path) as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def _append(path: Path, record: dict) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(record, default=float) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    # 0o644: the bundled table is meant to be readable by everyone
    with atomic_path(path, mode=0o644) as tmp:
        frame.to_csv(tmp, index=False, compression="gzip" if str(path).endswith(".gz") else None)


def tables_from_records(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(successful rows with MAPPING_COLUMNS, error rows with ERROR_COLUMNS); the last record per SMILES wins."""
    ok = [r for r in records if not r.get("error")]
    bad = [r for r in records if r.get("error")]
    done = pd.DataFrame(ok).reindex(columns=list(MAPPING_COLUMNS))
    done = done.drop_duplicates(C.SMILES, keep="last").reset_index(drop=True)
    errors = pd.DataFrame(bad).reindex(columns=list(ERROR_COLUMNS))
    errors = errors[~errors[C.SMILES].isin(set(done[C.SMILES]))].drop_duplicates(C.SMILES, keep="last")
    return done, errors.reset_index(drop=True)


def write_outputs(config: KDMapConfig) -> tuple[int, int]:
    """Merge every shard cache into the output table (+ errors CSV). Returns (rows, errors)."""
    records = [r for p in config.cache_glob() for r in read_cache(p)]
    done, errors = tables_from_records(records)
    _write_csv_atomic(done, Path(config.out))
    _write_csv_atomic(errors, config.errors_path)
    return len(done), len(errors)


@dataclass
class KDMapStatus:
    """Progress of a build: planned ligands, done (estimated), failed, and per-class done counts."""

    planned: int
    done: int
    failed: int
    per_class: dict[int, int]
    seconds_per_ligand: float
    out: Path

    def line(self) -> str:
        classes = ", ".join(f"class {k}: {v}" for k, v in sorted(self.per_class.items()))
        return (f"{self.done} of {self.planned} ligands estimated, {self.failed} failed ({classes}); "
                f"{self.seconds_per_ligand:.2f} s per ligand; output {self.out}")


def build_kd_mapping(config: KDMapConfig, ligands: pd.DataFrame | None = None,
                     log: Callable[[str], None] = print, max_seconds: float | None = None) -> KDMapStatus:
    """Build (or resume) the KD mapping set.

    Args:
        config: KDMapConfig.
        ligands: the ligand set (default: the bundled one).
        log: progress lines.
        max_seconds: stop (resumably) after this long.
    Returns:
        KDMapStatus after the final write.
    """
    from gauss_core.ligands import load_ligand_set

    config.validate()
    ligands = load_ligand_set() if ligands is None else ligands
    plan = select_ligands(ligands, config.n_ligands, config.seed)
    cache = config.cache_path()
    cache.parent.mkdir(parents=True, exist_ok=True)
    seen = {r[C.SMILES] for p in config.cache_glob() for r in read_cache(p)}
    todo = [row for i, row in enumerate(plan.itertuples(index=False))
            if i % config.n_shards == config.shard and getattr(row, C.SMILES) not in seen]
    if config.reverse:
        todo.reverse()
    log(f"KD mapping ({config.mode}): {len(plan)} planned, {len(seen)} already in the cache, "
        f"{len(todo)} to do in shard {config.shard}/{config.n_shards}{' (reverse)' if config.reverse else ''}")
    t_start = time.perf_counter()
    new = 0
    for row in todo:
        smi = getattr(row, C.SMILES)
        if smi in seen:
            continue
        base = {C.LIGAND_ID: int(getattr(row, C.LIGAND_ID)), C.SMILES: smi,
                C.CANONICAL: getattr(row, C.CANONICAL), C.DONOR_ELEMENT: getattr(row, C.DONOR_ELEMENT),
                C.CHARGE: int(getattr(row, C.CHARGE)), C.LIGAND_CLASS: int(getattr(row, C.LIGAND_CLASS)),
                C.KD_MODE: config.mode}
        try:
            record = {**base, **estimate_ligand(smi, config.mode)}
        except GaussError as exc:
            record = {**base, "error": str(exc)[:500]}
        except Exception as exc:  # an unexpected failure of one ligand must not stop the batch
            record = {**base, "error": f"{type(exc).__name__}: {str(exc)[:400]}"}
        _append(cache, record)
        new += 1
        seen.add(smi)
        if new % config.write_every == 0:
            seen |= {r[C.SMILES] for p in config.cache_glob() for r in read_cache(p)}  # other processes' work
            n_ok, n_bad = write_outputs(config)
            rate = (time.perf_counter() - t_start) / new
            log(f"{n_ok} estimated, {n_bad} failed ({rate:.2f} s per ligand)")
        if max_seconds is not None and time.perf_counter() - t_start > max_seconds:
            log(f"stopping after {max_seconds:.0f} s (resume with the same command)")
            break
    write_outputs(config)
    return kd_mapping_status(config, ligands, spent=(time.perf_counter() - t_start) / max(new, 1))


def kd_mapping_status(config: KDMapConfig, ligands: pd.DataFrame | None = None,
                      spent: float | None = None) -> KDMapStatus:
    """Progress of the build described by `config`, from its caches."""
    records = [r for p in config.cache_glob() for r in read_cache(p)]
    done, errors = tables_from_records(records)
    per_class = {int(k): int(v) for k, v in done[C.LIGAND_CLASS].value_counts().items()} if len(done) else {}
    secs = float(pd.to_numeric(done["seconds"], errors="coerce").mean()) if len(done) else float("nan")
    return KDMapStatus(planned=config.n_ligands, done=len(done), failed=len(errors), per_class=per_class,
                       seconds_per_ligand=spent if spent is not None else secs, out=Path(config.out))


def load_kd_mapping(path: Path | str = paths.KD_MAPPING_SET) -> pd.DataFrame:
    """The KD mapping table (smiles, class, structure, 7 gaps, kd_provenance, kd_mode, ...).

    Raises:
        GaussError: the file does not exist (build it with `gauss kdmap build`).
    """
    path = Path(path)
    if not path.exists():
        raise GaussError(f"no KD mapping set at {path}: build it with `gauss kdmap build` (runs for hours; "
                         "resumable) or pass --kd-mapping")
    df = pd.read_csv(path)
    missing = [c for c in (C.SMILES, C.KD_GAP_COLUMNS[0], C.KD_PROVENANCE) if c not in df.columns]
    if missing:
        raise GaussError(f"{path} lacks columns {missing}: rebuild it with `gauss kdmap build`")
    return df


def with_casscf(mapping: pd.DataFrame, casscf: pd.DataFrame | None) -> pd.DataFrame:
    """The mapping table with CASSCF gaps (from the queue: jobs.merge_kd_results) put in place of the
    estimate where a ligand has both; the estimate is kept in `est_kd_gap*_cm1` columns for comparison.
    CASSCF-only ligands are appended. `kd_provenance` always names the source of the kd_gap columns."""
    out = mapping.copy()
    for col in C.KD_GAP_COLUMNS:
        out[f"est_{col}"] = out[col]
    out["est_kd_provenance"] = out[C.KD_PROVENANCE]
    if casscf is None or len(casscf) == 0:
        return out
    cas = casscf.drop_duplicates(C.SMILES, keep="last").set_index(C.SMILES)
    hit = out[C.SMILES].isin(cas.index)
    for col in (*C.KD_GAP_COLUMNS, C.KD_PROVENANCE):
        out.loc[hit, col] = cas.loc[out.loc[hit, C.SMILES], col].to_numpy()
    extra = cas.loc[~cas.index.isin(out[C.SMILES])].reset_index()
    extra = extra[[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE]]
    return pd.concat([out, extra], ignore_index=True)


def pick_casscf_ligands(mapping: pd.DataFrame, n: int = 100, seed: int = 0) -> pd.DataFrame:
    """A stratified pick for CASSCF: n // 4 per class, spread evenly over each class's range of the
    estimated first gap (evenly spaced ranks after sorting), so the CASSCF set spans classes and range.

    Args:
        mapping: the KD mapping table (estimates).
    """
    est = mapping.dropna(subset=[C.KD_GAP_COLUMNS[0]])
    est = est[~est[C.KD_PROVENANCE].map(provenance.is_casscf).astype(bool)]
    per = max(1, n // N_CLASSES)
    picks = []
    for _, g in est.groupby(C.LIGAND_CLASS):
        g = g.sample(frac=1.0, random_state=seed).sort_values(C.KD_GAP_COLUMNS[0], kind="stable")
        idx = np.unique(np.round(np.linspace(0, len(g) - 1, min(per, len(g)))).astype(int))
        g = g.iloc[idx].reset_index(drop=True)
        g["_rank"] = spread_order(len(g))
        picks.append(g)
    if not picks:
        raise GaussError("the KD mapping set has no estimated rows to pick CASSCF ligands from: build it first")
    # Queue order = run order: classes interleaved and each class's range covered coarse-to-fine, so that
    # the results finished by any time span the classes and the range.
    out = pd.concat(picks, ignore_index=True).sort_values(["_rank", C.LIGAND_CLASS], kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def spread_order(n: int) -> np.ndarray:
    """Rank of each of n sorted items in a coarse-to-fine order (ends and middle first, then the gaps):
    position i gets the rank of i in the van der Corput (bit-reversal) ordering of [0, 1)."""
    def vdc(k: int) -> float:
        x, denom = 0.0, 1.0
        while k:
            denom *= 2
            k, bit = divmod(k, 2)
            x += bit / denom
        return x

    if n <= 2:
        return np.arange(n)
    targets = [vdc(k) for k in range(4 * n)]          # 0, .5, .25, .75, ... over [0, 1)
    order, taken = [], set()
    for t in [1.0, *targets]:                            # the top end too (vdc never reaches 1)
        i = int(round(t * (n - 1)))
        if i not in taken:
            taken.add(i)
            order.append(i)
    order += [i for i in range(n) if i not in taken]
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    return rank


def enqueue_casscf(store, picks: pd.DataFrame, params: dict | None = None) -> list:
    """Queue one 'casscf' job per picked ligand (the same ligand+params again returns the existing job).

    Args:
        store: gauss_core.jobs.JobStore.
        picks: rows with a smiles column (pick_casscf_ligands).
    Returns:
        The Job objects.
    """
    return [store.enqueue("casscf", str(s), dict(params or {})) for s in picks[C.SMILES]]
