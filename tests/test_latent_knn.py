"""scripts/latent_knn.py: out-of-fold kNN of a per-ligand quantity on a real (tiny) model's latent space."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from conftest import REPO


def test_latent_knn_prints_per_class_scores_and_refuses_a_missing_column(tiny_checkpoint, tiny_ligand_set, tmp_path):
    smiles = pd.read_csv(tiny_ligand_set)["smiles"].head(120).tolist()
    # a real per-ligand quantity: heavy-atom count (the latent space of any SMILES VAE should order it)
    from rdkit import Chem

    table = pd.DataFrame({"smiles": smiles, "n_heavy": [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in smiles]})
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "latent_knn.py"), "--table", str(path), "--column",
                          "n_heavy", "--checkpoint", str(tiny_checkpoint), "--k", "5"],
                         capture_output=True, text=True, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("n_heavy of 120 ligands")
    latent = next(line for line in lines if line.startswith("latent, any class"))
    assert float(latent.split("|")[1].split("/")[0]) > 0.3  # size is in any SMILES latent space
    assert any(line.startswith("Morgan fingerprint, same class") for line in lines)
    bad = subprocess.run([sys.executable, str(REPO / "scripts" / "latent_knn.py"), "--table", str(path), "--column",
                          "nope", "--checkpoint", str(tiny_checkpoint)], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode != 0 and "'nope'" in bad.stderr


def test_latent_knn_held_out_predicts_only_the_checkpoints_test_split(tiny_checkpoint, tiny_ligand_set, tmp_path):
    """--held-out: the checkpoint's test-split ligands are predicted from the others only, and the head's own
    prediction is scored when the head has the column (here donor_Z, one of the tiny model's proxies)."""
    from rdkit import Chem

    from gauss_core.model.checkpoint import load_checkpoint

    loaded = load_checkpoint(tiny_checkpoint)
    test = [s for s in loaded.test_smiles if s][:40]
    train = [s for s in pd.read_csv(tiny_ligand_set)["smiles"] if s not in set(loaded.test_smiles)][:120]
    smiles = test + train
    z_of = {"N": 7, "O": 8}
    table = pd.DataFrame({"smiles": smiles, "n_heavy": [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in smiles],
                          "donor_Z": [z_of.get(s.lstrip("[").upper()[0], 8) for s in smiles]})
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    for column, head in (("n_heavy", False), ("donor_Z", True)):
        run = subprocess.run([sys.executable, str(REPO / "scripts" / "latent_knn.py"), "--table", str(path),
                              "--column", column, "--checkpoint", str(tiny_checkpoint), "--k", "5", "--held-out"],
                             capture_output=True, text=True, cwd=REPO, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        assert f"{len(test)} held-out (test-split) ligands predicted" in run.stdout
        assert any(line.startswith("latent, same class") for line in run.stdout.splitlines())
        assert any(line.startswith("head prediction") for line in run.stdout.splitlines()) == head
