"""Training data (splits, semi-supervised label mask, standardisation), the loop (loss goes down,
resume continues exactly), early stopping and the `gauss train` command, on real QM9-derived ligands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem
from rdkit.Chem import rdPartialCharges

from gauss_core import columns
from gauss_core.cli import main as gauss_main
from gauss_core.model.checkpoint import load_checkpoint, read_checkpoint
from gauss_core.train import TrainConfig, prepare_data, read_label_tables, read_ligands, train_model
from gauss_core.train.data import make_splits
from gauss_core.train.loop import should_stop


def gasteiger_labels(smiles: list[str]) -> pd.DataFrame:
    """A real, cheap donor-atom property as the q label (Gasteiger charge of atom 0), plus its degree as mu."""
    q, mu = [], []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        rdPartialCharges.ComputeGasteigerCharges(mol)
        q.append(float(mol.GetAtomWithIdx(0).GetDoubleProp("_GasteigerCharge")))
        mu.append(float(mol.GetAtomWithIdx(0).GetDegree()))
    return pd.DataFrame({columns.SMILES: smiles, columns.Q_DONOR: q, columns.MU_DONOR: mu})


@pytest.fixture(scope="module")
def ligands(tiny_ligand_set):
    return read_ligands(tiny_ligand_set)


@pytest.fixture(scope="module")
def labels_csv(ligands, tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "labels.csv.gz"
    gasteiger_labels(ligands[columns.SMILES].tolist()).to_csv(path, index=False)
    return path


def test_splits_are_seeded_disjoint_and_test_is_fixed():
    tr, te = make_splits(100, 50, 20, seed=3)
    tr2, te2 = make_splits(100, 70, 20, seed=3)
    assert len(tr) == 50 and len(te) == 20 and not set(tr) & set(te)
    assert np.array_equal(te, te2)           # the test split does not depend on n_train
    assert not np.array_equal(make_splits(100, 50, 20, seed=4)[1], te)
    with pytest.raises(Exception, match="exceeds"):
        make_splits(100, 90, 20, seed=0)


def test_semi_supervised_mask_is_honest(ligands, labels_csv):
    labels = read_label_tables([labels_csv])
    data = prepare_data(ligands, labels, n_train=400, n_test=60, label_fraction=0.25, seed=0)
    kept = data.labelled_train
    assert kept.sum() == 100 == data.n_labelled
    mask = data.train.mask.numpy()
    names = data.label_names
    assert names == list(columns.PROXY_COLUMNS)
    # Unkept rows have no label at all, donor_Z included (it is known, but not a label there).
    assert not mask[~kept].any()
    assert mask[kept][:, names.index(columns.DONOR_Z)].all() and mask[kept][:, names.index(columns.Q_DONOR)].all()
    assert not mask[:, names.index(columns.ALPHA_DONOR)].any()   # no table has alpha
    # Test rows keep every label they have.
    assert data.test.mask.numpy()[:, names.index(columns.Q_DONOR)].all()
    # Standardisation uses only the kept training rows.
    q = labels.loc[[data.train.smiles[i] for i in np.flatnonzero(kept)], columns.Q_DONOR].to_numpy()
    assert data.label_mean[names.index(columns.Q_DONOR)] == pytest.approx(q.mean())
    assert data.label_std[names.index(columns.Q_DONOR)] == pytest.approx(q.std())
    std_q = data.train.labels.numpy()[kept, names.index(columns.Q_DONOR)]
    assert std_q.mean() == pytest.approx(0.0, abs=1e-5)
    assert not set(data.train.smiles) & set(data.test.smiles)


def test_label_tables_merge_and_missing_markers(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    pd.DataFrame({"smiles": ["O", "N"], columns.Q_DONOR: [1.0, 2.0],
                  columns.MU_DONOR: [5.0, -1000000.0]}).to_csv(a, index=False)
    pd.DataFrame({"smiles": ["N", "OC"], columns.Q_DONOR: [np.nan, 3.0],
                  columns.MU_DONOR: [7.0, 8.0]}).to_csv(b, index=False)
    merged = read_label_tables([a, b])
    assert merged.loc["O", columns.Q_DONOR] == 1.0
    assert merged.loc["N", columns.Q_DONOR] == 2.0     # NaN in the later file does not erase a value
    assert merged.loc["N", columns.MU_DONOR] == 7.0     # a later value wins; -1e6 was missing anyway
    assert merged.loc["OC", columns.Q_DONOR] == 3.0
    assert read_label_tables([]) is None


def test_paper_whitespace_layout_is_accepted(tmp_path):
    path = tmp_path / "loprop.txt"
    path.write_text("[O-]C 8 -0.9 0.3 5.1\nOCC 8 -0.6 -1000000.0 4.0\nNCC 7 -0.7 0.2 -1000000.0\n")
    merged = read_label_tables([path])
    assert merged.loc["[O-]C", columns.Q_DONOR] == pytest.approx(-0.9)
    assert math.isnan(merged.loc["OCC", columns.MU_DONOR]) and math.isnan(merged.loc["NCC", columns.ALPHA_DONOR])


def test_should_stop_window():
    assert not should_stop([5, 4, 3], window=10, delta=1e-3)
    flat = [1.0] + [0.9995] * 10
    assert should_stop(flat, window=10, delta=1e-3)
    improving = [1.0] + [1.0 - 0.01 * i for i in range(1, 11)]
    assert not should_stop(improving, window=10, delta=1e-3)


def _cfg(**kw) -> TrainConfig:
    base = dict(max_epochs=2, n_test=60, seed=0, progress=False, label_fraction=0.5)
    base.update(kw)
    return TrainConfig(**base)


def test_resume_continues_exactly_from_saved_epoch(ligands, labels_csv, tmp_path):
    torch.set_num_threads(1)
    labels = read_label_tables([labels_csv])
    data = prepare_data(ligands, labels, n_train=300, n_test=60, label_fraction=0.5, seed=0)
    straight = train_model(data, _cfg(max_epochs=2), tmp_path / "a.pt", log=lambda s: None)
    train_model(data, _cfg(max_epochs=1), tmp_path / "b.pt", log=lambda s: None)
    assert read_checkpoint(tmp_path / "b.pt")["resume"]["epoch"] == 1
    lines = []
    resumed = train_model(data, _cfg(max_epochs=2), tmp_path / "b.pt", resume=True, log=lines.append)
    assert "resuming" in lines[0] and "after epoch 1" in lines[0]
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    assert [h["loss"] for h in resumed.history] == pytest.approx([h["loss"] for h in straight.history], abs=1e-6)
    a, b = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    for k, v in a.model.state_dict().items():
        assert torch.allclose(v, b.model.state_dict()[k], atol=1e-6), k
    assert (tmp_path / "b.log").read_text().count("epoch") >= 2


@pytest.mark.slow
def test_real_training_run_lowers_loss(tmp_path):
    """A few thousand real ligands (first 2000 QM9 molecules through the donor rules), three epochs."""
    from gauss_core.ligands import BuildConfig, build_ligand_set

    torch.set_num_threads(1)
    lig_path = tmp_path / "lig.csv.gz"
    build_ligand_set(BuildConfig(limit=2000, workers=1, progress=False), out_path=lig_path)
    ligands = read_ligands(lig_path)
    assert len(ligands) > 2500
    labels = gasteiger_labels(ligands[columns.SMILES].tolist()).set_index(columns.SMILES)
    data = prepare_data(ligands, labels, n_test=300, label_fraction=0.25, seed=0)
    result = train_model(data, _cfg(max_epochs=3, n_test=300), tmp_path / "m.pt", log=lambda s: None)
    losses = [h["loss"] for h in result.history]
    assert losses[-1] < losses[0] * 0.8, losses
    first, last = result.history[0]["test"], result.history[-1]["test"]
    assert last["recon_token"] > first["recon_token"]
    assert last["loss"] < first["loss"]
    assert result.metrics["r2_donor_Z"] > 0.5       # the head learns the donor element from the latent


def test_gauss_train_command_writes_checkpoint_log_and_resumes(tiny_ligand_set, labels_csv, tmp_path, capsys):
    out = tmp_path / "cli.pt"
    args = ["train", "--ligands", str(tiny_ligand_set), "--labels", str(labels_csv), "--n-train", "200",
            "--n-test", "40", "--max-epochs", "1", "--out", str(out), "--no-progress"]
    assert gauss_main(args) == 0
    assert out.exists() and out.with_suffix(".json").exists()
    assert "epoch   1" in capsys.readouterr().out
    assert gauss_main(args) == 2                       # refuses to overwrite without --resume/--overwrite
    assert "already exists" in capsys.readouterr().err
    assert gauss_main(["train", "--out", str(out), "--resume", "--max-epochs", "2", "--no-progress"]) == 0
    loaded = load_checkpoint(out)
    assert [h["epoch"] for h in loaded.history] == [1, 2]
    assert len(out.with_suffix(".log").read_text().strip().splitlines()) == 2
    assert gauss_main(["reconstruct", "--checkpoint", str(out), "--smiles", loaded.train_smiles[0]]) == 0
    # a failed row gets its reason in the error column (a run in which every row fails exits 2: issue 15)
    assert gauss_main(["encode", "--checkpoint", str(out), "--smiles", "BrC", "--smiles", loaded.train_smiles[0],
                       "--out", str(tmp_path / "z.csv")]) == 0
    z = pd.read_csv(tmp_path / "z.csv")
    assert "Br" in z.loc[0, "error"]


def test_gauss1_head_trains_on_paper_kd_layout(ligands, tmp_path):
    """GAUSS-I: the paper's 14-column layout (class, MPP, SDP, angle, r1, r2, E1..E7) trains the KD head."""
    from gauss_core.latent import encode_smiles, predict_proxies

    rows = []
    for i, s in enumerate(ligands[columns.SMILES].tolist()[:120]):
        mol = Chem.MolFromSmiles(s)
        heavy = mol.GetNumHeavyAtoms()
        gaps = [100.0 * k + 10.0 * heavy for k in range(1, 8)]
        if i % 5 == 0:
            gaps[6] = columns.MISSING_LABEL        # a missing gap stays out of the loss
        rows.append(" ".join([s, "1", f"{0.1 * heavy:.3f}", "0.5", "175.0", "2.2", "2.3", *map(str, gaps)]))
    path = tmp_path / "kd.txt"
    path.write_text("\n".join(rows) + "\n")
    labels = read_label_tables([path])
    data = prepare_data(ligands, labels, head="gauss1", n_train=300, n_test=40, label_fraction=1.0, seed=0)
    assert data.label_names == list(columns.KD_GAP_COLUMNS) and data.struct_names == list(columns.STRUCT_COLUMNS)
    assert data.train.struct.shape[1] == 6
    assert 0 < data.n_labelled < 300
    result = train_model(data, _cfg(max_epochs=1, head="gauss1"), tmp_path / "g1.pt", log=lambda s: None)
    assert "r2_kd_gap1_cm1" in result.metrics
    loaded = load_checkpoint(tmp_path / "g1.pt")
    smiles = [s for s in data.train.smiles if s in labels.index][:5]
    z = encode_smiles(loaded, smiles)
    struct = labels.loc[smiles, list(columns.STRUCT_COLUMNS)].to_numpy()
    pred = predict_proxies(loaded, z, struct=struct)
    assert list(pred.columns) == list(columns.KD_GAP_COLUMNS) and np.isfinite(pred.to_numpy()).all()
    with pytest.raises(ValueError, match="structural vector"):
        predict_proxies(loaded, z)


