"""Whether this machine has the memory a one-time step needs: said in one line before the step,
rather than by the kernel killing the process half-way."""

from __future__ import annotations

from pathlib import Path

from embeddings.defaults import SETUP_MEMORY_MIB

MEMINFO = Path("/proc/meminfo")


def available_mib() -> int | None:
    """Memory available to a new process (Linux's MemAvailable) in MiB; None where it cannot be read."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def require_setup_memory(what: str) -> None:
    """Raise a ValueError naming ``what`` when less memory is available than the one-time set-up needs."""
    available = available_mib()
    if available is not None and available < SETUP_MEMORY_MIB:
        raise ValueError(
            f"{what} needs about {SETUP_MEMORY_MIB} MiB of free memory once, and this machine has {available} MiB "
            "available: stop other programs or add swap, then run it again"
        )
