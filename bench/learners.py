"""The learner's path under an open-loop load (``python -m bench.learners``).

N simulated learners each start a demo session (``GET /demo?course=…``, redirected to the
practice page), then loop: read the page as a browser does (the answer form, its action, its
hidden fields and choices), think for Exp(mean ``--think`` s), post the answer, and follow the
feedback page's "Next question" link. The schedule is open-loop: a learner's next answer is
due ``think`` after the previous one was *due*, whatever the server did, and an answer's
latency runs from when it was due to when the next page arrived (the POST and the GET), so a
slow server is not hidden by learners who wait for it (no coordinated omission).

The learners run in ``--procs`` separate processes (asyncio + httpx each); their CPU is
measured and printed, so a generator at its limit shows. Starts are spread over a ramp; only
answers due inside the measuring window count. ``--search`` doubles N from ``--learners``
until the goal (p99 < ``--goal-ms`` and no errors) fails, then bisects: the largest N that
meets it. Traffic goes to 127.0.0.1 only. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.learner_page import fill, read_page
from bench.server_proc import children, tree_cpu_seconds
from bench.stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Plan:
    """One trial: who, when, and against what."""

    url: str
    course: str
    learners: int
    think_s: float
    ramp_s: float
    measure_s: float
    t0: float  # wall-clock start, shared by every process
    connections: int  # per process
    right: float  # chance a learner types the right answer (template items)

    @property
    def window(self) -> tuple[float, float]:
        began = self.t0 + self.ramp_s + min(self.think_s, 10.0)
        return began, began + self.measure_s


@dataclass
class Tally:
    """What one process saw."""

    latencies: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    done: int = 0  # learners who mastered everything (they start a new session)
    cpu_s: float = 0.0


@functools.cache
def _demo_items() -> dict[str, Any]:
    from attune.engine.demo.course import demo_course

    return {i.item_id: i.content for i in demo_course().items.values()}


def _right_answer(attrs: dict[str, str]) -> str | None:
    """The correct answer of a template item, from the field's data attributes."""
    from attune.content.templates import render

    content = _demo_items().get(attrs.get("data-item", ""))
    if content is None or not attrs.get("data-seed", "").isdigit():
        return None
    return render(content, int(attrs["data-seed"])).answer


async def _learner(plan: Plan, client: Any, rng: random.Random, tally: Tally) -> None:
    import httpx

    start_at = plan.t0 + rng.uniform(0.0, plan.ramp_s)
    window = plan.window
    await asyncio.sleep(max(0.0, start_at - time.time()))
    html = ""
    due = start_at
    while due < window[1]:
        try:
            if not html:
                began = time.time()
                reply = await client.get(f"/demo?course={plan.course}", follow_redirects=True)
                if reply.status_code != 200:
                    tally.errors[f"start {reply.status_code}"] += 1
                    return
                tally.starts.append(time.time() - began)
                html = reply.text
                due = max(due, time.time()) + rng.expovariate(1.0 / plan.think_s)
                continue
            await asyncio.sleep(max(0.0, due - time.time()))
            form = read_page(html).form("answer-form")
            if form is None:  # every skill mastered: a new session
                tally.done += 1
                html = ""
                continue
            typed = "0"
            field_attrs = next(iter(form.text.values()), None)
            if field_attrs is not None and rng.random() < plan.right:
                typed = _right_answer(field_attrs) or typed
            posted = await client.post(form.action, data=dict_or_pairs(fill(form, rng, typed)))
            if posted.status_code != 200:
                tally.errors[f"answer {posted.status_code}"] += 1
                html = ""
            else:
                nxt = read_page(posted.text).links.get("next")
                page = await client.get(nxt) if nxt else None
                if page is None or page.status_code != 200:
                    code = page.status_code if page is not None else "no next link"
                    tally.errors[f"page {code}"] += 1
                    html = ""
                else:
                    html = page.text
                    if window[0] <= due < window[1]:
                        tally.latencies.append(time.time() - due)
        except httpx.HTTPError as exc:
            if window[0] <= due < window[1]:
                tally.errors[type(exc).__name__] += 1
            html = ""
        due += rng.expovariate(1.0 / plan.think_s)


