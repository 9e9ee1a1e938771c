"""`gauss encode` (SMILES -> latent means + predicted proxies) and `gauss reconstruct` (encode, greedy decode)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gauss_core import paths
from gauss_core.errors import DataFormatError, GaussError
from gauss_core.modes import HeadKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from gauss_core.model.checkpoint import LoadedModel


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT,
                   help=f"model checkpoint (default {paths.DEFAULT_CHECKPOINT})")
    p.add_argument("--smiles", action="append", default=None, metavar="SMILES",
                   help="ligand SMILES (repeatable); one not written donor-first is re-rooted at its donor")
    p.add_argument("--input", type=Path, default=None,
                   help="CSV with a smiles column, or a text file with one SMILES per line")
    p.add_argument("--out", type=Path, default=None, help="CSV to write (default: print to stdout)")


def register(subparsers) -> None:
    e = subparsers.add_parser("encode", help="SMILES -> 32-d latent means and predicted proxy labels (CSV)",
                              description="Encode ligand SMILES with a checkpoint; a SMILES not written donor-first "
                                          "is re-rooted at its donor first. One row per input: smiles (as given), "
                                          "smiles_encoded (the spelling encoded), rerooted, error (why a row could "
                                          "not be encoded), z0..z31, pred_<label>.")
    _add_common(e)
    e.set_defaults(func=run_encode)
    r = subparsers.add_parser("reconstruct", help="encode then greedy-decode SMILES; reports exact-match accuracy",
                              description="Encode ligand SMILES (re-rooted at their donor when not written "
                                          "donor-first) to their latent means and decode them back greedily; a "
                                          "row matches when the canonical kekulised SMILES agree.")
    _add_common(r)
    r.set_defaults(func=run_reconstruct)
    x = subparsers.add_parser("export-model", help="slim copy of a training checkpoint for inference/bundling",
                              description="Write a copy of a `gauss train` checkpoint without its resume state "
                                          "(optimiser, last-epoch weights), plus OUT.json with configs and metrics.")
    x.add_argument("--checkpoint", type=Path, required=True, help="checkpoint written by `gauss train`")
    x.add_argument("--out", type=Path, required=True, help="file to write (e.g. checkpoints/gauss2_default.pt)")
    x.set_defaults(func=run_export)


def read_smiles_inputs(smiles: list[str] | None, path: Path | None) -> list[str]:
    """SMILES from --smiles and/or --input (gauss_core.inputs.read_smiles_rows: CSV with a smiles column,
    or one SMILES per line, its first word); what was skipped goes to stderr."""
    from gauss_core.inputs import read_smiles_rows

    out = list(smiles or [])
    if path is not None:
        rows = read_smiles_rows(path, "input file")
        for note in rows.notes:
            print(f"{path}: {note}", file=sys.stderr)
        out += rows.smiles
    if not out:
        raise DataFormatError("no SMILES given: use --smiles SMILES (repeatable) or --input FILE")
    return out


def encode_rows(loaded, smiles: list[str]):
    """Latent means of input SMILES after re-rooting each at its donor (ligands.reroot), with the ligand
    checks the queue makes, so a row that is no ligand is refused with its reason, not encoded silently.

    Returns:
        (z, encoded, rerooted, errors): z has NaN rows where errors[i] is set; encoded is the spelling
        encoded. A row refused both by the model and by the ligand checks keeps the model's reason.
    """
    import numpy as np

    from gauss_core.latent import encode_smiles_checked
    from gauss_core.ligands.reroot import donor_first_many, rerooted_note

    encoded, rerooted, reroot_errors = donor_first_many(smiles)
    z, errors = encode_smiles_checked(loaded, encoded)
    errors = [e if e is not None else r for e, r in zip(errors, reroot_errors, strict=True)]
    z[[i for i, e in enumerate(errors) if e]] = np.nan
    ok_rerooted = [r and e is None for r, e in zip(rerooted, errors, strict=True)]
    note = rerooted_note(smiles, encoded, ok_rerooted)
    if note:
        print(note, file=sys.stderr)
    return z, encoded, ok_rerooted, errors


def report_failures(smiles: list[str], errors: list[str | None], verb: str = "encoded") -> None:
    """How many rows failed and why (first few) on stderr; GaussError (exit 2, nothing written) when all did."""
    bad = [(s, e) for s, e in zip(smiles, errors, strict=True) if e]
    if not bad:
        return
    first = "; ".join(f"{s[:40]!r}: {e}" for s, e in bad[:3])
    if len(bad) == len(smiles):
        raise GaussError(f"none of the {len(bad)} SMILES could be {verb} ({first}); give donor-first SMILES "
                         "the model can read, e.g. [O-]C")
    print(f"{len(bad)} of {len(smiles)} SMILES could not be {verb} (see the error column); first: {first}",
          file=sys.stderr)


def _write(frame, out: Path | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        print(f"wrote {len(frame)} rows to {out}", file=sys.stderr)


def run_encode(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from gauss_core.latent import predict_proxies
    from gauss_core.model.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    smiles = read_smiles_inputs(args.smiles, args.input)
    z, encoded, rerooted, errors = encode_rows(loaded, smiles)
    report_failures(smiles, errors)
    frame = pd.DataFrame({"smiles": smiles, "smiles_encoded": encoded, "rerooted": rerooted,
                          "error": [e or "" for e in errors]})
    zcols = pd.DataFrame(z, columns=[f"z{i}" for i in range(z.shape[1])])
    parts = [frame, zcols]
    ok = np.array([e is None for e in errors])
    if loaded.model.head is not None and loaded.config.head == HeadKind.GAUSS2 and ok.any():
        pred = pd.DataFrame(np.nan, index=range(len(smiles)), columns=[f"pred_{n}" for n in loaded.label_names])
        pred.loc[ok, :] = predict_proxies(loaded, z[ok]).to_numpy()
        parts.append(pred)
        parts.append(prediction_methods(loaded, ok))
    _write(pd.concat(parts, axis=1), args.out)
    return 0


def prediction_methods(loaded: LoadedModel, ok: np.ndarray) -> pd.DataFrame:
    """One column per predicted extra target that has a method column (pred_r_dyl_method): what the prediction is
    (a GAUSS-II head estimate) and which labels trained it, so a predicted distance is never taken for xtb's."""
    import pandas as pd

    from gauss_core import columns, provenance

    out = pd.DataFrame(index=range(len(ok)))
    for name in loaded.label_names:
        if name in columns.LABEL_METHOD_COLUMNS:
            source = loaded.label_sources.get(name, "unrecorded labels")
            tag = f"{provenance.MODEL_PREDICTION} (trained on {source})"
            out[columns.PREDICTED_PREFIX + columns.LABEL_METHOD_COLUMNS[name]] = [tag if k else "" for k in ok]
    return out


