"""LP sampling, the metric definitions, seed checks, the sigma sweep and `gauss sample` / `gauss sweep`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.chem import canonical_kekule
from gauss_core.errors import GaussError, InvalidSmilesError, SmilesTooLongError, UnknownTokenError
from gauss_core.sampling import (LPConfig, LPSampler, NoDonorError, NoveltyTracker, SamplingConfigError,
                                 SweepConfig, canonical_or_none, check_seed, donor_first_ok, encode_seeds,
                                 moses_rates, sigma_sweep, sweep_figure, training_reference)

# ----------------------------------------------------------------------------------------- metrics


def test_canonical_or_none_rejects_empty_and_invalid_and_unifies_spellings():
    assert canonical_or_none("") is None
    assert canonical_or_none("   ") is None
    assert canonical_or_none("C1CC") is None          # unclosed ring
    assert canonical_or_none("C(C)(C)(C)(C)C") is None  # pentavalent carbon
    assert canonical_or_none("OC") == canonical_or_none("CO")
    assert canonical_or_none("[O-]c1ccccc1") == canonical_or_none("[O-]C1=CC=CC=C1")
    assert "c" not in canonical_or_none("[O-]c1ccccc1")  # kekulised


def test_novelty_tracker_counts_follow_the_documented_definitions():
    ref = {canonical_kekule("OC")}
    tracker = NoveltyTracker(ref)
    # attempts: known, invalid, novel A, novel A again, novel B, known again
    for smi in ["CO", "C1CC", "OCC", "CCO", "NC", "OC"]:
        tracker.add(canonical_or_none(smi))
    c = tracker.counters
    # MOSES: unique = distinct valid {OC, OCC, NC}; novel = distinct valid not in training {OCC, NC}
    assert (c.attempts, c.valid, c.unique, c.novel, c.novel_attempts) == (6, 5, 3, 2, 3)
    assert c.rates() == pytest.approx({"validity": 5 / 6, "uniqueness": 3 / 5, "novelty": 2 / 3})
    # the streaming rates equal moses_rates on the same attempts
    r = moses_rates([canonical_or_none(s) for s in ["CO", "C1CC", "OCC", "CCO", "NC", "OC"]], ref)
    assert (r.validity, r.uniqueness, r.novelty) == pytest.approx((5 / 6, 3 / 5, 2 / 3))


def test_a_seed_is_never_novel():
    tracker = NoveltyTracker(set())
    tracker.add_seeds(["[O-]c1ccccc1"])
    for smi in ["[O-]C1=CC=CC=C1", "[O-]c1ccccc1", "OCC"]:   # the seed twice (two spellings), one new molecule
        tracker.add(canonical_or_none(smi))
    c = tracker.counters
    assert (c.attempts, c.valid, c.unique, c.novel) == (3, 3, 2, 1)


def test_moses_rates_use_moses_denominators():
    ref = {canonical_kekule("OC")}
    cans = [canonical_or_none(s) for s in ["CO", "C1CC", "OCC", "CCO", "NC", "OC"]]
    r = moses_rates(cans, ref)
    assert r.validity == pytest.approx(5 / 6)
    assert r.uniqueness == pytest.approx(3 / 5)       # {OC, OCC, NC} / 5 valid
    assert r.novelty == pytest.approx(2 / 3)          # {OCC, NC} / 3 distinct
    assert moses_rates([], ref).validity == 0.0


def test_donor_first_ok():
    assert donor_first_ok("[O-]C")
    assert donor_first_ok("N1C=CC=C1")
    assert not donor_first_ok("CO")
    assert not donor_first_ok("O.N")
    assert not donor_first_ok("C1CC")


# ----------------------------------------------------------------------------------------- seeds


def test_check_seed_refuses_with_reasons(tiny_loaded):
    vocab = tiny_loaded.vocab
    with pytest.raises(NoDonorError, match=r"2 equally basic.*did you mean 'O\(C\)C1CCOCC1'"):
        check_seed("COC1CCOCC1", vocab)   # two ether O: no single donor to re-root at
    with pytest.raises(NoDonorError, match="no N or O atom"):
        check_seed("CCC", vocab)
    with pytest.raises(UnknownTokenError, match=r"\[Si\]"):
        check_seed("O[Si](C)(C)C", vocab)
    with pytest.raises(SmilesTooLongError, match="at most"):
        check_seed("O" + "C" * (vocab.max_len + 5), vocab)
    with pytest.raises(InvalidSmilesError, match="not valid SMILES"):
        check_seed("OC(", vocab)
    with pytest.raises(InvalidSmilesError, match="several molecules"):
        check_seed("OC.OC", vocab)
    with pytest.raises(InvalidSmilesError, match="empty"):
        check_seed("  ", vocab)
    ok = check_seed(" OC ", vocab)
    assert ok.smiles == "OC" and ok.canonical == canonical_kekule("OC") and not ok.rerooted
    moved = check_seed("CCO", vocab)   # not donor-first: re-rooted at its only donor (issue 13.3)
    assert (moved.smiles, moved.typed, moved.rerooted) == ("OCC", "CCO", True)


def test_encode_seeds_gives_latent_means(tiny_loaded):
    z = encode_seeds(tiny_loaded, ["OC", "[O-]C"])
    assert z.shape == (2, tiny_loaded.config.latent_dim)
    assert np.isfinite(z).all()
    z2 = encode_seeds(tiny_loaded, ["OC"])
    np.testing.assert_allclose(z2[0], z[0], atol=1e-5)  # means, not samples: deterministic


# ----------------------------------------------------------------------------------------- LP


@pytest.fixture(scope="module")
def sampler(tiny_loaded, tiny_ligands):
    return LPSampler.from_model(tiny_loaded, training_reference(tiny_loaded, tiny_ligands))


def test_training_reference_is_the_checkpoint_training_split(tiny_loaded, tiny_ligands):
    ref = training_reference(tiny_loaded, tiny_ligands)
    train = tiny_loaded.train_smiles
    assert train, "the trainer stores its training split in the checkpoint"
    assert ref == {canonical_kekule(s) for s in train}


def test_lp_run_counters_and_candidate_table(sampler, tiny_loaded):
    seeds = ["OC", "[O-]C"]
    z = encode_seeds(tiny_loaded, seeds)
    result = sampler.run(seeds, z, LPConfig(sigma=0.5, attempts_per_seed=300, batch_size=128, random_seed=1))
    c = result.counters
    assert c.attempts == 600
    assert 0 <= c.novel <= c.unique <= c.valid <= c.attempts
    cand = result.candidates
    assert list(cand.columns[:8]) == [C.SMILES, C.CANONICAL, C.SEED_SMILES, C.SIGMA, C.IS_VALID, C.IS_NOVEL,
                                      C.IS_UNIQUE, C.DONOR_FIRST_OK]
    assert not cand[C.CANONICAL].duplicated().any()
    assert len(cand) == len(result.latents)
    for smi, canon, novel in zip(cand[C.SMILES], cand[C.CANONICAL], cand[C.IS_NOVEL], strict=False):
        assert canonical_kekule(smi) == canon
        assert novel == (canon not in sampler.reference and canon not in {canonical_kekule(x) for x in seeds})
    assert len(cand) == c.unique                             # one row per distinct valid molecule
    assert int(cand[C.IS_NOVEL].sum()) == c.novel            # distinct novel molecules
    assert int(cand[C.TIMES_GENERATED].sum()) == c.valid     # every valid attempt is counted once
    assert set(cand[C.SEED_SMILES]) <= set(seeds)
    pred_cols = [f"{C.PREDICTED_PREFIX}{n}" for n in tiny_loaded.label_names]
    assert all(col in cand.columns for col in pred_cols)
    assert sum(r.attempts for r in result.per_seed.values()) == 600


def test_sigma_zero_decodes_the_seed_point_only(sampler, tiny_loaded):
    z = encode_seeds(tiny_loaded, ["OC"])
    result = sampler.run(["OC"], z, LPConfig(sigma=0.0, attempts_per_seed=50, batch_size=50))
    assert result.counters.attempts == 50
    assert result.counters.valid in (0, 50)        # all 50 decodes are the same string
    assert len(result.candidates) <= 1


def test_stopping_keeps_what_was_sampled(sampler, tiny_loaded):
    z = encode_seeds(tiny_loaded, ["OC"])
    result = sampler.run(["OC"], z, LPConfig(sigma=0.4, attempts_per_seed=1000, batch_size=100),
                         on_batch=lambda batch: batch.done_attempts >= 200)
    assert result.counters.attempts == 200


def test_batches_stream_progress(sampler, tiny_loaded):
    z = encode_seeds(tiny_loaded, ["OC", "N"])
    batches = list(sampler.iter_batches(["OC", "N"], z, LPConfig(sigma=0.3, attempts_per_seed=150,
                                                                  batch_size=100)))
    assert [b.done_attempts for b in batches] == [100, 150, 250, 300]
    assert [b.seed_smiles for b in batches] == ["OC", "OC", "N", "N"]
    assert batches[-1].progress == 1.0
    attempts = [b.counters.attempts for b in batches]
    assert attempts == sorted(attempts)


@pytest.mark.parametrize("bad", [LPConfig(sigma=-0.1), LPConfig(attempts_per_seed=0), LPConfig(batch_size=0),
                                 LPConfig(sigma=float("nan"))])
def test_bad_settings_raise_readable_errors(sampler, bad):
    with pytest.raises(SamplingConfigError) as info:
        list(sampler.iter_batches(["OC"], np.zeros((1, 32), np.float32), bad))
    assert isinstance(info.value, GaussError)


def test_no_seeds_is_refused(sampler):
    with pytest.raises(SamplingConfigError, match="no seeds"):
        list(sampler.iter_batches([], np.zeros((0, 32), np.float32), LPConfig()))


# ----------------------------------------------------------------------------------------- sweep


def test_sigma_sweep_table_and_figure(sampler, tiny_loaded):
    z = encode_seeds(tiny_loaded, ["OC"])[0]
    table = sigma_sweep(sampler, "OC", z, SweepConfig(sigmas=(0.0, 0.3, 0.8), batches=2, batch_size=40))
    assert list(table["sigma"]) == [0.0, 0.3, 0.8]
    assert (table["attempts"] == 80).all()
    assert table.loc[0, "validity_pct"] in (0.0, 100.0)
    assert table.loc[0, "unique"] <= 1
    assert (np.diff(table["cumulative_novel"]) >= 0).all()
    assert (np.diff(table["cumulative_unique"]) >= 0).all()
    assert (table["uniqueness_pct"] <= table["novelty_pct"] + 1e-9).all()
    assert (table["novelty_pct"] <= table["validity_pct"] + 1e-9).all()
    fig = sweep_figure(table)
    assert len(fig.data) == 5


def test_sweep_refuses_empty_sigmas(sampler):
    with pytest.raises(SamplingConfigError):
        sigma_sweep(sampler, "OC", np.zeros(32, np.float32), SweepConfig(sigmas=()))


# ----------------------------------------------------------------------------------------- CLI


def test_cli_sample_and_sweep_write_csv(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.cli import main

    out = tmp_path / "samples.csv"
    rc = main(["sample", "--seed", "OC", "--seed", "[O-]C", "--sigma", "0.5", "--attempts", "200",
               "--batch-size", "100", "--checkpoint", str(tiny_checkpoint), "--ligand-set", str(tiny_ligand_set),
               "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out)
    for col in (C.SMILES, C.CANONICAL, C.SEED_SMILES, C.SIGMA, C.IS_VALID, C.IS_NOVEL, C.IS_UNIQUE,
                "pred_provenance"):
        assert col in df.columns
    assert (df[C.SIGMA] == 0.5).all()

    sweep_out = tmp_path / "sweep.csv"
    rc = main(["sweep", "--seed", "OC", "--max-sigma", "0.6", "--steps", "3", "--batches", "1", "--batch-size", "30",
               "--checkpoint", str(tiny_checkpoint), "--ligand-set", str(tiny_ligand_set), "--out", str(sweep_out),
               "--plot", str(tmp_path / "sweep.html")])
    assert rc == 0
    sweep = pd.read_csv(sweep_out)
    assert list(sweep["sigma"]) == [0.0, 0.3, 0.6]
    assert (tmp_path / "sweep.html").stat().st_size > 1000


def test_cli_sample_bad_seed_exits_2_with_message(tiny_checkpoint, tiny_ligand_set, tmp_path, capsys):
    from gauss_core.cli import main

    # CCO is re-rooted to OCC now (issue 13.3); two equally basic ether O leave no single donor
    rc = main(["sample", "--seed", "COC1CCOCC1", "--checkpoint", str(tiny_checkpoint), "--ligand-set",
               str(tiny_ligand_set), "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    assert "did you mean 'O(C)C1CCOCC1'" in capsys.readouterr().err


def test_canonical_cache_memoises_and_stays_bounded():
    from gauss_core.sampling import CanonicalCache

    cache = CanonicalCache(max_entries=3)
    assert cache("OC") == cache("OC") == canonical_kekule("OC")
    for smi in ["N", "O", "OCC", "C1CC"]:
        cache(smi)
    assert len(cache) <= 3
    assert cache("C1CC") is None
