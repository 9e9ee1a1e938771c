"""SMILES tokeniser and vocabulary (paper, Methods: character dictionary from the training set,
padding with a space character that is itself part of the dictionary).

Tokens are chemically meaningful: two-letter halogens (Cl, Br) and whole bracket atoms ([O-], [NH-],
[nH], [NH3+]) are single tokens, so the decoder never has to spell them letter by letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gauss_core.errors import InvalidSmilesError, SmilesTooLongError, UnknownTokenError

PAD = " "

# Bracket atoms, two-letter organic-subset elements, then single characters (ring-closure %nn too).
_TOKEN_RE = re.compile(r"(\[[^\[\]]+\]|Br|Cl|%\d{2}|[BCNOSPFI]|[bcnosp]|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|\d)")


def tokenize(smiles: str) -> list[str]:
    """Split a SMILES string into tokens.

    Raises:
        InvalidSmilesError: when some characters match no token (e.g. stray letters or spaces).
    """
    tokens = _TOKEN_RE.findall(smiles)
    if "".join(tokens) != smiles:
        consumed = 0
        for tok in tokens:
            pos = smiles.find(tok, consumed)
            if pos != consumed:
                break
            consumed += len(tok)
        raise InvalidSmilesError(
            f"cannot tokenise SMILES {smiles!r}: unexpected text {smiles[consumed:consumed + 5]!r} "
            f"at position {consumed}"
        )
    return tokens


@dataclass(frozen=True)
class Vocabulary:
    """Token dictionary plus the fixed sequence length of the one-hot tensors.

    Index 0 is always the padding token (a space, as in the paper).
    """

    tokens: tuple[str, ...]
    max_len: int
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tokens or self.tokens[0] != PAD:
            raise ValueError("the first vocabulary token must be the padding token ' '")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def from_smiles(cls, smiles: Iterable[str]) -> Vocabulary:
        """Build the dictionary and maximum length from a training set."""
        seen: set[str] = set()
        max_len = 0
        for smi in smiles:
            toks = tokenize(smi)
            seen.update(toks)
            max_len = max(max_len, len(toks))
        return cls(tokens=(PAD, *sorted(seen)), max_len=max_len)

    @property
    def size(self) -> int:
        return len(self.tokens)

    def encode(self, smiles: str) -> list[int]:
        """Token indices of one SMILES, padded to max_len.

        Raises:
            UnknownTokenError: a token outside the vocabulary (the message names it).
            SmilesTooLongError: more tokens than max_len (the message gives both lengths).
        """
        toks = tokenize(smiles)
        unknown = [t for t in toks if t not in self._index]
        if unknown:
            raise UnknownTokenError(
                f"SMILES {smiles!r} contains token(s) {', '.join(repr(t) for t in dict.fromkeys(unknown))} "
                f"that the model's vocabulary does not have; use only these tokens: {' '.join(self.tokens[1:])}"
            )
        if len(toks) > self.max_len:
            raise SmilesTooLongError(
                f"SMILES {smiles!r} has {len(toks)} tokens; the model accepts at most {self.max_len}"
            )
        return [self._index[t] for t in toks] + [0] * (self.max_len - len(toks))

    def encode_batch(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, max_len) int64 array of token indices."""
        out = np.zeros((len(smiles), self.max_len), dtype=np.int64)
        for i, smi in enumerate(smiles):
            out[i] = self.encode(smi)
        return out

    def decode(self, indices: Iterable[int]) -> str:
        """SMILES from token indices; reading stops at the first padding token."""
        parts: list[str] = []
        for i in indices:
            i = int(i)
            if i == 0:
                break
            parts.append(self.tokens[i])
        return "".join(parts)

    def decode_batch(self, indices: np.ndarray) -> list[str]:
        return [self.decode(row) for row in indices]

    def check(self, smiles: str) -> str | None:
        """None when the SMILES can be encoded, else the reason it cannot."""
        try:
            self.encode(smiles)
        except InvalidSmilesError as exc:
            return str(exc)
        return None

    def to_dict(self) -> dict:
        return {"tokens": list(self.tokens), "max_len": self.max_len}

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        return cls(tokens=tuple(data["tokens"]), max_len=int(data["max_len"]))
