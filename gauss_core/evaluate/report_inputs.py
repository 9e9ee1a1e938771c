"""What `gauss evaluate` reads: checkpoint, ligand set, proxy labels, the KD mapping set and CASSCF results
(bundled file + the live queue), gathered into one EvalInputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs, kd_labelled
from gauss_core.evaluate.report_config import ReportConfig


def casscf_results(config: ReportConfig) -> pd.DataFrame | None:
    """CASSCF KD results: the bundled file (config.casscf_set) plus the finished jobs of the live queue (the queue
    wins for a ligand in both; gauss_core.jobs.all_kd_results). Column `casscf_source` names the file, the queue
    or both. None when
    neither has any; only rows with a CASSCF provenance tag are kept.

    Raises:
        DataFormatError: the bundled file is unreadable or lacks the label columns.
    """
    from gauss_core.jobs import JobStore, all_kd_results
    from gauss_core.jobs.labels import SOURCE_COLUMN

    store = None
    if config.read_queue:
        db = config.queue_db or (paths.gauss_home() / "queue.db")
        try:
            store = JobStore(db) if Path(db).exists() else None
        except GaussError:
            store = None
    bundled = Path(config.casscf_set) if config.casscf_set is not None else None
    if bundled is not None and not bundled.exists():
        bundled = None
    if store is None and bundled is None:
        return None
    table = all_kd_results(store, bundled, include_bundled=bundled is not None)
    if len(table) == 0:
        return None
    is_cas = table[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t))).astype(bool)
    table = table.loc[is_cas].dropna(subset=[C.KD_GAP_COLUMNS[0]]).reset_index(drop=True)
    queue_name = Path(config.queue_db or paths.gauss_home() / "queue.db").name
    names = {"bundled": f"bundled ({bundled.name})" if bundled is not None else "", "queue": f"queue ({queue_name})"}
    table["casscf_source"] = [" + ".join(names[part] for part in str(src).split(" + "))
                              for src in table.pop(SOURCE_COLUMN)]
    return table if len(table) else None


def load_inputs(config: ReportConfig, log: Callable[[str], None] = print) -> EvalInputs:
    """Checkpoint, ligand set, proxy labels, KD mapping (+ CASSCF from the queue) and novelty reference."""
    from gauss_core.kd.kd_mapping import load_kd_mapping, with_casscf
    from gauss_core.ligands import load_ligand_set
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.sampling import training_reference
    from gauss_core.train import read_label_tables
    from gauss_core.train.augment import select_charge_target

    loaded = load_checkpoint(config.checkpoint)
    ligands = load_ligand_set(config.ligands)
    labels, tag = None, "none"
    if config.labels is not None and Path(config.labels).exists():
        labels = read_label_tables([config.labels])
        raw = pd.read_csv(config.labels, usecols=lambda c: c == C.PROVENANCE)
        tag = ", ".join(sorted(set(raw[C.PROVENANCE].dropna().astype(str)))) if len(raw.columns) else "unknown"
        # the head's charge is judged against the column it was trained on, as the trainer chose it
        labels, sources = select_charge_target(labels, str(loaded.train_config.get("charge_column") or C.Q_DONOR))
        if not sources.get(C.Q_DONOR, C.Q_DONOR).startswith(f"{C.Q_DONOR}:"):
            tag += f" ({C.Q_DONOR} = {sources[C.Q_DONOR].split(':')[0]})"
    kd = None
    if config.kd_mapping is not None and Path(config.kd_mapping).exists():
        kd = load_kd_mapping(config.kd_mapping)
    cas = casscf_results(config)
    if kd is not None or (cas is not None and len(cas)):
        base = kd if kd is not None else pd.DataFrame(columns=[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE])
        kd = with_casscf(base, cas)
        if C.LIGAND_CLASS in ligands.columns:
            cls = ligands.drop_duplicates(C.SMILES).set_index(C.SMILES)[C.LIGAND_CLASS]
            kd[C.LIGAND_CLASS] = kd[C.SMILES].map(cls)
    if cas is not None and C.LIGAND_CLASS in ligands.columns:
        cas[C.LIGAND_CLASS] = cas[C.SMILES].map(ligands.drop_duplicates(C.SMILES).set_index(C.SMILES)[C.LIGAND_CLASS])
    log(f"checkpoint {config.checkpoint} ({len(loaded.train_smiles)} training ligands, "
        f"{len(loaded.test_smiles)} held out); "
        f"{len(ligands)} ligands; labels: {0 if labels is None else len(labels)} ({tag}); KD-labelled: "
        f"{0 if kd is None else len(kd_labelled(kd))}; CASSCF: {0 if cas is None else len(cas)} "
        f"({'none' if cas is None else cas['casscf_source'].value_counts().to_dict()})")
    return EvalInputs(loaded=loaded, ligands=ligands, labels=labels, labels_provenance=tag, kd=kd,
                      reference=training_reference(loaded, ligands), casscf=cas)