def test_resume_on_new_labels_relabels_and_restarts_best_record(tiny_ligand_set, ligands, tmp_path, capsys):
    """Resuming with more labels (the bundled model's fine-tune path): the labelled subset is drawn again from
    the new file and the best-loss record restarts, since losses on other labels are not comparable."""
    smiles = ligands[columns.SMILES].tolist()
    few, many = tmp_path / "few.csv", tmp_path / "many.csv"
    table = gasteiger_labels(smiles)
    table.iloc[:40].to_csv(few, index=False)
    table.to_csv(many, index=False)
    out = tmp_path / "ft.pt"
    base = ["train", "--ligands", str(tiny_ligand_set), "--n-train", "200", "--n-test", "40",
            "--label-fraction", "1.0", "--out", str(out), "--no-progress"]
    assert gauss_main([*base, "--labels", str(few), "--max-epochs", "1"]) == 0
    n_few = read_checkpoint(out)["n_labelled"]
    capsys.readouterr()
    assert gauss_main(["train", "--out", str(out), "--resume", "--labels", str(many), "--max-epochs", "2",
                       "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "labels changed" in text and "restart after epoch 1" in text
    saved = read_checkpoint(out)
    assert n_few < 40 and saved["n_labelled"] > 150          # ~200 train rows, all labelled now
    assert saved["best_epoch"] == 2                            # epoch 1's loss (other labels) is not compared
    assert saved["resume"]["window_start"] == 1
    capsys.readouterr()
    assert gauss_main(["train", "--out", str(out), "--resume", "--labels", str(many), "--max-epochs", "3",
                       "--no-progress"]) == 0
    assert "differ" not in capsys.readouterr().out           # same labels and settings: an ordinary resume


def test_resume_with_another_objective_restarts_the_lr_schedule(tiny_ligand_set, ligands, tmp_path, capsys):
    """Turning the spellings on when resuming changes the loss: the LR scheduler must not keep comparing
    against the old run's lower loss (it halved the LR every 3 epochs on the GPU run of 2026-12-04)."""
    labels = tmp_path / "labels.csv"
    gasteiger_labels(ligands[columns.SMILES].tolist()).to_csv(labels, index=False)
    out = tmp_path / "obj.pt"
    assert gauss_main(["train", "--ligands", str(tiny_ligand_set), "--n-train", "200", "--n-test", "40",
                       "--label-fraction", "1.0", "--labels", str(labels), "--out", str(out), "--no-progress",
                       "--augment", "off", "--max-epochs", "2"]) == 0
    before = read_checkpoint(out)["resume"]["scheduler"]["best"]
    capsys.readouterr()
    assert gauss_main(["train", "--out", str(out), "--resume", "--augment", "on", "--spelling-weight", "0.1",
                       "--max-epochs", "3", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "(augment_smiles, spelling_weight changed;" in text and "LR schedule" in text
    saved = read_checkpoint(out)
    last = saved["history"][-1]["loss"]
    assert saved["resume"]["scheduler"]["best"] == pytest.approx(last) and last != pytest.approx(before)
    assert saved["resume"]["scheduler"]["num_bad_epochs"] == 0 and saved["best_epoch"] == 3
    assert saved["history"][-1]["spelling"] > 0 and saved["history"][0]["spelling"] == 0  # pulled only when on


def test_random_donor_first_spellings_are_the_same_molecule_and_vary(ligands):
    from gauss_core.chem import canonical_kekule
    from gauss_core.tokens import Vocabulary
    from gauss_core.train.augment import DonorFirstAugmenter

    smiles = ligands[columns.SMILES].tolist()[:200]
    vocab = Vocabulary.from_smiles(smiles)
    aug = DonorFirstAugmenter(smiles, vocab)
    tokens, fallbacks = aug.tokens(seed=3)
    again, _ = aug.tokens(seed=3)
    assert torch.equal(tokens, again)  # seeded: a resumed run sees the same spellings
    written = vocab.decode_batch(tokens.numpy())
    assert sum(w != s for w, s in zip(written, smiles, strict=True)) > 50  # most ligands get a new spelling
    for w, s in zip(written, smiles, strict=True):
        mol, ref = Chem.MolFromSmiles(w), Chem.MolFromSmiles(s)
        assert mol is not None, w
        assert canonical_kekule(w) == canonical_kekule(s), (w, s)
        donor, ref_donor = mol.GetAtomWithIdx(0), ref.GetAtomWithIdx(0)  # donor stays first, charge and all
        assert (donor.GetSymbol(), donor.GetFormalCharge(), donor.GetTotalNumHs()) == (
            ref_donor.GetSymbol(), ref_donor.GetFormalCharge(), ref_donor.GetTotalNumHs()), (w, s)
    assert 0 <= fallbacks < len(smiles)


def test_spellings_do_not_depend_on_the_number_of_spelling_processes(ligands, monkeypatch):
    from gauss_core.tokens import Vocabulary
    from gauss_core.train import augment

    monkeypatch.setattr(augment, "SPELLING_CHUNK", 64)  # 200 rows -> 4 chunks, so 3 processes share them
    smiles = ligands[columns.SMILES].tolist()[:200]
    aug = augment.DonorFirstAugmenter(smiles, Vocabulary.from_smiles(smiles))
    one, f1 = aug.tokens(seed=5, workers=1)
    three, f3 = aug.tokens(seed=5, workers=3)
    assert torch.equal(one, three) and f1 == f3
    assert not torch.equal(one, aug.tokens(seed=6, workers=3)[0])


def test_spellings_outside_the_vocabulary_fall_back_and_are_counted():
    from gauss_core.tokens import Vocabulary
    from gauss_core.train.augment import DonorFirstAugmenter

    # "OC1CCC1C" (8 tokens) is the shortest spelling; "OC1C(C)CC1" does not fit a model of length 8
    smiles = ["OC1CCC1C", "[O-]CC"]
    vocab = Vocabulary(tokens=Vocabulary.from_smiles(smiles).tokens, max_len=8)
    fallbacks = [DonorFirstAugmenter(smiles, vocab).tokens(seed)[1] for seed in range(20)]
    assert max(fallbacks) > 0
    tokens, _ = DonorFirstAugmenter(smiles, vocab).tokens(0)
    assert all(Chem.MolFromSmiles(s) is not None for s in vocab.decode_batch(tokens.numpy()))


def test_tiny_ligands_are_oversampled():
    from gauss_core.train.augment import epoch_order, is_tiny

    smiles = ["[OH-]", "[O-]C", "OCC(C)(CC)C#N", "N1CC1", "OC1=CC=CC=C1"]
    tiny = np.array([is_tiny(s) for s in smiles])
    assert tiny.tolist() == [True, True, False, True, False]
    order = epoch_order(len(smiles), tiny, 4, torch.Generator().manual_seed(0)).tolist()
    assert sorted(order) == sorted([0] * 4 + [1] * 4 + [3] * 4 + [2, 4])
    assert sorted(epoch_order(5, tiny, 1, torch.Generator().manual_seed(0)).tolist()) == [0, 1, 2, 3, 4]


def test_charge_target_column_is_selectable_and_recorded(ligands, tmp_path):
    from gauss_core.errors import DataFormatError
    from gauss_core.train.augment import LOPROP_CHARGE

    smiles = ligands[columns.SMILES].tolist()
    table = gasteiger_labels(smiles)
    table[LOPROP_CHARGE] = 2.0 * table[columns.Q_DONOR] + 1.0  # a distinct, known column
    path = tmp_path / "labels.csv"
    table.to_csv(path, index=False)
    labels = read_label_tables([path])
    raw = prepare_data(ligands, labels, n_train=200, n_test=40, label_fraction=1.0, seed=0,
                       charge_column=columns.Q_DONOR)
    cal = prepare_data(ligands, labels, n_train=200, n_test=40, label_fraction=1.0, seed=0)  # default: LoProp
    k = cal.label_names.index(columns.Q_DONOR)
    assert cal.label_mean[k] == pytest.approx(2.0 * raw.label_mean[k] + 1.0)
    assert cal.label_sources[columns.Q_DONOR].startswith(LOPROP_CHARGE)
    assert raw.label_sources[columns.Q_DONOR].startswith(columns.Q_DONOR + ":")
    with pytest.raises(DataFormatError, match="charge-column"):
        prepare_data(ligands, labels, n_train=200, n_test=40, charge_column="q_nonsense")
    result = train_model(cal, _cfg(max_epochs=1, tiny_factor=4), tmp_path / "m.pt", log=lambda s: None)
    saved = read_checkpoint(result.path)
    assert saved["label_sources"][columns.Q_DONOR].startswith(LOPROP_CHARGE)
    assert saved["train_config"]["charge_column"] == LOPROP_CHARGE and saved["train_config"]["augment_smiles"]
    assert "spelling_fallbacks" in saved["history"][0]


def test_bond_length_target_is_masked_where_missing_recorded_and_encoded(ligands, tmp_path, capsys):
    from gauss_core.errors import CheckpointError, DataFormatError
    from gauss_core.latent import encode_smiles, predict_proxies

    smiles = ligands[columns.SMILES].tolist()
    table = gasteiger_labels(smiles)
    # a real per-molecule quantity standing in for the xtb distance (donor degree), on every other row only
    table[columns.R_DYL] = [2.1 + 0.1 * d if i % 2 == 0 else np.nan for i, d in enumerate(table[columns.MU_DONOR])]
    table[columns.R_DYL_METHOD] = "xtb-gfn2-axial"
    path = tmp_path / "labels.csv"
    table.to_csv(path, index=False)
    labels = read_label_tables([path])
    data = prepare_data(ligands, labels, n_train=200, n_test=40, label_fraction=0.5, seed=0)
    assert data.label_names == [*columns.PROXY_COLUMNS, columns.R_DYL]
    assert data.label_sources[columns.R_DYL] == "xtb-gfn2-axial"
    k = data.label_names.index(columns.R_DYL)
    has_r = table.set_index(columns.SMILES)[columns.R_DYL].reindex(data.train.smiles).notna().to_numpy()
    mask = data.train.mask.numpy()
    assert np.array_equal(mask[:, k], has_r & data.labelled_train)  # only kept rows that have a distance
    assert (mask[:, 1] & ~mask[:, k]).any()  # rows without a distance still train the charge
    r_kept = table.set_index(columns.SMILES)[columns.R_DYL].reindex(data.train.smiles).to_numpy()[mask[:, k]]
    assert data.label_mean[k] == pytest.approx(r_kept.mean()) and data.label_std[k] == pytest.approx(r_kept.std())
    assert np.allclose(data.train.labels.numpy()[mask[:, k], k], (r_kept - r_kept.mean()) / r_kept.std(), atol=1e-5)
    # no distance anywhere = the four proxies exactly as before
    assert prepare_data(ligands, read_label_tables([_drop_r(table, tmp_path)]), n_train=200, n_test=40,
                        seed=0).label_names == list(columns.PROXY_COLUMNS)

    out = tmp_path / "m.pt"
    train_model(data, _cfg(max_epochs=1, tiny_factor=4), out, log=lambda s: None)
    loaded = load_checkpoint(out)
    assert loaded.label_names[-1] == columns.R_DYL and loaded.config.n_labels == 5
    assert loaded.label_sources[columns.R_DYL] == "xtb-gfn2-axial"
    pred = predict_proxies(loaded, encode_smiles(loaded, data.train.smiles[:3]))
    assert list(pred.columns) == data.label_names and pred[columns.R_DYL].between(1.5, 3.5).all()
    capsys.readouterr()
    assert gauss_main(["encode", "--checkpoint", str(out), "--smiles", "[O-]C", "--smiles", "OC"]) == 0
    import io
    enc = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert enc["pred_r_dyl_A"].notna().all()
    assert (enc["pred_r_dyl_method"] == "gauss2-prediction (trained on xtb-gfn2-axial)").all()

    # a run cannot resume on label tables that change its head targets
    four = prepare_data(ligands, read_label_tables([_drop_r(table, tmp_path)]), fixed_splits={
        "train_smiles": data.train.smiles, "test_smiles": data.test.smiles}, vocab=data.vocab, seed=0)
    with pytest.raises(CheckpointError, match="head targets"):
        train_model(four, _cfg(max_epochs=2), out, resume=True, log=lambda s: None)
    # one target made by two methods (raw and corrected) has no single scale: refused
    table.loc[table.index[:10], columns.R_DYL_METHOD] = "xtb-gfn2-axial+fit"
    table.to_csv(path, index=False)
    with pytest.raises(DataFormatError, match="2 methods"):
        prepare_data(ligands, read_label_tables([path]), n_train=200, n_test=40, seed=0)


def _drop_r(table: pd.DataFrame, tmp_path) -> object:
    path = tmp_path / "no_r.csv"
    table.drop(columns=[columns.R_DYL, columns.R_DYL_METHOD]).to_csv(path, index=False)
    return path


def test_init_from_fine_tunes_a_checkpoint_with_a_new_bond_length_target(tiny_ligand_set, ligands, labels_csv,
                                                                        tmp_path, capsys):
    """`gauss train --init-from`: a new run that keeps the source's vocabulary, held-out test ligands and every
    weight that still fits, and gives the new head target (r_dyl_A) a fresh output (issue 13.3's warm start)."""
    src = tmp_path / "src.pt"
    assert gauss_main(["train", "--ligands", str(tiny_ligand_set), "--labels", str(labels_csv), "--n-train", "200",
                       "--n-test", "40", "--max-epochs", "1", "--out", str(src), "--no-progress"]) == 0
    source = read_checkpoint(src)
    table = gasteiger_labels(ligands[columns.SMILES].tolist())
    table[columns.R_DYL] = [2.1 + 0.1 * d if i % 3 else np.nan for i, d in enumerate(table[columns.MU_DONOR])]
    table[columns.R_DYL_METHOD] = "xtb-gfn2-axial@search+dft-class-linear-n18"
    r_labels = tmp_path / "r.csv"
    table[[columns.SMILES, columns.R_DYL, columns.R_DYL_METHOD]].to_csv(r_labels, index=False)
    out = tmp_path / "tuned.pt"
    capsys.readouterr()
    assert gauss_main(["train", "--init-from", str(src), "--labels", str(labels_csv), "--labels", str(r_labels),
                       "--max-epochs", "1", "--out", str(out), "--no-progress"]) == 0
    log = capsys.readouterr().out
    tuned = read_checkpoint(out)
    assert tuned["label_names"] == [*source["label_names"], columns.R_DYL]
    assert tuned["vocab"] == source["vocab"] and tuned["splits"]["test_smiles"] == source["splits"]["test_smiles"]
    assert tuned["train_config"]["init_from"].startswith(str(src))
    fresh = [k for k, v in tuned["model_state"].items() if v.shape != source["model_state"][k].shape]
    assert fresh and all(name in log for name in fresh)  # the new output is named as freshly initialised
    assert "freshly initialised" in log and "epoch   1" in log
    assert tuned["label_sources"][columns.R_DYL] == "xtb-gfn2-axial@search+dft-class-linear-n18"
    # a smaller learning rate and a weight for the sparse new target are recorded with the run
    weighted = tmp_path / "weighted.pt"
    assert gauss_main(["train", "--init-from", str(src), "--labels", str(labels_csv), "--labels", str(r_labels),
                       "--max-epochs", "1", "--out", str(weighted), "--no-progress", "--lr", "2.5e-4",
                       "--label-weight", f"{columns.R_DYL}=20"]) == 0
    run = read_checkpoint(weighted)["train_config"]
    assert run["lr"] == 2.5e-4 and run["label_weights"] == {columns.R_DYL: 20.0}
    capsys.readouterr()
    # a weight for a target the run does not have, or a malformed one, is refused with the fix
    assert gauss_main(["train", "--init-from", str(src), "--labels", str(labels_csv), "--max-epochs", "1",
                       "--out", str(tmp_path / "x.pt"), "--no-progress", "--label-weight", "r_dyl=20"]) == 2
    assert "not head targets" in capsys.readouterr().err
    assert gauss_main(["train", "--init-from", str(src), "--out", str(tmp_path / "y.pt"),
                       "--label-weight", "r_dyl_A"]) == 2
    assert "NAME=W" in capsys.readouterr().err
    # refusals: both flags at once, or the source as its own output
    assert gauss_main(["train", "--init-from", str(src), "--resume", "--out", str(out)]) == 2
    assert gauss_main(["train", "--init-from", str(src), "--out", str(src)]) == 2
    assert "another file" in capsys.readouterr().err
