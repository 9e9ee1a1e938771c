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
