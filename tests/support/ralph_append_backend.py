"""An appending filesystem LRS backend, loaded by the Ralph server the tests start.

Why this backend exists: Ralph's own ``fs`` LRS backend accepts only the first write. It
writes every POST into one file (``fs_lrs.jsonl``) with the data backend's default operation
type, CREATE, which refuses a file that already exists; so on ralph-malph 4.2.0 and 5.1.0
every POST after the first answers 500 ("Statements bulk indexation failed"). This subclass
appends instead and otherwise keeps Ralph's code: its API server, auth, validation, duplicate
handling and the ``fs`` backend's statement queries all run unchanged.

Ralph finds LRS backends through the ``ralph.backends.lrs`` entry-point group (see
``ralph.backends.loader.get_lrs_backends``) and picks one by name with
``RALPH_RUNSERVER_BACKEND`` (``ralph runserver -b NAME``). ``tests.support.ralph_lrs``
registers this class under ``BACKEND_NAME`` in a ``.dist-info`` it writes next to the data.

This module runs inside the Ralph process only; the test process never imports it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic_settings import SettingsConfigDict
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend, FSLRSBackendSettings

BACKEND_NAME = "fsappend"

# Under "ralph." so that Ralph's logging config formats it into the server log.
logger = logging.getLogger(f"ralph.backends.lrs.{BACKEND_NAME}")


class AppendFSLRSBackendSettings(FSLRSBackendSettings):
    """The ``fs`` settings, read from ``RALPH_BACKENDS__LRS__FSAPPEND__*``.

    The prefix matches the name: ``ralph runserver`` turns ``--fsappend-x`` options into
    ``RALPH_BACKENDS__LRS__FSAPPEND__X`` for the server process.
    """

    model_config = {
        **FSLRSBackendSettings.model_config,
        **SettingsConfigDict(env_prefix="RALPH_BACKENDS__LRS__FSAPPEND__"),
    }


class AppendFSLRSBackend(FSLRSBackend):
    """Ralph's ``fs`` LRS backend with every write appended to the one statements file."""

    name = BACKEND_NAME
    settings_class = AppendFSLRSBackendSettings
    # The fix: Ralph's statements router never passes an operation type, so this default
    # decides; the inherited CREATE fails on the second POST.
    default_operation_type = BaseOperationType.APPEND

    def __init__(self, settings: AppendFSLRSBackendSettings | None = None) -> None:
        super().__init__(settings)
        self._drop_torn_tail()

    @property
    def statements_file(self) -> Path:
        """The JSON Lines file that holds every statement, in the order stored."""
        return Path(self.default_directory) / self.settings.DEFAULT_LRS_FILE

    def append_to_history(self, event: Any) -> None:
        """Keep no read/write history.

        The data backend rewrites a JSON history file on every read and write (each GET, and
        each POST's duplicate check, reads the statements file), so it grows by one entry per
        request and costs ever more; only the CLI's ``list --new`` consults it.
        """

    def _drop_torn_tail(self) -> None:
        """Cut a last line that a killed server left half written.

        Ralph answers a POST only after the write returns, so a torn line belongs to a POST
        that never got its answer: the client retries it. Left in place, it would fail every
        later read (a JSON decode error is a 500) and glue itself to the next append.
        """
        path = self.statements_file
        if not path.is_file():
            return
        data = path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        logger.warning("Dropping a torn last line (%d bytes) of %s", len(data) - keep, path)
        with path.open("r+b") as file:
            file.truncate(keep)
