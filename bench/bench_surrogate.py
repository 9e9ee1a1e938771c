"""Benchmark: KD surrogate fit + group-CV, cache hit, prediction on the whole ligand set, suggest ranking.

Target (issue 14): refit in seconds; predictions for every ligand of the set. The latent map of the set is
read from (or written to) GAUSS_HOME/cache like the dashboard's; the first run encodes the set (minutes).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_surrogate.py [--limit 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from gauss_core import paths  # noqa: E402
from gauss_core.jobs import all_kd_results  # noqa: E402
from gauss_core.latent.pca import load_or_build_latent_map  # noqa: E402
from gauss_core.ligands import load_ligand_set  # noqa: E402
from gauss_core.model.checkpoint import load_checkpoint  # noqa: E402
from gauss_core.surrogate import (SurrogateConfig, classes_from_ligand_set, fit_kd_surrogate,  # noqa: E402
                                  load_or_fit_kd_surrogate)
from gauss_core.surrogate.suggest import SuggestConfig, suggest_batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="first N ligands of the set (0: all)")
    parser.add_argument("--checkpoint", default=str(paths.DEFAULT_CHECKPOINT))
    args = parser.parse_args()
    loaded = load_checkpoint(args.checkpoint)
    rows = all_kd_results(None)
    t = time.perf_counter()
    sur = fit_kd_surrogate(loaded, rows, SurrogateConfig())
    print(f"fit + 5-fold group-CV on {sur.n_train} CASSCF results: {time.perf_counter() - t:.2f} s")
    print(f"  {sur.cv.summary() if sur.cv else 'no CV'}")
    load_or_fit_kd_surrogate(loaded, rows)
    t = time.perf_counter()
    load_or_fit_kd_surrogate(loaded, rows)
    print(f"cache hit: {time.perf_counter() - t:.3f} s")
    ligands = load_ligand_set()
    if args.limit:
        ligands = ligands.head(args.limit)
    t = time.perf_counter()
    lmap = load_or_build_latent_map(loaded, ligands["smiles"].tolist())
    print(f"latent map of {len(lmap)} ligands (cached after the first run): {time.perf_counter() - t:.1f} s")
    classes = classes_from_ligand_set(list(lmap.smiles), ligands)
    t = time.perf_counter()
    mean, std = sur.predict(lmap.z, classes)
    print(f"predict 7 gaps + std for {len(mean)} ligands: {time.perf_counter() - t:.2f} s "
          f"(first gap median {np.median(mean[:, 0]):.0f} cm-1, median std {np.median(std[:, 0]):.0f} cm-1)")
    t = time.perf_counter()
    suggest_batch(sur, lmap.z, classes, list(lmap.smiles), SuggestConfig(n=5))
    print(f"suggest 5 (maximise) over {len(mean)} ligands: {time.perf_counter() - t:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
