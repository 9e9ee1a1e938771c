"""Design sessions that persist: seeds, samples (+ latents), complexes, picks, settings and sampling runs in
GAUSS_HOME/sessions.db, with export/import as one JSON file."""

from gauss_core.session.codec import SessionFormatError
from gauss_core.session.design import DesignSession
from gauss_core.session.store import (DEFAULT_SESSION, FAILED, FINISHED, INTERRUPTED, RUNNING, STOPPED, SessionData,
                                      SessionInfo, SessionNotFoundError, SessionStore, SessionStoreError, check_name)

__all__ = ["DEFAULT_SESSION", "DesignSession", "FAILED", "FINISHED", "INTERRUPTED", "RUNNING", "STOPPED",
           "SessionData", "SessionFormatError", "SessionInfo", "SessionNotFoundError", "SessionStore",
           "SessionStoreError", "check_name"]
