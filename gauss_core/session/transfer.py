"""Export a design session to one JSON document and import it back (another machine, another GAUSS_HOME).

Format (`format` = "gauss-design-session", `version` = 1): name, seeds [{smiles, source}], samples (one JSON
object per candidate row), latents (base64 of little-endian float32, `latent_dim` per row), complexes
{smiles: entry}, picks {kind: [smiles]}, settings {key: value}. Runs are not exported (they belong to the
machine that ran them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gauss_core.session import codec
from gauss_core.session.store import SessionStoreError

if TYPE_CHECKING:
    from gauss_core.session.store import SessionStore

FORMAT = "gauss-design-session"
VERSION = 1


def export_session(store: SessionStore, name: str) -> bytes:
    session = store.open(name, create=False)
    data = session.load()
    z = np.asarray(data.latents, dtype="<f4")
    doc = {"format": FORMAT, "version": VERSION, "name": data.name, "seeds": data.seeds,
           "samples": [json.loads(t) for t in codec.rows_to_json(data.samples)] if len(data.samples) else [],
           "latent_dim": int(z.shape[1]) if z.ndim == 2 and len(z) else 0, "latents": codec.b64(z.tobytes()),
           "complexes": {s: codec.to_jsonable(e) for s, e in data.complexes.items()}, "picks": data.picks,
           "settings": session.settings_raw()}
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _read_doc(data: bytes | str | Path) -> dict:
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise codec.SessionFormatError(f"the file is not a GAUSS design session (not JSON: {exc}); export one "
                                       "from the dashboard's sidebar (Export)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise codec.SessionFormatError("the file is not a GAUSS design session (no 'format': "
                                       f"'{FORMAT}'); export one from the dashboard's sidebar (Export)")
    if int(doc.get("version", 0)) > VERSION:
        raise codec.SessionFormatError(f"the session file has version {doc.get('version')}, newer than this GAUSS "
                                       f"Studio reads ({VERSION}); update GAUSS Studio")
    return doc


def import_session(store: SessionStore, data: bytes | str | Path, name: str | None = None,
                   overwrite: bool = False) -> str:
    """Store the exported session under `name` (default: its own name); refuses to replace an existing
    session unless overwrite=True, so nothing stored is lost by an import."""
    import pandas as pd

    doc = _read_doc(data)
    target = name or str(doc.get("name") or "imported")
    try:
        samples = pd.DataFrame([codec.from_jsonable(r) for r in doc.get("samples", [])])
        dim = int(doc.get("latent_dim", 0))
        flat = np.frombuffer(codec.unb64(doc.get("latents", "")), dtype="<f4")
        z = flat.reshape(-1, dim) if dim else np.zeros((0, 0), dtype=np.float32)
        complexes = {s: codec.from_jsonable(e) for s, e in dict(doc.get("complexes", {})).items()}
        settings = dict(doc.get("settings", {}))
        seeds = [{"smiles": str(s["smiles"]), "source": str(s.get("source", ""))} for s in doc.get("seeds", [])]
        picks = {str(k): [str(s) for s in v] for k, v in dict(doc.get("picks", {})).items()}
    except (TypeError, ValueError, KeyError) as exc:
        raise codec.SessionFormatError(f"the session file is damaged ({exc}); export it again") from None
    if len(z) != len(samples):
        raise codec.SessionFormatError(f"the session file has {len(samples)} samples but {len(z)} latent vectors; "
                                       "export it again")
    if store.exists(target):
        if not overwrite:
            raise SessionStoreError(f"a session named {target!r} exists already: import under another name")
        store.delete(target)
    session = store.open(target)
    try:
        session.save_seeds(seeds)
        session.append_samples(samples, z)
        for smi, entry in complexes.items():
            session.save_complex(smi, entry)
        for kind, smiles in picks.items():
            session.save_picks(kind, smiles)
        session.set_settings_raw(settings)
    except BaseException:
        store.delete(target)  # no half-imported session left behind
        raise
    return target
