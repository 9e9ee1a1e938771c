"""Tokeniser and vocabulary: round trip over the whole bundled ligand set, and the refusal messages."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core import columns
from gauss_core.errors import InvalidSmilesError, SmilesTooLongError, UnknownTokenError
from gauss_core.ligands import load_ligand_set
from gauss_core.tokens import PAD, Vocabulary, tokenize


@pytest.fixture(scope="module")
def ligand_smiles() -> list[str]:
    return load_ligand_set()[columns.SMILES].tolist()


@pytest.fixture(scope="module")
def vocab(ligand_smiles) -> Vocabulary:
    return Vocabulary.from_smiles(ligand_smiles)


def test_multi_character_tokens_are_single_tokens():
    assert tokenize("[O-]C(Cl)Br") == ["[O-]", "C", "(", "Cl", ")", "Br"]
    assert tokenize("[nH]1cc[n-]c1") == ["[nH]", "1", "c", "c", "[n-]", "c", "1"]
    assert tokenize("[NH-]C%10CC%10") == ["[NH-]", "C", "%10", "C", "C", "%10"]


def test_round_trip_over_the_whole_bundled_set(ligand_smiles, vocab):
    encoded = vocab.encode_batch(ligand_smiles)
    assert encoded.shape == (len(ligand_smiles), vocab.max_len)
    decoded = vocab.decode_batch(encoded)
    mismatches = [(a, b) for a, b in zip(ligand_smiles, decoded, strict=False) if a != b]
    assert not mismatches, f"{len(mismatches)} SMILES do not survive encode/decode, e.g. {mismatches[:3]}"


def test_vocabulary_from_the_set(ligand_smiles, vocab):
    assert vocab.tokens[0] == PAD
    assert {"[O-]", "[NH-]", "[n-]", "[nH]", "N", "O", "F"} <= set(vocab.tokens)
    assert vocab.max_len == max(len(tokenize(s)) for s in ligand_smiles)
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


def test_unknown_token_is_named(vocab):
    with pytest.raises(UnknownTokenError, match=r"'Cl'"):
        vocab.encode("OCCCl")
    assert "'Br'" in vocab.check("[O-]CBr")


def test_too_long_names_both_lengths(vocab):
    too_long = "O" + "C" * vocab.max_len
    with pytest.raises(SmilesTooLongError,
                       match=rf"has {vocab.max_len + 1} tokens; the model accepts at most {vocab.max_len}"):
        vocab.encode(too_long)


def test_untokenisable_text_is_refused_with_its_position():
    with pytest.raises(InvalidSmilesError, match=r"unexpected text 'xyz' at position 2"):
        tokenize("OCxyz")
    with pytest.raises(InvalidSmilesError, match="position 1"):
        tokenize("O CC")


def test_padding_and_decode_stop_at_pad():
    vocab = Vocabulary.from_smiles(["OCC", "[O-]C"])
    row = vocab.encode("OC")
    assert row[2:] == [0] * (vocab.max_len - 2)
    assert vocab.decode(np.array(row + [0])) == "OC"
    with pytest.raises(ValueError, match="padding token"):
        Vocabulary(tokens=("C", " "), max_len=3)
