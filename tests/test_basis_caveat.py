"""gauss_core.kd.basis_caveat: MB results of neutral donors are flagged, nothing else is."""

from gauss_core.kd.basis_caveat import mb_caveat

MB = "Dy ANO-RCC-VDZP, ligands ANO-RCC-MB"


def test_only_neutral_donors_in_mb_are_flagged():
    assert "factor 10" in mb_caveat("N1(C)CC1", MB)           # the study's worst case: 21 vs 231 cm-1
    assert "factor 10" in mb_caveat("O1CCC1", MB)
    assert mb_caveat("[O-]CC", MB) == ""                       # anionic O: within 2.5 % of lig-VDZP
    assert mb_caveat("N1(C)CC1", "Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP") == ""
    assert mb_caveat("N1(C)CC1", float("nan")) == mb_caveat("N1(C)CC1", None) == ""   # basis not recorded
