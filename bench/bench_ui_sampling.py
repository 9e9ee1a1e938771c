"""LP sampling throughput: `gauss sample` against the dashboard's path, same seeds, attempts and batch size.

Prints attempts/s of
  1. `gauss sample` (a subprocess, as a user runs it): the sampling time it reports itself (decode, RDKit,
     counters, predicted proxies, CSV), and its wall time including start-up and model load;
  2. the dashboard path as the Sampling page uses it: gauss_app.sampling_runner.start (the server thread that
     runs gauss_core.session.sampling_run.sample_into_session: batches into the session store in GAUSS_HOME,
     projected onto the latent map when the map is cached), while a reader polls the store once a second as
     the page's fragment does (new rows, counters); timed from Start to the run's end;
and their ratio (issue 14: the dashboard within 1.5x of the CLI). Both use one torch thread.

Usage:
  .venv/bin/python bench/bench_ui_sampling.py [--seed SMILES ...] [--attempts N] [--batch-size B]
      [--sigma S] [--checkpoint PATH] [--map-cache DIR]
The machine is shared: run both back to back (as here) and compare their ratio, not absolute figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gauss_core import paths  # noqa: E402


def bench_cli(args, home: Path) -> tuple[float, float, int]:
    """(attempts/s by the CLI's own timing, attempts/s by wall time, attempts)."""
    cmd = [sys.executable, "-m", "gauss_core", "sample", "--attempts", str(args.attempts), "--batch-size",
           str(args.batch_size), "--sigma", str(args.sigma), "--checkpoint", str(args.checkpoint),
           "--out", str(home / "cli.csv")]
    for s in args.seeds:
        cmd += ["--seed", s]
    env = dict(os.environ, GAUSS_HOME=str(home), OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    m = re.search(r"(\d+) attempts in ([\d.]+) s", out.stdout)
    if m is None:
        raise SystemExit(f"unexpected `gauss sample` output: {out.stdout}\n{out.stderr}")
    n, secs = int(m.group(1)), float(m.group(2))
    return n / secs, n / wall, n


def bench_dashboard(args, home: Path) -> tuple[float, int, int, str, float]:
    """(attempts/s, attempts, rows stored, projection note) of the runner the Sampling page starts, and the
    attempts/s of the CLI's sampling loop (LPSampler.run) in this process just before, for a like-for-like
    comparison without the CLI's start-up and CSV."""
    import torch

    from gauss_core.latent.pca import cache_path, file_hash, load_latent_map, smiles_hash
    from gauss_core.ligands import load_ligand_set
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.sampling import LPConfig, LPSampler, encode_seeds, training_reference
    from gauss_core.session import SessionStore
    from gauss_app import sampling_runner

    torch.set_num_threads(1)
    loaded = load_checkpoint(args.checkpoint)
    ligands = load_ligand_set()
    reference = training_reference(loaded, ligands)
    z = encode_seeds(loaded, args.seeds)
    config = LPConfig(sigma=args.sigma, attempts_per_seed=args.attempts, batch_size=args.batch_size, random_seed=0)
    t0 = time.perf_counter()
    LPSampler.from_model(loaded, reference).run(args.seeds, z, config)   # the CLI's loop, without its CSV
    loop_rate = config.attempts_per_seed * len(args.seeds) / (time.perf_counter() - t0)
    sampler = LPSampler.from_model(loaded, reference)   # fresh: no canonical-SMILES cache warmed by the loop
    map_file = cache_path(file_hash(loaded.path), smiles_hash(ligands["smiles"].astype(str).tolist()),
                          args.map_cache)
    project, note = None, f"no cached latent map at {map_file} (run `gauss map`): rows not projected"
    if map_file.exists():
        project, note = load_latent_map(map_file).project, "rows projected onto the cached latent map"
    session = SessionStore(home).open("bench")
    done = threading.Event()

    def poll() -> None:   # what the page's fragment reads while the run goes on
        have = 0
        reader = SessionStore(home).open("bench")
        while not done.is_set():
            have += len(reader.samples(start=have)[0])
            reader.last_run()
            time.sleep(1.0)

    reader = threading.Thread(target=poll, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    run_id = sampling_runner.start(sampler, session, args.seeds, z, config, project)
    sampling_runner.wait(session, run_id)
    secs = time.perf_counter() - t0
    done.set()
    reader.join()
    run = session.run(run_id) or {}
    if run.get("status") != "finished":
        raise SystemExit(f"dashboard run ended {run.get('status')}: {run.get('error')}")
    return run["done"] / secs, run["done"], session.n_samples(), note, loop_rate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", dest="seeds", action="append", default=None, metavar="SMILES")
    p.add_argument("--attempts", type=int, default=20000, help="attempts per seed (default 20000)")
    p.add_argument("--batch-size", type=int, default=1000, help="the CLI's and the page's default, 1000")
    p.add_argument("--sigma", type=float, default=0.3)
    p.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    p.add_argument("--map-cache", type=Path, default=None, help="folder of the cached latent map "
                   "(default GAUSS_HOME/cache)")
    args = p.parse_args()
    args.seeds = args.seeds or ["[O-]c1ccccc1"]
    args.map_cache = args.map_cache or paths.gauss_home() / "cache"
    with tempfile.TemporaryDirectory(prefix="gauss_bench_ui_") as tmp:
        home = Path(tmp)
        print(f"seeds {args.seeds}, {args.attempts} attempts per seed, batch {args.batch_size}, sigma {args.sigma}, "
              f"1 torch thread; load average {os.getloadavg()[0]:.2f}")
        cli_rate, cli_wall_rate, n_cli = bench_cli(args, home)
        print(f"gauss sample      : {cli_rate:8.0f} attempts/s ({n_cli} attempts; {cli_wall_rate:.0f}/s counting "
              "start-up and model load)")
        ui_rate, n_ui, rows, note, loop_rate = bench_dashboard(args, home)
        print(f"LPSampler.run     : {loop_rate:8.0f} attempts/s (the CLI's loop in this process, no CSV)")
        print(f"dashboard runner  : {ui_rate:8.0f} attempts/s ({n_ui} attempts, {rows} rows stored in the session; "
              f"{note})")
        print(f"ratio CLI/dashboard: {cli_rate / ui_rate:.2f}x, loop/dashboard: {loop_rate / ui_rate:.2f}x "
              f"(target <= 1.5x); load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
