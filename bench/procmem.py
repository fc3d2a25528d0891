"""Resident memory of a process, for the benchmarks' memory targets."""

from __future__ import annotations


def memory_mb(pid: int | str = "self", field: str = "VmHWM") -> float:
    """A process's peak (VmHWM) or current (VmRSS) resident memory, in MiB; 0.0 when unknown.

    Not ``ru_maxrss``: a process started while its parent was large (spawn execs from a fork)
    inherits the parent's peak there.
    """
    try:
        with open(f"/proc/{pid}/status") as f:
            kilobytes = next(int(line.split()[1]) for line in f if line.startswith(f"{field}:"))
    except (OSError, StopIteration):
        return 0.0
    return round(kilobytes / 1024, 1)