def run_reconstruct(args: argparse.Namespace) -> int:
    import pandas as pd

    from gauss_core.chem import canonical_kekule
    from gauss_core.latent import decode_latent
    from gauss_core.model.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    smiles = read_smiles_inputs(args.smiles, args.input)
    z, encoded, rerooted, errors = encode_rows(loaded, smiles)
    report_failures(smiles, errors)
    ok = [i for i, e in enumerate(errors) if e is None]
    decoded = [""] * len(smiles)
    for i, s in zip(ok, decode_latent(loaded, z[ok]) if ok else [], strict=False):
        decoded[i] = s
    match = [bool(errors[i] is None and decoded[i] and canonical_kekule(decoded[i]) is not None
                  and canonical_kekule(decoded[i]) == canonical_kekule(smiles[i])) for i in range(len(smiles))]
    valid = [bool(d) and canonical_kekule(d) is not None for d in decoded]
    frame = pd.DataFrame({"smiles": smiles, "smiles_encoded": encoded, "rerooted": rerooted, "decoded": decoded,
                          "valid": valid, "exact_match": match, "error": [e or "" for e in errors]})
    _write(frame, args.out)
    if ok:
        acc = sum(match[i] for i in ok) / len(ok)
        print(f"exact reconstruction: {sum(match)}/{len(ok)} encodable SMILES ({100 * acc:.1f}%)", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    import json
    import math

    from gauss_core.model.checkpoint import export_for_inference, load_checkpoint

    out = export_for_inference(args.checkpoint, args.out)
    loaded = load_checkpoint(out)
    summary = {
        "checkpoint": out.name, "epoch": loaded.epoch, "model_config": loaded.config.to_dict(),
        "train_config": loaded.train_config, "label_names": loaded.label_names,
        "label_mean": loaded.label_mean.tolist(), "label_std": loaded.label_std.tolist(),
        "metrics": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in loaded.metrics.items()},
        "label_sources": loaded.label_sources,
        "train_hash": loaded.train_hash, "n_train": len(loaded.train_smiles), "n_test": len(loaded.test_smiles),
        "vocab": loaded.vocab.to_dict(),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and {out.with_suffix('.json')}", file=sys.stderr)
    return 0
