"""``attune gateway --workers 1`` against ``--workers 2`` on one private Redis
(``python -m bench.gateway_workers``): requests per second of an admin read (the gateway's
Flask and waitress work plus one Redis read; the engine is not involved), each on a fresh
connection so the kernel spreads them over the workers. Rounds alternate within the run; the
ratio is what to read (the load generator shares the machine's cores with the gateways).
Bounded: ``--rounds`` x 2 phases of ``--seconds`` each, traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.redis_proc import RedisProcess

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN = {"Authorization": "Bearer dev-admin-token"}
PATH = "/admin/tenants/default/registrations"


def _start(workers: int, redis_url: str, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}
    env["ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED"] = "false"
    cmd = [sys.executable, "-m", "attune", "gateway", "--workers", str(workers), "--port", "0"]
    cmd += ["--store", redis_url, "--data-dir", str(data_dir), "--log-level", "warning"]
    cmd += ["--engine-address", "127.0.0.1:1"]  # the admin read needs no engine
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"the gateway did not start: {line!r}")
    return proc, line.split()[4]


def _phase(url: str, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second over ``seconds`` with ``clients`` threads; and the errors."""
    done = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < stop:
            try:
                ok = requests.get(url + PATH, headers=ADMIN, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            done[i] += ok
            errors[i] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rates: dict[int, list[float]] = {1: [], 2: []}
    errors = 0
    with RedisProcess(fsync="everysec") as redis, tempfile.TemporaryDirectory() as tmp:
        gateways = {n: _start(n, redis.url, Path(tmp) / f"gw{n}") for n in (1, 2)}
        try:
            for _ in range(args.rounds):
                for n, (_, url) in gateways.items():
                    _phase(url, args.clients, 1.0)  # warm-up
                    rate, errs = _phase(url, args.clients, args.seconds)
                    rates[n].append(rate)
                    errors += errs
        finally:
            for proc, _ in gateways.values():
                proc.terminate()
                proc.wait(60)
    best = {n: max(r) for n, r in rates.items()}
    result = {
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "cores": os.cpu_count(),
        "requests_per_s": {str(n): [round(r, 1) for r in rs] for n, rs in rates.items()},
        "ratio_2_to_1": round(best[2] / best[1], 2),
        "errors": errors,
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gateway_workers.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
