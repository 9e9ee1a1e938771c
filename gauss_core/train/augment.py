"""Training-time data choices that make the latent space about molecules, not spellings (issue 13, point 3).

- Randomised donor-first SMILES: every epoch each training ligand is written in a new random atom order
  that still starts at the donor atom (seeded random atom order + rootedAtAtom). The VAE reconstructs the
  STORED spelling; the random one is only encoded, and its latent mean is pulled onto the stored one's
  (model.loss.spelling_invariance_loss). So two spellings of one molecule become one point while the decoder
  keeps one output form. (Reconstructing the random spelling, or decoding the stored spelling from the
  random one, both cost much held-out reconstruction on the GPU runs of 2026-12-04: checkpoints/README.md.)
  A spelling the vocabulary cannot encode (unknown token, too long) falls back to the stored canonical
  spelling and is counted.
- Tiny-ligand oversampling: ligands of at most `max_heavy` heavy atoms ([OH-], [O-]C, N ...) are a few
  dozen of ~10^5 rows, so the decoder barely sees a sequence that stops after 1-3 tokens; repeating them
  `factor` times per epoch gives them enough weight to reconstruct.
- Charge target: which label column trains the head's donor charge (default the LoProp-calibrated one),
  recorded beside the labels so a checkpoint says what its q_donor_e means.
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pandas as pd
import torch
from rdkit import Chem

from gauss_core.errors import DataFormatError, InvalidSmilesError
from gauss_core.tokens import Vocabulary

LOPROP_CHARGE = "q_donor_loprop_est_e"  # GFN2 charge mapped onto OpenMolcas LoProp (docs/proxy_calibration.md)
CHARGE_PROVENANCE = {
    "q_donor_e": "GFN2-xTB Mulliken donor charge (raw)",
    LOPROP_CHARGE: "GFN2-xTB donor charge calibrated onto CASSCF/LoProp (docs/proxy_calibration.md)",
}
CHARGE_LABEL = "q_donor_e"  # the head's charge output keeps this name whatever column trains it


def select_charge_target(labels: pd.DataFrame | None, column: str) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Make `column` the head's charge label (stored under q_donor_e) and say so.

    Rows where `column` is missing lose their charge label (the raw charge is not mixed in). A table
    without `column` at all keeps its raw charge, and the returned provenance says that.

    Returns:
        (labels with q_donor_e replaced, {"q_donor_e": "<source column>: <method>"}).
    Raises:
        DataFormatError: `column` names no charge column this function knows.
    """
    if column not in CHARGE_PROVENANCE:
        raise DataFormatError(f"--charge-column {column!r} is unknown; choose one of {', '.join(CHARGE_PROVENANCE)}")
    if labels is None:
        return None, {}
    source = column if column in labels.columns else CHARGE_LABEL
    out = labels.copy()
    if source != CHARGE_LABEL:
        out[CHARGE_LABEL] = out[source]
    note = f"{source}: {CHARGE_PROVENANCE[source]}"
    if source != column:
        note += f" (asked for {column}, which the label tables do not have)"
    return out, {CHARGE_LABEL: note}


def is_tiny(smiles: str, max_heavy: int = 3) -> bool:
    """True for ligands with at most `max_heavy` heavy atoms (an unparsable SMILES is not tiny)."""
    mol = Chem.MolFromSmiles(smiles)
    return mol is not None and mol.GetNumHeavyAtoms() <= max_heavy


def epoch_order(n: int, tiny: np.ndarray, factor: int, generator: torch.Generator) -> torch.Tensor:
    """Shuffled row indices of one epoch; rows flagged `tiny` appear `factor` times (factor 1 = plain shuffle)."""
    base = torch.arange(n)
    if factor > 1 and tiny.any():
        extra = torch.from_numpy(np.flatnonzero(tiny)).repeat(factor - 1)
        base = torch.cat([base, extra])
    return base[torch.randperm(len(base), generator=generator)]


class DonorFirstAugmenter:
    """Random donor-first spellings of a fixed list of donor-first SMILES, tokenised for one vocabulary.

    The molecules are parsed once; `tokens(seed)` writes a new spelling of each (atom 0, the donor, stays
    first) and returns the token matrix plus how many fell back to the stored spelling.
    """

    def __init__(self, smiles: list[str], vocab: Vocabulary) -> None:
        self.smiles = list(smiles)
        self.vocab = vocab
        self.base = torch.from_numpy(vocab.encode_batch(self.smiles))
        self.mols: list[Chem.Mol | None] = []
        for smi in self.smiles:
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                Chem.Kekulize(mol, clearAromaticFlags=True)  # the stored set is kekulised; keep its tokens
            self.mols.append(mol)

    def spelling(self, i: int, rng: np.random.Generator) -> str:
        """One random donor-first spelling of row i (the stored one for a single atom or an unparsable row).

        Same effect as RDKit's MolToSmiles(doRandom=True, rootedAtAtom=donor), but drawn from `rng`
        (RDKit's doRandom generator cannot be seeded from Python, so runs would not be reproducible):
        the non-donor atoms are renumbered at random and the SMILES is written from atom 0 in that order.
        """
        mol = self.mols[i]
        if mol is None or mol.GetNumAtoms() < 2:
            return self.smiles[i]
        order = [0, *(int(j) + 1 for j in rng.permutation(mol.GetNumAtoms() - 1))]
        shuffled = Chem.RenumberAtoms(mol, order)
        return Chem.MolToSmiles(shuffled, rootedAtAtom=0, canonical=False, isomericSmiles=False, kekuleSmiles=True)

    def tokens(self, seed: int, workers: int = 1) -> tuple[torch.Tensor, int]:
        """(n, max_len) int64 tokens of a fresh spelling per row, and the number of canonical fallbacks.

        Rows are drawn in fixed chunks, each from its own generator seeded by (seed, chunk), so the result
        depends on `seed` alone, not on `workers`: a GPU run with 16 spelling processes and a CPU run with
        one see the same spellings.
        """
        starts = range(0, len(self.smiles), SPELLING_CHUNK)
        if workers > 1 and len(starts) > 1:
            global _FORKED
            _FORKED = self
            with mp.get_context("fork").Pool(min(workers, len(starts))) as pool:
                parts = pool.starmap(_chunk_in_child, [(seed, start) for start in starts])
        else:
            parts = [self._chunk(seed, start) for start in starts]
        if not parts:
            return self.base.clone(), 0
        return torch.from_numpy(np.concatenate([p[0] for p in parts])), sum(p[1] for p in parts)

    def _chunk(self, seed: int, start: int) -> tuple[np.ndarray, int]:
        stop = min(start + SPELLING_CHUNK, len(self.smiles))
        chunk = start // SPELLING_CHUNK  # chunk 0 keeps the single-generator stream of earlier checkpoints
        rng = np.random.default_rng(seed if chunk == 0 else [seed, chunk])
        out = self.base[start:stop].numpy().copy()
        fallbacks = 0
        for i in range(start, stop):
            smi = self.spelling(i, rng)
            if smi == self.smiles[i]:
                continue
            try:
                out[i - start] = self.vocab.encode(smi)
            except InvalidSmilesError:
                fallbacks += 1
        return out, fallbacks


SPELLING_CHUNK = 2048  # rows per seeded chunk (part of what a seed means: changing it changes the spellings)
_FORKED: DonorFirstAugmenter | None = None  # the augmenter a forked spelling process inherits


def _chunk_in_child(seed: int, start: int) -> tuple[np.ndarray, int]:
    assert _FORKED is not None
    return _FORKED._chunk(seed, start)
