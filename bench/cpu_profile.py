"""Where the platform's CPU goes under a benchmark's load, sampled by CPU time.

``python -m bench.cpu_profile checkout|injection [seconds]`` (default 20 s) prepares what the
benchmark prepares (a fresh PostgreSQL database, a tenant, its stock), starts ``cashwrap serve``
(one process) under a sampler, loads it as the benchmark does after a warm-up, and prints the
frames that took the largest share of the platform's CPU: inclusive (the frame and what it
called) and their own. ``CASHWRAP_BENCH_PROFILE_OUT`` keeps the samples as collapsed stacks
(``frame;frame;… count``, the input of flame-graph tools).

The sampler is driven by ``ITIMER_PROF``: a sample every 2 ms of the process's CPU, so each
frame weighs the CPU it used. A wall-clock sampler also counts the time the process was
runnable but waiting for a core; on two cores shared with PostgreSQL and the load, that puts a
large share on the calls that wake PostgreSQL (asyncpg's sends) and on loops that wait for it:
the event dispatcher took 14–17 % of a wall-clock sampler's samples during the checkout
benchmark and 2–3 % of these. Time spent in C (uvloop, asyncpg's protocol, pydantic-core) is
counted in the Python frame running when the sample is taken, mostly the one that called it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

INTERVAL_SECONDS = 0.002
SHOWN = 40
# Frames of these packages, and of the platform, are the ones worth reading.
_WORTH_READING = ("cashwrap/", "fastapi/", "starlette/", "uvicorn/", "sqlalchemy/", "pydantic/")


def profile(name: str, seconds: float) -> None:
    if name == "checkout":
        samples = _profile_checkout(seconds)
    elif name == "injection":
        samples = _profile_injection(seconds)
    else:
        raise SystemExit(f"unknown load {name!r}: checkout or injection")
    kept = os.environ.get("CASHWRAP_BENCH_PROFILE_OUT")
    if kept:
        Path(kept).write_text(samples)
        print(f"samples kept in {kept}")
    report(samples)


# --- in the platform's process ------------------------------------------------------------------


def serve_sampled(out: str, argv: list[str]) -> None:
    """``cashwrap <argv>`` with the sampler on: SIGUSR1 forgets the samples so far (the warm-up),
    SIGUSR2 writes them to ``out``."""
    stacks: collections.Counter[str] = collections.Counter()

    def sample(_signal: int, frame: FrameType | None) -> None:
        names = []
        while frame is not None:
            code = frame.f_code
            names.append(f"{code.co_qualname} ({_short(code.co_filename)}:{frame.f_lineno})")
            frame = frame.f_back
        stacks[";".join(reversed(names))] += 1

    def write(_signal: int, _frame: FrameType | None) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        taken = dict(stacks)  # one C call: no sample lands in the middle of it
        text = "".join(f"{stack} {count}\n" for stack, count in taken.items())
        Path(out + ".part").write_text(text)
        os.replace(out + ".part", out)

    signal.signal(signal.SIGPROF, sample)
    signal.signal(signal.SIGUSR1, lambda *_: stacks.clear())
    signal.signal(signal.SIGUSR2, write)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL_SECONDS, INTERVAL_SECONDS)
    from cashwrap.cli.main import app

    sys.argv = ["cashwrap", *argv]
    app()


def _package(frame: str) -> str:
    """``cashwrap`` for ``checkout (cashwrap/checkout/router.py:181)``; ``python`` for the
    standard library (asyncio's loop, json, contextlib)."""
    where = frame.rsplit(" (", 1)[-1]
    first = where.split("/", 1)[0]
    return first if "/" in where and not first.startswith(".") else "python"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.rsplit(marker, 1)[-1]
    return filename


# --- the loads ----------------------------------------------------------------------------------


def _launcher(out: str) -> list[str]:
    return [sys.executable, "-m", "bench.cpu_profile", "--sampled", out, "--"]


def _collected(pid: int, out: str, load: Callable[[], None]) -> str:
    os.kill(pid, signal.SIGUSR1)
    load()
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 30
    while not Path(out).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the platform wrote no samples")
        time.sleep(0.1)
    return Path(out).read_text()


def _profile_checkout(seconds: float) -> str:
    from bench import checkout_cash_and_carry as checkout
    from bench.events_stream import postgres_database
    from bench.planner_statistics import kept_analyzed

    with (
        postgres_database() as url,
        tempfile.TemporaryDirectory(prefix="cashwrap-profile-") as folder,
    ):
        credentials = asyncio.run(checkout.create_tenant(url))
        out = str(Path(folder) / "samples")
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        with (
            kept_analyzed(dsn),
            checkout.platform_process(url, workers=1, launcher=_launcher(out)) as (base, pid),
        ):
            token = checkout.prepare(base, credentials, Path(folder))
            asyncio.run(checkout.sell(base, token, checkout.WARM_UP, inline=False))
            run: dict[str, object] = {}

            def load() -> None:
                run.update(asyncio.run(checkout.sell(base, token, seconds, inline=False)))

            samples = _collected(pid, out, load)
    sales = run.get("sales")
    print(f"checkout: {len(sales) if isinstance(sales, list) else 0} sales in {seconds:.0f} s")
    return samples


def _profile_injection(seconds: float) -> str:
    from bench import injection_throughput as injection
    from bench.planner_statistics import kept_analyzed

    with (
        injection.fresh_postgres() as (url, dsn),
        tempfile.TemporaryDirectory(prefix="cashwrap-profile-") as folder,
    ):
        tenant = asyncio.run(injection.create_tenant(url, "bench"))
        out = str(Path(folder) / "samples")
        with (
            kept_analyzed(dsn),
            injection.platform_process(url, 1, launcher=_launcher(out)) as (base, pid),
        ):
            token = injection.prepare(base, tenant, Path(folder))
            asyncio.run(injection.inject(base, token, injection.WARM_UP))
            done: list[float] = []

            def load() -> None:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    done.append(asyncio.run(injection.inject(base, token, 400))[0])

            samples = _collected(pid, out, load)
    print(f"injection: {400 * len(done)} orders in about {seconds:.0f} s")
    return samples


# --- the report ---------------------------------------------------------------------------------


def report(samples: str) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in samples.splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        print("no samples")
        return
    print(f"{total} samples of {INTERVAL_SECONDS * 1000:.0f} ms of the platform's CPU")
    packages: collections.Counter[str] = collections.Counter()
    for frame, count in own.items():
        packages[_package(frame)] += count
    print(
        "-- own, by package: "
        + ", ".join(f"{name} {count * 100 / total:.1f} %" for name, count in packages.most_common())
    )
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"-- {title}")
        shown = 0
        for frame, count in counter.most_common():
            if title == "inclusive" and not any(part in frame for part in _WORTH_READING):
                continue
            print(f"{count * 100 / total:5.1f} %  {frame}")
            shown += 1
            if shown == SHOWN:
                break


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sampled"]:
        serve_sampled(sys.argv[2], sys.argv[4:])
    else:
        if len(sys.argv) < 2:
            raise SystemExit(__doc__)
        profile(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20.0)
