"""An LP sampling run that writes into a design session: every decoded batch's new molecules (with their
latent samples and map position) and the run's counters go to the store as they come, so any reader (the
dashboard's polling page, another tab, a restarted server) sees the run's progress, and a stop request,
set from anywhere through the store, ends the run after the batch in progress, which is kept.

The dashboard runs `sample_into_session` in a background thread (gauss_app/sampling_runner.py), so a page
switch or a closed tab neither stops nor slows the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from gauss_core.errors import GaussError
from gauss_core.sampling import LPConfig, LPSampler, NoveltyTracker
from gauss_core.session.design import DesignSession
from gauss_core.session.store import FAILED, FINISHED, STOPPED

ProjectFn = Callable[[np.ndarray], np.ndarray]


def start_run(session: DesignSession, seeds: Sequence[str], config: LPConfig) -> int:
    """Record a new run (status running) and return its id; `sample_into_session` then fills it."""
    config.validate()
    record = {**dataclasses.asdict(config), "seeds": list(seeds)}
    return session.start_run(record, total=config.attempts_per_seed * len(seeds))


def sample_into_session(sampler: LPSampler, session: DesignSession, run_id: int, seeds: Sequence[str],
                        seed_latents: np.ndarray, config: LPConfig, project: ProjectFn | None = None) -> dict:
    """Run LP sampling for the recorded run `run_id`, batch by batch into `session`.

    Args:
        project: latent (n, d) -> map coordinates (n, 2) (the latent map's PCA), stored as pc1/pc2.
    Returns:
        the final run record (status finished, stopped or failed; error names the problem when failed).
    """
    tracker = NoveltyTracker(sampler.reference)
    status, error = FAILED, None
    try:
        for batch in sampler.iter_batches(seeds, seed_latents, config, tracker):
            rows = batch.new_rows
            if project is not None and len(batch.new_latents):
                xy = project(batch.new_latents)
                rows = rows.assign(pc1=xy[:, 0], pc2=xy[:, 1])
            session.append_samples(rows, batch.new_latents, run_id=run_id, counts=tracker.valid_counts)
            session.update_run(run_id, counters=batch.counters.as_dict(), done=batch.done_attempts)
            if session.stop_requested(run_id):
                status = STOPPED
                break
        else:
            status = FINISHED
    except GaussError as exc:
        error = str(exc)
    except Exception as exc:  # a background run must record why it died, not vanish silently
        error = f"sampling failed unexpectedly: {type(exc).__name__}: {exc}"
    finally:
        session.set_times_generated(run_id, tracker.valid_counts)
        session.update_run(run_id, status=status, error=error)
    return session.run(run_id) or {}
