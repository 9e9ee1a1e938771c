"""JSON form of what a design session keeps: DataFrames of candidates, float32 latents, and the dashboard's
complex entries (a `Complex`, its `KDEstimate`s, descriptors), so that a stored complex comes back exactly as
it was built (same coordinates, flags, charges and estimate provenance) without re-running xtb.

Only the classes in `_CLASSES` are rebuilt from JSON; anything else is refused, so a session file cannot make
the loader construct arbitrary objects.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from gauss_core.errors import GaussError

TYPE_KEY = "__type__"


class SessionFormatError(GaussError):
    """A stored or imported session whose content cannot be read back."""


def _classes() -> dict[str, type]:
    # imported lazily: a session with no complexes must not pay for the complexes/kd imports
    from gauss_core.complexes.structure import Complex
    from gauss_core.kd.estimate import KDEstimate

    return {"Complex": Complex, "KDEstimate": KDEstimate}


def to_jsonable(obj: Any) -> Any:
    """Plain JSON value of `obj`: numbers, strings, lists, dicts; arrays, tuples, non-string dict keys and the
    registered dataclasses carry a `__type__` tag so that `from_jsonable` rebuilds them."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {TYPE_KEY: "float", "repr": repr(value)}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return {TYPE_KEY: "ndarray", "dtype": str(obj.dtype), "data": to_jsonable(obj.tolist())}
    if isinstance(obj, tuple):
        return {TYPE_KEY: "tuple", "items": [to_jsonable(v) for v in obj]}
    if isinstance(obj, list):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: to_jsonable(v) for k, v in obj.items()}
        return {TYPE_KEY: "dict", "items": [[to_jsonable(k), to_jsonable(v)] for k, v in obj.items()]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        if name not in _classes():
            raise SessionFormatError(f"cannot store a {name} in a design session (only {sorted(_classes())})")
        fields = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {TYPE_KEY: name, "fields": fields}
    raise SessionFormatError(f"cannot store a value of type {type(obj).__name__} in a design session")


def from_jsonable(value: Any) -> Any:
    """Inverse of `to_jsonable`."""
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TYPE_KEY)
    if tag is None:
        return {k: from_jsonable(v) for k, v in value.items()}
    try:
        if tag == "float":
            return float(value["repr"])
        if tag == "ndarray":
            return np.asarray(from_jsonable(value["data"]), dtype=value["dtype"])
        if tag == "tuple":
            return tuple(from_jsonable(v) for v in value["items"])
        if tag == "dict":
            return {_hashable(from_jsonable(k)): from_jsonable(v) for k, v in value["items"]}
        cls = _classes().get(tag)
        if cls is None:
            raise SessionFormatError(f"unknown stored type {tag!r}")
        return cls(**{k: from_jsonable(v) for k, v in value["fields"].items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionFormatError(f"a stored {tag} cannot be rebuilt ({exc}); the session was written by an "
                                 "incompatible version: export it from that version or start a new session") from None


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    try:
        return from_jsonable(json.loads(text))
    except json.JSONDecodeError as exc:
        raise SessionFormatError(f"stored JSON is damaged ({exc})") from None


def rows_to_json(df: pd.DataFrame) -> list[str]:
    """One JSON object per row (NaN/NA become null) for the samples table."""
    records = df.astype(object).where(pd.notna(df), None).to_dict("records")
    return [dumps(r) for r in records]


def rows_from_json(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame([loads(t) for t in texts]) if texts else pd.DataFrame()


def latent_to_blob(z: np.ndarray) -> bytes:
    """One latent vector as little-endian float32 bytes."""
    return np.asarray(z, dtype="<f4").tobytes()


def latents_from_blobs(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    out = np.frombuffer(b"".join(blobs), dtype="<f4")
    if dim <= 0 or out.size != dim * len(blobs):
        raise SessionFormatError("stored latent vectors have inconsistent lengths; the session file is damaged")
    return out.reshape(len(blobs), dim).astype(np.float32)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise SessionFormatError(f"stored latent vectors are not valid base64 ({exc})") from None
