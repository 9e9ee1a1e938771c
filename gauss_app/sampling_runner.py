"""Sampling runs owned by the Streamlit server, not by a script run: each runs
`gauss_core.session.sampling_run.sample_into_session` in a daemon thread, so a page switch, a rerun or a
closed tab does not stop it; the Sampling page polls the session store for its counters and sets the stop
flag there. A run recorded as running whose thread is gone (the server restarted) is marked interrupted."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from gauss_core.sampling import LPConfig, LPSampler
from gauss_core.session import INTERRUPTED, RUNNING, DesignSession
from gauss_core.session.sampling_run import ProjectFn, sample_into_session, start_run

_THREADS: dict[tuple[str, int], threading.Thread] = {}
_LOCK = threading.Lock()


def _key(session: DesignSession, run_id: int) -> tuple[str, int]:
    return str(session.store.db_path), int(run_id)


def _one_torch_thread() -> None:
    """Decoding uses one thread, as the CLI (OMP_NUM_THREADS=1): several threads only fight the server and
    the other users of a 2-core machine."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def start(sampler: LPSampler, session: DesignSession, seeds: Sequence[str], seed_latents: np.ndarray,
          config: LPConfig, project: ProjectFn | None = None) -> int:
    """Record a run and start it in the background; returns its id at once."""
    _one_torch_thread()
    with _LOCK:  # recorded, registered and started at once: a poll in between must not see a dead run
        run_id = start_run(session, seeds, config)
        # the thread gets its own handle: its store connection is opened in (and belongs to) that thread
        worker = DesignSession(session.store, session.name)
        thread = threading.Thread(target=sample_into_session, name=f"gauss-sampling-{run_id}", daemon=True,
                                  args=(sampler, worker, run_id, list(seeds), np.asarray(seed_latents), config,
                                        project))
        _THREADS[_key(session, run_id)] = thread
        thread.start()
    return run_id


def is_alive(session: DesignSession, run_id: int) -> bool:
    with _LOCK:
        thread = _THREADS.get(_key(session, run_id))
    return thread is not None and thread.is_alive()


def wait(session: DesignSession, run_id: int, timeout: float | None = None) -> bool:
    """Block until the run's thread ends (bench and tests); True when it has."""
    with _LOCK:
        thread = _THREADS.get(_key(session, run_id))
    if thread is not None:
        thread.join(timeout)
    return thread is None or not thread.is_alive()


def current_run(session: DesignSession) -> dict | None:
    """The session's last run; a 'running' one without a live thread in this server becomes 'interrupted'."""
    run = session.last_run()
    if run is not None and run["status"] == RUNNING and not is_alive(session, run["id"]):
        session.update_run(run["id"], status=INTERRUPTED,
                           error="the server stopped during the run; the molecules sampled until then are kept")
        run = session.last_run()
    return run
