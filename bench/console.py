"""Admin console timings (``python -m bench.console``): a signed-in tenant administrator's
page loads (overview, OAuth clients, audit search over a trail of ``--records`` records),
creating an OAuth client through the console's form (the secret's scrypt hash included),
and ``GET /healthz`` on the same server as the ceiling. The stack is the tests' (real
gateway app on the hardened HTTP server, embedded stores, the local OIDC provider).
Nothing here is a test: it prints a table and writes ``bench/results/console.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import timed

RESULTS = Path(__file__).resolve().parent / "results"


def _ok(reply: Any, status: int = 200) -> None:
    if reply.status_code != status:
        raise RuntimeError(f"{reply.request.method} {reply.url}: {reply.status_code}")


def main() -> None:
    """Run the page loads and the form posts; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    # The tests' helpers, imported at run time: mypy checks bench/ but not tests/.
    idps: Any = importlib.import_module("tests.support.sso_idps")
    stack: Any = importlib.import_module("tests.support.console_stack")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder, idps.oidc_provider() as op:
        stack.add_users(op)
        with stack.console_gateway(Path(folder), op) as gw:
            http = gw.sign_in("root")
            base = f"{gw.url}/console/uni"
            for n in range(args.records):  # a trail to search: admin-token reads of the LRS page
                if n % 500 == 0:
                    print(f"filling the trail: {n}/{args.records}", flush=True)
                _ok(gw.admin("GET", "/console/uni/lrs"))
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', http.get(
                f"{base}/oauth-clients", timeout=10).text)  # fmt: skip
            assert csrf is not None
            form = {"csrf_token": csrf.group(1), "name": "bench", "scopes": "events:read"}
            cases: dict[str, Callable[[], None]] = {
                "GET /healthz (ceiling)": lambda: _ok(http.get(f"{gw.url}/healthz", timeout=10)),
                "GET overview": lambda: _ok(http.get(f"{base}/", timeout=10)),
                "GET OAuth clients page": lambda: _ok(
                    http.get(f"{base}/oauth-clients", timeout=10)
                ),
                "GET audit search, 100 of the trail": lambda: _ok(
                    http.get(f"{base}/audit?action=outbox.&limit=100", timeout=10)
                ),
                "POST create an OAuth client": lambda: _ok(
                    gw.post_form(http, "/console/uni/oauth-clients", form), 201
                ),
            }
            for name, once in cases.items():
                results[name] = timed(args.runs, once)
    print(f"{'':40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, figures in results.items():
        print(f"{name:40} {figures['p50_ms']:8.2f} {figures['p95_ms']:8.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console.json").write_text(
        json.dumps({"runs": args.runs, "trail_records": args.records, "results": results}, indent=2)
        + "\n"
    )


if __name__ == "__main__":
    main()
