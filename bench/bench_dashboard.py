"""Dashboard benchmarks: LP sampling throughput (what the Sampling page runs) and page load to drawn map.

Prints:
  1. LP sampling end to end, 55k attempts from one seed (decode + RDKit validity + canonical + novelty +
     uniqueness + predicted proxies of new rows), in the page's batch size; target <= 10 s.
  2. Time from opening the Latent space page in headless Chromium to the drawn map, with the bundled ligand
     set, after the model and the map are cached by a first visit; target <= 3 s.

Usage:
  .venv/bin/python bench/bench_dashboard.py [--checkpoint PATH] [--ligand-set PATH] [--skip-browser]
  Without a trained checkpoint at the default path it trains (once, into GAUSS_HOME/bench/) a throw-away
  model for 1 epoch on a subset of the bundled set chosen to cover its whole vocabulary and maximum
  length, so that the tensor shapes (and therefore the model's timings) are those of the real model, and
  says so in its output (--no-standin refuses instead).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gauss_core import columns as C  # noqa: E402
from gauss_core import paths  # noqa: E402


def standin_checkpoint(ligand_set: Path, out: Path) -> Path:
    """Train 1 epoch on ~3k ligands covering every token and the maximum length of the set."""
    import numpy as np

    from gauss_core.ligands import load_ligand_set, write_ligand_set
    from gauss_core.tokens import tokenize
    from gauss_core.train import TrainConfig, train_from_files

    df = load_ligand_set(ligand_set)
    toks = [tokenize(s) for s in df[C.SMILES]]
    lengths = np.array([len(t) for t in toks])
    keep = set(np.flatnonzero(lengths == lengths.max())[:20])
    first_with: dict[str, int] = {}
    for i, t in enumerate(toks):
        for tok in t:
            first_with.setdefault(tok, i)
    keep |= set(first_with.values())
    keep |= set(np.random.default_rng(0).choice(len(df), 3000, replace=False))
    subset = df.iloc[sorted(keep)]
    sub_path = out.with_suffix(".ligands.csv.gz")
    write_ligand_set(subset, sub_path)
    train_from_files(sub_path, out, (), TrainConfig(n_test=200, max_epochs=1, device="cpu", threads=1,
                                                    progress=False), log=lambda m: None)
    return out


def bench_sampling(checkpoint: Path, ligand_set: Path, attempts: int, batch_size: int, seed_smiles: str) -> None:
    import torch

    from gauss_core.ligands import load_ligand_set
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.sampling import LPConfig, LPSampler, encode_seeds, training_reference

    torch.set_num_threads(1)
    loaded = load_checkpoint(checkpoint)
    ligands = load_ligand_set(ligand_set)
    t0 = time.perf_counter()
    reference = training_reference(loaded, ligands)
    t_ref = time.perf_counter() - t0
    sampler = LPSampler.from_model(loaded, reference)
    z = encode_seeds(loaded, [seed_smiles])
    sampler.run([seed_smiles], z, LPConfig(sigma=0.3, attempts_per_seed=200, batch_size=200))  # warm-up
    sampler = LPSampler.from_model(loaded, reference)  # fresh RDKit memo: measure the cold path
    decode_s = 0.0
    inner = sampler.decode

    def timed_decode(zz):
        nonlocal decode_s
        t = time.perf_counter()
        out = inner(zz)
        decode_s += time.perf_counter() - t
        return out

    sampler.decode = timed_decode
    t0, c0 = time.perf_counter(), time.process_time()
    result = sampler.run([seed_smiles], z, LPConfig(sigma=0.3, attempts_per_seed=attempts, batch_size=batch_size,
                                                    random_seed=0))
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    c = result.counters
    print(f"LP sampling: {c.attempts:,} attempts from {seed_smiles} at sigma 0.3, batch {batch_size}: "
          f"{total:.2f} s end to end ({c.attempts / total:,.0f} attempts/s; decode {decode_s:.2f} s, "
          f"RDKit + counting {total - decode_s:.2f} s) -> valid {c.valid:,}, novel {c.novel:,}, unique {c.unique:,}"
          f"  [target <= 10 s]")
    print(f"  CPU time of the run {cpu:.2f} s on 1 thread (= wall time on an idle core); machine load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  (novelty reference of {len(reference):,} training molecules built once in {t_ref:.2f} s; "
          f"checkpoint {checkpoint.name}, max_len {loaded.vocab.max_len}, vocab {loaded.vocab.size})")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def cpu_seconds(marker: str | None = None, pids: tuple[int, ...] = (), also: str | None = None) -> float:
    """User + system CPU seconds of the processes whose command line contains `marker` (and `also`, when
    given), plus `pids`."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            pid = int(entry)
            if pid not in pids:
                if marker is None:
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmdline = fh.read()
                if marker.encode() not in cmdline or (also is not None and also.encode() not in cmdline):
                    continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_page_load(checkpoint: Path, ligand_set: Path, repeats: int = 3) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("page load: skipped (playwright is a test dependency: `make setup-test` installs it)")
        return
    if not Path(CHROMIUM).exists():
        print(f"page load: skipped ({CHROMIUM} missing: `make setup-test` installs Debian chromium)")
        return

    port = free_port()
    # GAUSS_HOME as the user's: the latent-map cache (keyed by checkpoint + set) is reused between runs.
    env = {**os.environ, "GAUSS_CHECKPOINT": str(checkpoint), "GAUSS_LIGAND_SET": str(ligand_set),
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.address",
                             "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        profile = tempfile.mkdtemp(prefix="gauss_bench_chromium_")
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.locator("[data-testid=stSidebarNav] a", has_text="Latent space").first.click()
            page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=900_000)
            print(f"first visit (loads the model, encodes the set or reads the cached map): "
                  f"{time.perf_counter() - t0:.1f} s")
            page.close()
            times, busy, cpu, server_cpu, gpu_cpu = [], [], [], [], []
            for _ in range(repeats):
                page = context.new_page()  # a new Streamlit session each time
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                c0 = cpu_seconds(profile, (proc.pid,))
                s0, g0 = cpu_seconds(None, (proc.pid,)), cpu_seconds(profile, also="--type=gpu-process")
                t0 = time.perf_counter()
                page.goto(f"{url}/latent")
                page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=300_000)
                page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
                times.append(time.perf_counter() - t0)
                cpu.append(cpu_seconds(profile, (proc.pid,)) - c0)
                server_cpu.append(cpu_seconds(None, (proc.pid,)) - s0)
                gpu_cpu.append(cpu_seconds(profile, also="--type=gpu-process") - g0)
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                busy.append(metrics.get("TaskDuration", float("nan")))
                points = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData"
                                       ".reduce((n, t) => n + (t.x ? t.x.length : 0), 0)")
                page.close()
            # The usual path: the app is open (Home), the user clicks "Latent space" in the sidebar.
            switch, switch_cpu = [], []
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("h1:has-text('GAUSS Studio')", timeout=120_000)
            for _ in range(repeats):
                page.locator("[data-testid=stSidebarNav] a", has_text="Home").first.click()
                page.wait_for_selector("h1:has-text('GAUSS Studio')", timeout=120_000)
                page.wait_for_timeout(1000)
                c0 = cpu_seconds(profile, (proc.pid,))
                t0 = time.perf_counter()
                page.locator("[data-testid=stSidebarNav] a", has_text="Latent space").first.click()
                page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=300_000)
                page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
                switch.append(time.perf_counter() - t0)
                switch_cpu.append(cpu_seconds(profile, (proc.pid,)) - c0)
            context.close()
        load1 = os.getloadavg()[0]
        print(f"page switch Home -> Latent space -> drawn map (app open, model cached): best {min(switch):.2f} s, "
              f"median {sorted(switch)[len(switch) // 2]:.2f} s; CPU spent best {min(switch_cpu):.2f} s"
              f"  [target <= 3 s]")
        print(f"page load -> drawn map (Latent space, {points:,} WebGL points, model cached): "
              f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s over {repeats} loads"
              f"  [target <= 3 s]")
        print(f"  CPU spent per load (all Chromium processes + the Streamlit server): best {min(cpu):.2f} s, "
              f"median {sorted(cpu)[len(cpu) // 2]:.2f} s (Streamlit server {min(server_cpu):.2f} s, software-WebGL "
              f"GPU process {min(gpu_cpu):.2f} s); browser main-thread task time {min(busy):.2f} s; "
              f"machine load average {load1:.1f} on {os.cpu_count()} cores (wall time rises with other jobs)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    ap.add_argument("--ligand-set", type=Path, default=paths.LIGAND_SET)
    ap.add_argument("--no-standin", action="store_true",
                    help="fail instead of training a shape-faithful stand-in when there is no checkpoint")
    ap.add_argument("--attempts", type=int, default=55_000)
    ap.add_argument("--batch-size", type=int, default=5_000)
    ap.add_argument("--seed", default="[O-]c1ccccc1")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--skip-sampling", action="store_true")
    args = ap.parse_args()
    checkpoint = args.checkpoint
    if not checkpoint.exists():
        if args.no_standin:
            print(f"no checkpoint at {checkpoint}: train one (`gauss train`)")
            return 1
        print(f"NOTE: no checkpoint at {checkpoint}; timing a shape-faithful stand-in instead")
        checkpoint = paths.gauss_home() / "bench" / "standin.pt"
        if not checkpoint.exists():
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            standin_checkpoint(args.ligand_set, checkpoint)
            print(f"stand-in checkpoint trained in {time.perf_counter() - t0:.0f} s (1 epoch; NOT the product model)")
        print(f"using the stand-in checkpoint {checkpoint} (untrained shapes-only model, not the product model)")
    if not args.skip_sampling:
        bench_sampling(checkpoint, args.ligand_set, args.attempts, args.batch_size, args.seed)
    if not args.skip_browser:
        bench_page_load(checkpoint, args.ligand_set)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
