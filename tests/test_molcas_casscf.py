"""gauss_core.kd.molcas_casscf re-exports the writer, runner and parser under their old import path."""

from __future__ import annotations

from gauss_core.kd import molcas_casscf, molcas_input, molcas_parse, molcas_run


def test_every_public_name_is_the_split_modules_object():
    for name in molcas_casscf.__all__:
        home = [m for m in (molcas_input, molcas_run, molcas_parse) if name in vars(m)]
        assert home, f"{name} is defined in none of molcas_input/run/parse"
        assert getattr(molcas_casscf, name) is getattr(home[0], name), name
    # the names the queue's job kinds and the ORCA writer import from here
    for name in ("MolcasCasscfConfig", "write_molcas_input", "run_molcas", "parse_molcas_output", "prune_outputs",
                 "MolcasRunError", "molcas_error_summary", "XyzStructure", "structure_from", "N_4F_ELECTRONS"):
        assert name in molcas_casscf.__all__, name
