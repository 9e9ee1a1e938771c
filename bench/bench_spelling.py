"""Does a checkpoint's latent space describe molecules or spellings? (issue 13, point 3)

Prints, for a checkpoint:
- spelling: on N ligands of its held-out split, the latent distance (encoder mean) between the stored
  donor-first SMILES and one random donor-first spelling of the same molecule, against the distance from
  the stored SMILES to the nearest OTHER molecule of the sample; the share of molecules whose two
  spellings are closer to each other than to any other molecule; and how often the random spelling
  decodes back to the same molecule.
- tiny: greedy reconstruction of tiny ligands ([OH-], [O-]C, N, O, ...).

    python bench/bench_spelling.py checkpoints/gauss2_default.pt --n 500
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gauss_core.chem import canonical_kekule  # noqa: E402
from gauss_core.model.checkpoint import load_checkpoint  # noqa: E402
from gauss_core.model.vae import GaussVAE  # noqa: E402
from gauss_core.train.augment import DonorFirstAugmenter  # noqa: E402

TINY = ["[OH-]", "[O-]C", "N", "O", "[NH2-]", "OC", "NC", "[O-]CC", "OCC", "NCC", "[NH-]C", "[O-]C=O", "N#C"]


@torch.no_grad()
def _mu(model: GaussVAE, tokens: np.ndarray) -> torch.Tensor:
    return model.encode(torch.as_tensor(tokens))[0]


@torch.no_grad()
def measure(path: Path, n: int, seed: int = 0) -> dict:
    """Spelling and tiny-ligand figures of one checkpoint (see the module docstring)."""
    loaded = load_checkpoint(path, device="cpu")
    model, vocab = loaded.model.eval(), loaded.vocab
    test = loaded.test_smiles
    rng = np.random.default_rng(seed)
    sample = [test[i] for i in rng.choice(len(test), size=min(n, len(test)), replace=False)]
    aug = DonorFirstAugmenter(sample, vocab)
    base = aug.base.numpy()
    other = base.copy()
    has_other = np.zeros(len(sample), dtype=bool)
    for attempt in range(10):  # redraw until a spelling differs from the stored one (some molecules have one)
        tokens, _ = aug.tokens(seed * 100 + attempt)
        arr = tokens.numpy()
        new = ~has_other & (arr != base).any(axis=1)
        other[new], has_other[new] = arr[new], True
    mu_a, mu_b = _mu(model, base), _mu(model, other)
    d_all = torch.cdist(mu_a, mu_a)
    d_all.fill_diagonal_(float("inf"))
    nearest_other = d_all.min(dim=1).values.numpy()
    same = (mu_a - mu_b).norm(dim=1).numpy()
    keep = has_other
    decoded = vocab.decode_batch(model.greedy_decode(mu_b).numpy())
    same_mol = [canonical_kekule(d) == canonical_kekule(s) for d, s, k in zip(decoded, sample, keep, strict=True) if k]
    tiny_rows: list[dict[str, object]] = []
    for smi in TINY:
        if vocab.check(smi) is not None:
            tiny_rows.append({"smiles": smi, "decoded": None, "ok": None, "note": "not encodable"})
            continue
        z = _mu(model, vocab.encode_batch([smi]))
        dec = vocab.decode(model.greedy_decode(z)[0].numpy())
        tiny_rows.append({"smiles": smi, "decoded": dec, "ok": canonical_kekule(dec) == canonical_kekule(smi)})
    return {
        "checkpoint": str(path), "n_sample": len(sample), "n_respelled": int(keep.sum()),
        "mean_same_molecule_distance": float(same[keep].mean()),
        "median_same_molecule_distance": float(np.median(same[keep])),
        "mean_nearest_other_distance": float(nearest_other[keep].mean()),
        "share_spellings_closer_than_nearest_other": float((same[keep] < nearest_other[keep]).mean()),
        "random_spelling_decodes_to_same_molecule": float(np.mean(same_mol)) if same_mol else float("nan"),
        "tiny_ok": sum(bool(r["ok"]) for r in tiny_rows), "tiny_total": sum(r["ok"] is not None for r in tiny_rows),
        "tiny": tiny_rows,
        "heldout_metrics": {k: loaded.metrics.get(k) for k in ("recon_exact", "r2_q_donor_e", "r2_mean", "epoch")},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", type=Path, nargs="+")
    ap.add_argument("--n", type=int, default=500, help="held-out ligands sampled (default 500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = []
    for path in args.checkpoints:
        r = measure(path, args.n, args.seed)
        results.append(r)
        print(f"{path}: {r['n_respelled']} of {r['n_sample']} held-out ligands re-spelled")
        print(f"  latent distance, two spellings of one molecule: mean {r['mean_same_molecule_distance']:.2f} "
              f"(median {r['median_same_molecule_distance']:.2f}); nearest other molecule: mean "
              f"{r['mean_nearest_other_distance']:.2f}; spellings closer than the nearest other: "
              f"{100 * r['share_spellings_closer_than_nearest_other']:.1f}%")
        share = 100 * r["random_spelling_decodes_to_same_molecule"]
        print(f"  random spelling decodes to the same molecule: {share:.1f}%")
        print(f"  tiny ligands reconstructed: {r['tiny_ok']}/{r['tiny_total']}: "
              + ", ".join(f"{t['smiles']}->{t['decoded']}" for t in r["tiny"] if t["ok"] is not None))
        print(f"  stored held-out metrics: {r['heldout_metrics']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
