"""Re-rooting a ligand SMILES at its donor before encoding (issue 13.3): the library function, and the
`gauss encode` / `gauss reconstruct` / `gauss sample` entry points on the tiny real checkpoint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from gauss_core.cli import main
from gauss_core.ligands.reroot import DonorNotFoundError, donor_first_many, donor_first_spelling, rerooted_note
from gauss_core.ligands.validate import LigandRejectedError


@pytest.mark.parametrize("typed, encoded", [
    ("C[O-]", "[O-]C"),                 # anion written from its carbon
    ("CO", "OC"),                       # neutral, one donor
    ("C1CC1[O-]", "[O-]C1CC1"),         # ring closure
    ("c1ccncc1", "n1ccccc1"),           # aromatic ring, N donor
    ("CC(=O)NC", "O=C(C)NC"),           # amide: the O, the amide N is no donor (build rules)
    ("CC(O)CN", "NCC(C)O"),             # amine N more basic than the alcohol O (build rules)
    ("OCC[NH-]", "[NH-]CCO"),           # anion whose first atom is a neutral O: the charged N is the donor
])
def test_not_donor_first_is_rerooted_to_the_build_spelling(typed, encoded):
    row = donor_first_spelling(typed)
    assert (row.smiles, row.encoded, row.rerooted) == (typed, encoded, True)
    assert Chem.MolToSmiles(Chem.MolFromSmiles(typed)) == Chem.MolToSmiles(Chem.MolFromSmiles(encoded))


@pytest.mark.parametrize("typed", ["[O-]C", "OCC", "NC(C)=O", "n1ccccc1", "O(C)CC"])
def test_donor_first_input_is_kept_as_typed(typed):
    row = donor_first_spelling(f" {typed} ")
    assert (row.encoded, row.rerooted) == (typed, False)


def test_rerooted_spelling_is_the_bundled_sets_own():
    """Random spellings of bundled ligands that do not start with the donor re-root to the set's exact row
    (or are refused as ambiguous): the spelling the model was trained on."""
    from gauss_core.ligands import load_ligand_set

    rng = np.random.default_rng(0)
    ligands = load_ligand_set()
    rows = ligands.iloc[rng.choice(len(ligands), 300, replace=False)]
    rerooted = 0
    for smi in rows["smiles"]:
        mol = Chem.MolFromSmiles(smi)
        other = next((s for s in (Chem.MolToSmiles(mol, doRandom=True) for _ in range(20)) if s[0] in "Cc"), None)
        if other is None:
            continue
        try:
            got = donor_first_spelling(other)
        except DonorNotFoundError:
            continue
        assert got.encoded == smi, (other, got.encoded, smi)
        rerooted += 1
    assert rerooted > 150


@pytest.mark.parametrize("typed, reason", [
    ("COC1CCOCC1", "2 equally basic candidate donors"),
    ("CCCC", "no N or O atom"),
    ("C[N+](=O)[O-]", "nitro"),
])
def test_no_or_ambiguous_donor_is_refused(typed, reason):
    with pytest.raises(DonorNotFoundError, match=reason) as info:
        donor_first_spelling(typed)
    assert "write the donor atom" in str(info.value)


def test_non_ligands_keep_the_queue_reasons():
    with pytest.raises(LigandRejectedError, match="radical"):
        donor_first_spelling("C[O]")
    with pytest.raises(LigandRejectedError, match="net charge -2"):
        donor_first_spelling("[O-]CC[O-]")


def test_many_and_note():
    encoded, rerooted, errors = donor_first_many(["[O-]C", "C[O-]", "CCCC"])
    assert encoded == ["[O-]C", "[O-]C", "CCCC"] and rerooted == [False, True, False]
    assert errors[:2] == [None, None] and "no N or O atom" in (errors[2] or "")
    note = rerooted_note(["[O-]C", "C[O-]"], encoded[:2], rerooted[:2])
    assert note is not None and "1 of 2" in note and "'C[O-]' -> '[O-]C'" in note
    assert rerooted_note(["[O-]C"], ["[O-]C"], [False]) is None


# ------------------------------------------------------------------------------------------------ CLI

def test_encode_rerooted_lands_on_the_donor_first_latent(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "z.csv"
    args = ["encode", "--checkpoint", str(tiny_checkpoint), "--out", str(out)]
    for s in ("[O-]C", "C[O-]", "[O-]C1CC1", "C1CC1[O-]", "COC1CCOCC1"):
        args += ["--smiles", s]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "re-rooted 2 of 5 SMILES" in err and "'C[O-]' -> '[O-]C'" in err
    z = pd.read_csv(out, keep_default_na=False)
    assert z["smiles"].tolist() == ["[O-]C", "C[O-]", "[O-]C1CC1", "C1CC1[O-]", "COC1CCOCC1"]
    assert z["smiles_encoded"].tolist()[:4] == ["[O-]C", "[O-]C", "[O-]C1CC1", "[O-]C1CC1"]
    assert z["rerooted"].astype(str).tolist() == ["False", "True", "False", "True", "False"]
    zc = [c for c in z.columns if c.startswith("z")]
    latent = z[zc].replace("", np.nan).astype(float).to_numpy()
    np.testing.assert_array_equal(latent[0], latent[1])
    np.testing.assert_array_equal(latent[2], latent[3])
    assert not np.allclose(latent[0], latent[2])
    assert "equally basic" in z.loc[4, "error"] and np.isnan(latent[4]).all()


def test_reconstruct_and_sample_reroot(tiny_checkpoint, tiny_ligand_set, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["reconstruct", "--checkpoint", str(tiny_checkpoint), "--smiles", "C[O-]", "--out", str(out)]) == 0
    r = pd.read_csv(out, keep_default_na=False)
    assert r.loc[0, ["smiles", "smiles_encoded"]].tolist() == ["C[O-]", "[O-]C"] and bool(r.loc[0, "rerooted"])
    assert "re-rooted 1 of 1" in capsys.readouterr().err
    cand = tmp_path / "c.csv"
    assert main(["sample", "--checkpoint", str(tiny_checkpoint), "--ligand-set", str(tiny_ligand_set),
                 "--seed", "CO", "--attempts", "20", "--out", str(cand)]) == 0
    assert "'CO' -> 'OC'" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(tiny_checkpoint), "--ligand-set", str(tiny_ligand_set),
                 "--seed", "COC1CCOCC1", "--attempts", "20", "--out", str(tmp_path / "d.csv")]) == 2
    assert "equally basic" in capsys.readouterr().err

