"""Training and inference speed of the GAUSS-II model on this machine.

Prints training samples/s, ms per batch of 100 (wall clock and process CPU time), the projected time of
one epoch of 114k ligands, and the time to decode 55k latent samples (the dashboard's sampling load).
CPU time is printed beside wall time because this machine is shared: with other jobs running, wall
time measures the neighbours; CPU time of a 1-thread run is what the epoch costs on an idle core.

Usage: python bench/bench_train.py [--ligands PATH] [--batches 30] [--threads 1] [--native] [--decode 55000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

EPOCH_LIGANDS = 114_000
BATCH = 100


def load_smiles(path: str | None, n: int) -> list[str]:
    from gauss_core import paths
    from gauss_core.train.data import read_ligands

    p = Path(path) if path else paths.LIGAND_SET
    if not p.exists():
        from gauss_core.ligands import BuildConfig, build_ligand_set

        p = Path("/tmp/gauss_bench_ligands.csv.gz")
        if not p.exists():
            build_ligand_set(BuildConfig(limit=8000, workers=1, progress=False), out_path=p)
    frame = read_ligands(p)
    return frame["smiles"].tolist(), frame["smiles"].sample(n=min(n, len(frame)), random_state=0).tolist(), str(p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ligands", default=None, help="ligand set (default: bundled, else built from QM9)")
    ap.add_argument("--batches", type=int, default=30, help="timed training batches (after 3 warm-up)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--native", action="store_true", help="use PyTorch's own GRU backward instead of fastgru")
    ap.add_argument("--decode", type=int, default=55_000, help="latent samples to decode (0 = skip)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    import gauss_core.model.vae as vae
    from gauss_core.model.checkpoint import LoadedModel
    from gauss_core.model.loss import gauss_loss
    from gauss_core.tokens import Vocabulary

    vae.FAST_CPU_GRU = not args.native
    all_smiles, smiles, src = load_smiles(args.ligands, (args.batches + 3) * BATCH)
    n_set = len(all_smiles)
    vocab = Vocabulary.from_smiles(all_smiles)  # the whole set fixes the real sequence length
    tokens = torch.from_numpy(vocab.encode_batch(smiles))
    n = len(tokens)
    g = torch.Generator().manual_seed(0)
    labels = torch.randn(n, 4, generator=g)
    mask = torch.rand(n, 4, generator=g) < 0.25
    torch.manual_seed(0)
    model = vae.GaussVAE(vae.ModelConfig(vocab.size, vocab.max_len)).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(i: int) -> None:
        sl = slice(i * BATCH, (i + 1) * BATCH)
        out = model(tokens[sl])
        terms = gauss_loss(out.logits, tokens[sl], out.mu, out.logvar, out.properties, labels[sl], mask[sl])
        opt.zero_grad(set_to_none=True)
        terms.total.backward()
        opt.step()

    for i in range(3):
        step(i)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(args.batches):
        step(3 + i)
    wall = (time.perf_counter() - wall0) / args.batches
    cpu = (time.process_time() - cpu0) / args.batches
    load = os.getloadavg()[0]
    print(f"ligands: {src} ({n_set} rows; vocabulary {vocab.size} tokens, length {vocab.max_len})")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"GRU backward: {'PyTorch native' if args.native else 'gauss fastgru'}, load average {load:.1f}")
    print(f"train: {BATCH / wall:7.0f} samples/s wall  {wall * 1000:6.1f} ms/batch wall  "
          f"{cpu * 1000:6.1f} ms/batch CPU")
    print(f"projected epoch of {EPOCH_LIGANDS} ligands: {EPOCH_LIGANDS / BATCH * wall / 60:.2f} min wall, "
          f"{EPOCH_LIGANDS / BATCH * cpu / 60:.2f} min CPU (target <= 2.5 min)")

    if args.decode:
        from gauss_core.latent import decode_latent, encode_smiles

        model.eval()
        loaded = LoadedModel(model=model, vocab=vocab, config=model.config, label_names=[], label_mean=np.zeros(0),
                             label_std=np.ones(0), metrics={}, train_hash="", path=Path("bench"))
        z = np.random.default_rng(0).normal(size=(args.decode, 32)).astype(np.float32)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        decoded = decode_latent(loaded, z)
        dw, dc = time.perf_counter() - wall0, time.process_time() - cpu0
        print(f"decode {len(decoded)} latent samples: {dw:.2f} s wall, {dc:.2f} s CPU (target <= 10 s)")
        wall0, cpu0 = time.perf_counter(), time.process_time()
        encode_smiles(loaded, smiles[:3000], check_chemistry=False)
        ew, ec = time.perf_counter() - wall0, time.process_time() - cpu0
        print(f"encode 3000 SMILES: {ew:.2f} s wall, {ec:.2f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
