"""CPU time spent by the platform, PostgreSQL and the whole machine, read from Linux's ``/proc``.

A benchmark reads it before and after its measured work and prints it per order: where the two
cores' time goes, and so the most this machine could serve with that cost whatever the number
of processes (its cores' seconds a second divided by the CPU an order takes in all).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuTime:
    """Seconds of CPU (user and system) since boot, or between two readings."""

    platform: float
    postgres: float
    machine: float

    def __sub__(self, other: CpuTime) -> CpuTime:
        return CpuTime(
            self.platform - other.platform,
            self.postgres - other.postgres,
            self.machine - other.machine,
        )

    def __add__(self, other: CpuTime) -> CpuTime:
        return CpuTime(
            self.platform + other.platform,
            self.postgres + other.postgres,
            self.machine + other.machine,
        )

    def per(self, count: int, unit: str = "an order") -> str:
        """Each of ``count`` units' share in ms, and the rate the machine's cores allow."""
        if not available() or count <= 0 or self.machine <= 0:
            return f"CPU {unit}: not measured (needs Linux's /proc)"
        cores = os.cpu_count() or 1
        each = 1000 / count
        return (
            f"CPU {unit}: platform {self.platform * each:.2f} ms, PostgreSQL "
            f"{self.postgres * each:.2f} ms, the machine in all {self.machine * each:.2f} ms "
            f"→ its {cores} cores allow at most {cores * count / self.machine:.0f}/s at that cost"
        )

    def per_floor(self, count: int, unit: str = "an order") -> str:
        """The floor's share: PostgreSQL's and the machine's (its client is this process)."""
        if not available() or count <= 0 or self.machine <= 0:
            return f"the floor's CPU {unit}: not measured (needs Linux's /proc)"
        each = 1000 / count
        return (
            f"the floor's CPU {unit}: PostgreSQL {self.postgres * each:.2f} ms, the machine in "
            f"all {self.machine * each:.2f} ms"
        )


ZERO = CpuTime(0.0, 0.0, 0.0)


def available() -> bool:
    return (_PROC / "stat").exists()


def read(platform_pid: int) -> CpuTime:
    """The CPU time so far of ``platform_pid`` with its descendants (``--workers``), of every
    process named ``postgres`` (its server, backends and background workers) and of the
    machine."""
    if not available():
        return ZERO
    stats = _process_stats()
    family = {platform_pid}
    grown = True
    while grown:
        grown = False
        for pid, (_, parent, _) in stats.items():
            if parent in family and pid not in family:
                family.add(pid)
                grown = True
    platform = sum(seconds for pid, (_, _, seconds) in stats.items() if pid in family)
    postgres = sum(seconds for name, _, seconds in stats.values() if name == "postgres")
    fields = [int(value) for value in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return CpuTime(platform, postgres, (user + nice + system + irq + softirq) / _TICKS)


def _process_stats() -> dict[int, tuple[str, int, float]]:
    """Each process: its name, its parent, its CPU seconds."""
    found = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # user and system time
        found[int(entry.name)] = (name, int(fields[1]), seconds)
    return found
