"""Process-wide settings for a long-running tanya: made once, at start, before any thread."""

from __future__ import annotations

import ctypes
import ctypes.util

_M_ARENA_MAX = -8  # glibc's mallopt parameter
# glibc gives each thread that allocates its own heap ("arena"), up to 8 per core; a reindex in a
# worker thread beside threads answering questions then fragments memory across them. With two,
# the peak RSS of a reindex of 1,211 passages with questions beside it fell from 2,678 to 1,309 MiB
# (benchmarks/busy.py).
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas; False where the C library is not glibc (nothing changes)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