def dict_or_pairs(fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """httpx's form data: repeated names as lists."""
    out: dict[str, str | list[str]] = {}
    for name, value in fields:
        if name in out:
            prior = out[name]
            out[name] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            out[name] = value
    return out


async def _run(plan: Plan, ids: range) -> Tally:
    import httpx

    tally = Tally()
    limits = httpx.Limits(
        max_connections=plan.connections, max_keepalive_connections=plan.connections
    )
    timeout = httpx.Timeout(TIMEOUT_S, pool=None)
    async with httpx.AsyncClient(base_url=plan.url, limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(_learner(plan, client, random.Random(i), tally) for i in ids))
    return tally


def _process(plan: Plan, ids: range) -> Tally:
    tally = asyncio.run(_run(plan, ids))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    tally.cpu_s = usage.ru_utime + usage.ru_stime
    return tally


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its reaped children and its live descendants (the
    gateway's maths-checking workers are processes of their own), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_seconds(c) or 0.0 for c in children(pid))


def trial(plan: Plan, procs: int, server_pids: list[int]) -> dict[str, Any]:
    """Run one load level; its summary."""
    ctx = multiprocessing.get_context("spawn")
    chunks = [range(i, plan.learners, procs) for i in range(procs)]
    with ctx.Pool(procs) as pool:
        pending = pool.starmap_async(_process, [(plan, c) for c in chunks])
        began, ended = plan.window
        time.sleep(max(0.0, began - time.time()))
        cpu0 = sum(cpu_seconds(p) for p in server_pids)
        time.sleep(max(0.0, ended - time.time()))
        cpu1 = sum(cpu_seconds(p) for p in server_pids)
        tallies = pending.get(timeout=plan.ramp_s + plan.measure_s + 600)
    lat = sorted(x for t in tallies for x in t.latencies)
    starts = sorted(x for t in tallies for x in t.starts)
    errors: Counter[str] = Counter()
    for t in tallies:
        errors.update(t.errors)
    answered = len(lat)
    return {
        "learners": plan.learners,
        "offered_answers_per_s": plan.learners / plan.think_s,
        "achieved_answers_per_s": answered / plan.measure_s,
        "answers": answered,
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": (lat[-1] * 1000) if lat else float("nan"),
        "errors": dict(errors),
        "session_start_p50_ms": percentile(starts, 50) * 1000,
        "session_start_p99_ms": percentile(starts, 99) * 1000,
        "mastered_restarts": sum(t.done for t in tallies),
        "server_cpu_ms_per_answer": (cpu1 - cpu0) * 1000 / max(answered, 1),
        "server_cpu_cores": (cpu1 - cpu0) / plan.measure_s,
        "generator_cpu_s": sum(t.cpu_s for t in tallies),
        "generator_cpu_cores": sum(t.cpu_s for t in tallies) / (time.time() - plan.t0),
        "load_average_1m": os.getloadavg()[0],  # the machine is shared: read the run with it
    }


def meets(result: dict[str, Any], goal_ms: float) -> bool:
    """p99 under the goal, no errors, and the offered rate achieved (within 10 %)."""
    return (
        result["p99_ms"] < goal_ms
        and not result["errors"]
        and result["achieved_answers_per_s"] >= 0.9 * result["offered_answers_per_s"]
    )


@contextmanager
def serve(
    data_dir: Path,
    threads: int | None = None,
    code: str | None = None,
    network: bool = False,
) -> Iterator[tuple[str, list[int]]]:
    """``attune serve`` on free ports, rate limits off: (gateway URL, its pid). ``threads``:
    the gateway's WSGI threads; ``code``: another checkout to run (a before/after);
    ``network``: the gateway's engine calls over loopback gRPC, not in process."""
    import subprocess

    from bench.gateway import _LINE

    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}
    env.update(
        {
            "ATTUNE_MODELS_DIR": "/nonexistent",
            "ATTUNE_TUTOR__TOO_FAST_FLOOR_MS": "0",
            "ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED": "false",
        }
    )
    if threads is not None:
        env["ATTUNE_GATEWAY__THREADS"] = str(threads)
    if network:
        env["ATTUNE_GATEWAY__ENGINE_IN_PROCESS"] = "false"
    if code is not None:
        env["PYTHONPATH"] = code
    cmd = [sys.executable, "-m", "attune", "serve", "--port", "0", "--gateway-port", "0"]
    cmd += ["--data-dir", str(data_dir), "--log-level", "warning", "--log-format", "json"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=code
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    while "gateway" not in found:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("attune serve exited before listening")
        match = _LINE.search(line)
        if match:
            found[match.group(1)] = match.group(2)
    try:
        yield found["gateway"], [proc.pid]
    finally:
        proc.terminate()
        proc.wait(30)


def _plan(args: argparse.Namespace, url: str, learners: int) -> Plan:
    ramp = max(args.think, learners / args.start_rate)
    return Plan(
        url=url,
        course=args.course,
        learners=learners,
        think_s=args.think,
        ramp_s=ramp,
        measure_s=args.seconds,
        t0=time.time() + 3.0,  # the processes' start-up
        connections=args.connections,
        right=0.7,
    )


def _show(r: dict[str, Any], goal_ms: float) -> None:
    print(
        f"N={r['learners']:6d}  offered {r['offered_answers_per_s']:6.1f}/s  achieved "
        f"{r['achieved_answers_per_s']:6.1f}/s  p50 {r['p50_ms']:7.1f} ms  "
        f"p99 {r['p99_ms']:7.1f} ms"
        f"  errors {sum(r['errors'].values())}  server {r['server_cpu_ms_per_answer']:.1f} ms CPU"
        f"/answer ({r['server_cpu_cores']:.2f} cores)  generator {r['generator_cpu_cores']:.2f}"
        f" cores  load {r['load_average_1m']:.1f}"
        f"  -> {'meets' if meets(r, goal_ms) else 'misses'} the goal",
        flush=True,
    )


def search(args: argparse.Namespace, url: str, pids: list[int]) -> list[dict[str, Any]]:
    """Double until the goal fails, then bisect to within ``--precision``."""
    results: list[dict[str, Any]] = []

    def run(n: int) -> bool:
        r = trial(_plan(args, url, n), args.procs, pids)
        results.append(r)
        _show(r, args.goal_ms)
        return meets(r, args.goal_ms)

    good, bad = 0, 0
    n = args.learners
    while len(results) < args.max_trials:
        if run(n):
            good = n
            n *= 2
        else:
            bad = n
            break
    while bad and len(results) < args.max_trials and bad - good > max(args.precision * bad, 10):
        n = (good + bad) // 2
        if run(n):
            good = n
        else:
            bad = n
    print(f"largest learner count meeting p99 < {args.goal_ms:.0f} ms, no errors: {good}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.learners", description=__doc__)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--think", type=float, default=20.0, help="mean think time, s")
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window, s")
    parser.add_argument(
        "--start-rate", type=float, default=40.0, help="session starts/s in the ramp"
    )
    parser.add_argument("--procs", type=int, default=1, help="generator processes")
    parser.add_argument("--connections", type=int, default=64, help="per generator process")
    parser.add_argument("--course", default="demo")
    parser.add_argument("--goal-ms", type=float, default=100.0)
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--max-trials", type=int, default=7)
    parser.add_argument("--precision", type=float, default=0.1)
    parser.add_argument("--url", help="a running gateway (127.0.0.1 only) instead of attune serve")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--threads", type=int, help="the gateway's WSGI threads (default 8)")
    parser.add_argument("--code", help="serve this checkout's code instead (a before/after)")
    parser.add_argument(
        "--engine-over-network",
        action="store_true",
        help="the gateway calls its engine over loopback gRPC, not in process (a before/after)",
    )
    parser.add_argument("--out", default="learners.json")
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the server and the generator processes are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.url and not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        parser.error("--url must be on 127.0.0.1")

    def go(url: str, pids: list[int]) -> list[dict[str, Any]]:
        if args.search:
            return search(args, url, pids)
        r = trial(_plan(args, url, args.learners), args.procs, pids)
        _show(r, args.goal_ms)
        return [r]

    if args.url:
        results = go(args.url, args.server_pid)
    else:
        with (
            tempfile.TemporaryDirectory() as tmp,
            serve(Path(tmp), args.threads, args.code, args.engine_over_network) as (url, pids),
        ):
            results = go(url, pids)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / args.out
    out.write_text(json.dumps({"args": vars(args), "trials": results}, indent=2))
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
