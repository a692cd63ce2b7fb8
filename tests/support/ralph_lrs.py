"""A real Learning Record Store for the tests: Ralph's API server on a free loopback port.

``RalphLRS`` runs ``python -m ralph runserver`` (Ralph's own uvicorn launcher) in a
workdir the test owns, over ``tests.support.ralph_append_backend`` rather than Ralph's ``fs``
backend, which fails every POST after the first (see that module). Ralph loads LRS backends
from the ``ralph.backends.lrs`` entry-point group, so ``start`` writes a one-entry
``.dist-info`` into the workdir and puts it, with the project root, on the server's
``PYTHONPATH``; nothing is installed into the venv.

The user is created with ``ralph auth ... -w`` into ``RALPH_AUTH_FILE``. Every ``RALPH_*``
variable of the test process is dropped from the server's environment, and the server runs
in the workdir, so neither a developer's Ralph setup nor a ``.env`` file can leak in.

Ralph 5.1.0 behaviour these tests rely on (measured, see tests/integration/test_ralph_lrs.py):
POST of new statements -> 200 with their ids; a POST whose statements all exist with the
same content -> 204 and nothing stored; the same id with other content -> 409; a batch that
mixes stored and new statements stores the new ones and answers 200 with their ids only.
GET ``?statementId=`` answers 200 with ``{"statements": []}`` for an unknown id, where xAPI
1.0.3 (Communication 2.1.3) says 404; ``get`` accepts both.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urljoin

import pytest
import requests

from tests.support.redis_server import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
XAPI_VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}
# The name Ralph selects the backend by (``-b``) and the class its entry point loads.
APPEND_BACKEND = "fsappend"
_APPEND_BACKEND_CLASS = "tests.support.ralph_append_backend:AppendFSLRSBackend"
_DIST_INFO = "attune_ralph_test_backends-0.dist-info"
# The ``lrs`` extra brings the server; the ``cli`` extra brings ``runserver`` and ``auth``.
_MODULES = ("ralph", "ralph.cli", "fastapi", "uvicorn", "bcrypt", "click_option_group")
_START_TIMEOUT_S = 45.0
_STOP_TIMEOUT_S = 10.0
_HTTP_TIMEOUT_S = 10.0
# ``ralph auth -w`` output per (username, password): the file names no path, so a later LRS
# of this test process gets a copy instead of another Ralph process start (seconds each).
_AUTH_FILES: dict[tuple[str, str], bytes] = {}


def require_ralph() -> None:
    """Fail in CI, skip elsewhere, when ralph-malph with its cli and lrs extras is missing."""
    missing = [name for name in _MODULES if not _importable(name)]
    if not missing:
        return
    message = (
        f"the LRS tests need ralph-malph with its cli and lrs extras in {sys.executable} "
        f"(missing: {', '.join(missing)}); pip install 'ralph-malph[cli,lrs]' requests"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    pytest.skip(message)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


class RalphLRS:
    """One Ralph LRS this test process started; its data survives ``kill`` and ``restart``."""

    def __init__(
        self,
        workdir: Path,
        *,
        username: str = "attune",
        password: str = "secret-pw",
        backend: str = APPEND_BACKEND,
    ) -> None:
        self.workdir = Path(workdir)
        self.username = username
        self.password = password
        self.backend = backend
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The xAPI base; statements live at ``url + "/statements"``."""
        if self.port is None:
            raise RuntimeError("the LRS has not been started")
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def statements_url(self) -> str:
        return f"{self.url}/statements"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    @property
    def data_file(self) -> Path:
        """The JSON Lines file the backend keeps every statement in."""
        return self.workdir / "data" / "fs_lrs.jsonl"

    @property
    def log_file(self) -> Path:
        return self.workdir / "ralph.log"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> RalphLRS:
        """Start the server (on a free port the first time) and wait until it answers."""
        require_ralph()
        if self._proc is not None:
            raise RuntimeError(f"the LRS on port {self.port} is already running")
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        self._write_entry_point()
        if not (self.workdir / "auth.json").exists():
            self._add_user()
        if self.port is None:
            self.port = free_port()
        self._log = self.log_file.open("ab")
        self._proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "ralph", "runserver"),
                *("-b", self.backend, "-h", "127.0.0.1", "-p", str(self.port)),
            ],
            cwd=self.workdir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # runserver runs uvicorn with reload=True: a supervisor and a spawned worker.
            # Their own process group lets kill/stop reach both.
            start_new_session=True,
        )
        self._wait_until_up()
        return self

    def kill(self) -> None:
        """SIGKILL the server (an LRS outage); returns once nothing listens on the port."""
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        """Start again on the same port, over the same data and users."""
        if self._proc is not None:
            self._end(signal.SIGTERM)
        self.start()

    def stop(self) -> None:
        """Stop the server cleanly (SIGTERM, then SIGKILL if it hangs)."""
        self._end(signal.SIGTERM)

    def __enter__(self) -> RalphLRS:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- reading ---------------------------------------------------------------------------

    def get(self, statement_id: str) -> dict[str, Any] | None:
        """The stored statement with this id, or None."""
        response = requests.get(
            self.statements_url,
            params={"statementId": statement_id},
            auth=self.auth,
            headers=XAPI_VERSION_HEADER,
            timeout=_HTTP_TIMEOUT_S,
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if "statements" not in body:  # the single statement xAPI 1.0.3 prescribes
            return body
        statements: list[dict[str, Any]] = body["statements"]
        return statements[0] if statements else None

    def all_statements(self, *, page_size: int | None = None) -> list[dict[str, Any]]:
        """Every stored statement, following ``more`` links (``page_size``: the ``limit``)."""
        statements: list[dict[str, Any]] = []
        url = self.statements_url
        params = {"limit": page_size} if page_size else None
        while True:
            response = requests.get(
                url,
                params=params,
                auth=self.auth,
                headers=XAPI_VERSION_HEADER,
                timeout=_HTTP_TIMEOUT_S,
            )
            response.raise_for_status()
            page = response.json()
            statements += page["statements"]
            # Ralph offers a ``more`` link whenever a page is full, so an empty page ends it.
            if not page.get("more") or not page["statements"]:
                return statements
            url, params = urljoin(self.url, page["more"]), None

    # -- internals -------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RALPH_")}
        paths = [str(self.workdir / "entry-points"), str(PROJECT_ROOT)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        prefix = f"RALPH_BACKENDS__LRS__{self.backend.upper()}__"
        env.update(
            PYTHONPATH=os.pathsep.join(paths),
            RALPH_APP_DIR=str(self.workdir),
            RALPH_AUTH_FILE=str(self.workdir / "auth.json"),
            RALPH_HISTORY_FILE=str(self.workdir / "history.json"),
            # ``ralph auth`` imports the API, which builds this backend: it must load too.
            RALPH_RUNSERVER_BACKEND=self.backend,
            **{f"{prefix}DEFAULT_DIRECTORY_PATH": str(self.workdir / "data")},
        )
        return env

    def _write_entry_point(self) -> None:
        dist_info = self.workdir / "entry-points" / _DIST_INFO
        dist_info.mkdir(parents=True, exist_ok=True)
        (dist_info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: attune-ralph-test-backends\nVersion: 0\n"
        )
        (dist_info / "entry_points.txt").write_text(
            f"[ralph.backends.lrs]\n{APPEND_BACKEND} = {_APPEND_BACKEND_CLASS}\n"
        )

    def _add_user(self) -> None:
        auth_file = self.workdir / "auth.json"
        known = _AUTH_FILES.get((self.username, self.password))
        if known is not None:
            auth_file.write_bytes(known)
            return
        self._run_ralph_auth()
        _AUTH_FILES[(self.username, self.password)] = auth_file.read_bytes()

    def _run_ralph_auth(self) -> None:
        # Ralph's authority for this user: an account agent (its mbox check refuses the
        # reserved .test domain).
        result = subprocess.run(
            [
                *(sys.executable, "-m", "ralph", "auth", "-w"),
                *("-u", self.username, "-p", self.password, "-s", "all"),
                *("-A", self.username, "https://attune.example.org/lrs-users"),
            ],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"ralph auth failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace')[-3000:]}"
            )

    def _wait_until_up(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"ralph runserver exited: {self._log_tail()}")
            with contextlib.suppress(requests.RequestException):
                heartbeat = requests.get(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1)
                if heartbeat.status_code == 200:
                    return
            time.sleep(0.05)
        self._end(signal.SIGKILL)
        raise RuntimeError(f"ralph did not answer on port {self.port}: {self._log_tail()}")

    def _end(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(_STOP_TIMEOUT_S)
            self._wait_until_port_closed()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _wait_until_port_closed(self) -> None:
        # The worker is the supervisor's child, not ours: wait for its socket to go.
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                if s.connect_ex(("127.0.0.1", self.port or 0)) != 0:
                    return
            time.sleep(0.02)
        raise RuntimeError(f"something still listens on port {self.port} after the stop")

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"
