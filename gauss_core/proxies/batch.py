"""Batch labelling with worker processes and a resumable, append-only cache.

Every finished ligand (labelled or failed, with the reason) is appended to a JSONL cache and flushed to
disk at once, so a crash or Ctrl-C loses nothing done; a re-run skips what the cache holds. The label
table (CSV, gzip when the name ends in .gz) is rebuilt from the cache every `write_every` results and at
the end, atomically (temp file + rename), so readers never see a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gauss_core.atomic import atomic_path
from gauss_core import columns, provenance
from gauss_core.errors import DataFormatError, GaussError
from gauss_core.proxies.fast import RAW_COLUMNS, FastConfig, apply_recipe, xtb_descriptors

METHODS = ("xtb", "loprop")
LOPROP_EXTRA = ("q_donor_bond_e", "mu_donor_bond_au", "alpha_donor_bond_au3", "n_donor_bonds")
ERROR = "error"
METHOD = "label_method"


@dataclass(frozen=True)
class Labeller:
    """A labelling method defined above proxies/ (e.g. gauss_core.kd.bond_length, which needs the complex),
    run through this module's cache, workers, progress and table writing.

    key: cache key prefix; one per set of settings that changes the cached result.
    label: smiles -> dict of results (a module-level function or a functools.partial of one, so worker
        processes can receive it); raises GaussError for a per-molecule problem.
    to_frame: cache records -> label table (where settings that need no new run, e.g. a correction, apply).
    chunk: ligands handed to a worker at a time.
    """

    key: str
    label: Callable[[str], dict]
    to_frame: Callable[[list[dict]], pd.DataFrame]
    chunk: int = 1


@dataclass(frozen=True)
class BatchConfig:
    """Settings of one batch run.

    method: "xtb" (fast path) or "loprop" (OpenMolcas). workers: processes. cache_path: JSONL cache
    (default: <out>.cache.jsonl). jobs_dir: LoProp job directories (default: <out>.jobs/).
    basis: LoProp basis. write_every: rebuild the output after this many new results.
    retry_errors: re-run ligands whose cached result is an error. progress: tqdm bar on stderr.
    labeller: a Labeller that replaces `method` (its key, labelling function and table).
    """

    method: str = "xtb"
    workers: int = 2
    cache_path: Path | None = None
    jobs_dir: Path | None = None
    basis: str = "ANO-R1"
    fast: FastConfig = field(default_factory=FastConfig)
    write_every: int = 500
    retry_errors: bool = False
    progress: bool = True
    labeller: Labeller | None = None


@dataclass
class BatchSummary:
    """What a batch run did. n_cached: results found in the cache before the run."""

    n_input: int
    n_cached: int
    n_new: int
    n_ok: int
    n_failed: int
    wall_s: float
    out_path: Path
    cache_path: Path

    @property
    def rate_per_s(self) -> float:
        return self.n_new / self.wall_s if self.wall_s > 0 else float("nan")


def method_key(method: str, basis: str = "ANO-R1", fast: FastConfig | None = None) -> str:
    """Cache key prefix of a method: "xtb" (GFN2-optimised geometry), "xtb-mmff" (MMFF geometry, xtb
    program), "xtb-mmff-tblite" (MMFF geometry, tblite + dftd4) or "loprop-ANO-R1"; results of different
    settings never mix in one cache."""
    if method not in METHODS:
        raise GaussError(f"unknown labelling method {method!r}: use one of {', '.join(METHODS)}")
    if method == "xtb":
        if fast is None or fast.optimise:
            return "xtb"
        return "xtb-mmff-tblite" if fast.use_tblite() else "xtb-mmff"
    return f"loprop-{basis.upper()}"


class LabelCache:
    """Append-only JSONL cache: one record per (method, smiles); last record wins.

    The file is opened per appended record (a label takes tenths of a second or more, an open
    microseconds), so no handle needs closing and reading a cache never writes to it.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, dict] = {}
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by a crash: that ligand is redone
                        continue
                    self.records[rec["key"]] = rec
        self._cut_line = False  # a last line cut by a crash, ended before the next record
        if self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb") as raw:
                raw.seek(-1, os.SEEK_END)
                self._cut_line = raw.read(1) != b"\n"

    def append(self, record: dict) -> None:
        """Store one record durably (flush + fsync before returning)."""
        with open(self.path, "a", encoding="utf-8") as fh:
            if self._cut_line:
                fh.write("\n")
                self._cut_line = False
            fh.write(json.dumps(record, allow_nan=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.records[record["key"]] = record


def _job_dir(jobs_dir: Path, smiles: str) -> Path:
    return jobs_dir / hashlib.sha1(smiles.encode()).hexdigest()[:16]


def label_one(smiles: str, method: str, fast: FastConfig = FastConfig(), basis: str = "ANO-R1",
              jobs_dir: Path | None = None, labeller: Labeller | None = None) -> dict:
    """Label one ligand (with `labeller` when given, else by `method`); never raises for per-molecule problems.

    Returns:
        record dict: key, smiles, method, ok, error (reason or None), wall_s, and the labels/descriptors.
    """
    t0 = time.time()
    key = labeller.key if labeller is not None else method_key(method, basis, fast)
    record: dict[str, object] = {"key": f"{key}:{smiles}", "smiles": smiles, "method": key}
    try:
        if labeller is not None:
            record.update(labeller.label(smiles))
        elif method == "xtb":
            record.update(xtb_descriptors(smiles, fast))  # raw only: the recipe is applied on output
        else:
            from gauss_core.chem import mol_from_smiles
            from rdkit import Chem
            from gauss_core.proxies.loprop import run_loprop_job
            charge = Chem.GetFormalCharge(mol_from_smiles(smiles))
            root = Path(jobs_dir) if jobs_dir else Path("loprop_jobs")
            record.update(run_loprop_job(smiles, charge, _job_dir(root, smiles), basis=basis))
        record["ok"], record[ERROR] = True, None
    except GaussError as exc:
        record["ok"], record[ERROR] = False, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # unexpected per-molecule failure: recorded with its traceback tail
        tail = traceback.format_exc().strip().splitlines()[-3:]
        record["ok"], record[ERROR] = False, f"{type(exc).__name__}: {exc} ({' | '.join(tail)})"
    record["wall_s"] = round(time.time() - t0, 3)
    return record


def _work(args: tuple) -> dict:
    smiles, method, fast, basis, jobs_dir, labeller = args
    return label_one(smiles, method, fast, basis, jobs_dir, labeller)


def _exit_worker(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _init_worker() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and keeps the cache
    signal.signal(signal.SIGTERM, _exit_worker)  # pool.terminate(): end quietly, killing child programs


def records_to_frame(records: Iterable[dict]) -> pd.DataFrame:
    """Label table from cache records: one row per smiles, label columns NaN where missing."""
    rows = []
    for rec in records:
        row = {columns.SMILES: rec["smiles"], METHOD: rec.get("method"), ERROR: rec.get(ERROR)}
        is_xtb = str(rec.get("method", "")).startswith("xtb")
        labels = apply_recipe(rec) if is_xtb and rec.get("ok") else rec
        for col in (columns.DONOR_Z, columns.Q_DONOR, columns.MU_DONOR, columns.ALPHA_DONOR):
            row[col] = labels.get(col, rec.get(col, math.nan))
        if is_xtb:
            row.update({k: v for k, v in labels.items() if k not in row and k != "provenance"})
        row[columns.PROVENANCE] = labels.get("provenance") or (
            provenance.XTB_GFN2 if is_xtb else provenance.OPENMOLCAS_LOPROP)
        extra = RAW_COLUMNS + ("ligand_charge", "geometry_method", "gfn2_backend") if is_xtb else (
            LOPROP_EXTRA + ("basis", "geometry_method", "wall_s"))
        for col in extra:
            row[col] = rec.get(col, math.nan)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[columns.SMILES, *columns.PROXY_COLUMNS, columns.PROVENANCE, METHOD, ERROR])
    return frame


def write_table(frame: pd.DataFrame, out_path: Path) -> None:
    """Write CSV (gzip for .gz) atomically."""
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g",
                     compression="gzip" if out_path.name.endswith(".gz") else None)


def read_smiles_file(path: Path) -> pd.DataFrame:
    """Ligands to label: a CSV/CSV.gz with a `smiles` column, or a text file with one SMILES per line."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"input file {path} does not exist: pass a CSV with a 'smiles' column")
    if path.suffix in (".smi", ".txt"):
        from gauss_core.inputs import read_smiles_rows

        return pd.DataFrame({columns.SMILES: read_smiles_rows(path, "ligand file").smiles})
    frame = pd.read_csv(path, dtype={columns.SMILES: str}, keep_default_na=False)
    if columns.SMILES not in frame.columns:
        raise DataFormatError(f"{path} has no '{columns.SMILES}' column (found: {', '.join(map(str, frame.columns))}); "
                              "rename the SMILES column to 'smiles'")
    return frame


def label_batch(smiles: list[str], out_path: Path, config: BatchConfig | None = None) -> BatchSummary:
    """Label many ligands in parallel, resumably.

    Args:
        smiles: donor-first SMILES (duplicates are labelled once).
        out_path: label table to (re)write; the cache defaults to <out_path>.cache.jsonl.
        config: BatchConfig (default: BatchConfig()).
    Returns:
        BatchSummary. Per-molecule failures are rows with an `error`, never exceptions.
    """
    config = config or BatchConfig()
    out_path = Path(out_path)
    cache_path = Path(config.cache_path or out_path.with_name(out_path.name + ".cache.jsonl"))
    jobs_dir = Path(config.jobs_dir or out_path.with_name(out_path.name + ".jobs"))
    labeller = config.labeller
    prefix = labeller.key if labeller is not None else method_key(config.method, config.basis, config.fast)
    to_frame = labeller.to_frame if labeller is not None else records_to_frame
    cache = LabelCache(cache_path)
    unique = list(dict.fromkeys(s for s in smiles if isinstance(s, str)))

    def cached(s: str) -> bool:
        rec = cache.records.get(f"{prefix}:{s}")
        return rec is not None and (rec.get("ok") or not config.retry_errors)

    todo = [s for s in unique if not cached(s)]
    n_cached = len(unique) - len(todo)
    wanted = set(unique)

    def snapshot() -> None:
        recs = [r for k, r in cache.records.items() if k.startswith(prefix + ":") and r["smiles"] in wanted]
        write_table(to_frame(recs), out_path)

    t0 = time.time()
    n_new = 0
    bar = None
    if config.progress:
        from tqdm import tqdm
        bar = tqdm(total=len(unique), initial=n_cached, unit="lig", desc=f"label {prefix}", smoothing=0.05)
    args = [(s, config.method, config.fast, config.basis, jobs_dir, labeller) for s in todo]
    pool = None
    results: Iterator[dict]
    try:
        if config.workers > 1 and len(todo) > 1:
            # forkserver, not fork: a fork of a process that runs threads (the dashboard, a test session, torch)
            # can copy a held lock into the child and hang it for good (seen once in the test suite). Nothing is
            # preloaded into the server: pandas there starts pyarrow's jemalloc background thread, and a worker
            # forked from the server then hung on a futex (seen in a CI-style run, session 11); each worker
            # imports this module itself, after its fork.
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload([])
            pool = ctx.Pool(config.workers, initializer=_init_worker)
            chunk = labeller.chunk if labeller is not None else 8 if config.method == "xtb" else 1
            results = pool.imap_unordered(_work, args, chunksize=chunk)
        else:
            results = map(_work, args)
        for rec in results:
            cache.append(rec)
            n_new += 1
            if bar is not None:
                bar.update(1)
            if n_new % config.write_every == 0:
                snapshot()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if bar is not None:
            bar.close()
        snapshot()
    recs = [cache.records[f"{prefix}:{s}"] for s in unique if f"{prefix}:{s}" in cache.records]
    n_ok = sum(1 for r in recs if r.get("ok"))
    return BatchSummary(n_input=len(unique), n_cached=n_cached, n_new=n_new, n_ok=n_ok, n_failed=len(recs) - n_ok,
                        wall_s=time.time() - t0, out_path=out_path, cache_path=cache_path)


def sample_ligands(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Seeded random subset of `n` rows, stratified by ligand_class when the column exists (each class
    keeps its share of the input; rounding is settled on the largest classes)."""
    if n >= len(frame):
        return frame.sample(frac=1.0, random_state=seed)
    if columns.LIGAND_CLASS not in frame.columns:
        return frame.sample(n=n, random_state=seed)
    shares = frame[columns.LIGAND_CLASS].value_counts()
    quota = (shares / shares.sum() * n).round().astype(int)
    quota.iloc[0] += n - int(quota.sum())
    parts = [frame[frame[columns.LIGAND_CLASS] == cls].sample(n=int(min(k, shares[cls])), random_state=seed)
             for cls, k in quota.items()]
    return pd.concat(parts).sample(frac=1.0, random_state=seed)


def merge_caches(cache_paths: list[Path], out_path: Path, method_prefix: str | None = None) -> pd.DataFrame:
    """Label table from several caches (e.g. shards run on different machines); later files win on a
    duplicate key. Args: cache_paths; out_path (written atomically); method_prefix, e.g. "loprop-ANO-R1"
    to keep one method. Returns the written frame."""
    records: dict[str, dict] = {}
    for path in cache_paths:
        records.update(LabelCache(Path(path)).records)
    chosen = [r for k, r in records.items() if method_prefix is None or k.startswith(method_prefix + ":")]
    frame = records_to_frame(chosen)
    write_table(frame, out_path)
    return frame
