"""The machine a benchmark ran on, in one line: the processor, the vector instructions that ONNX
Runtime's kernels choose between (AVX2; AVX-512; VNNI's int8 dot products; AMX), cores, Python."""

from __future__ import annotations

import os
import platform
from pathlib import Path

VECTOR_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu_info() -> tuple[str, set[str]]:
    """The processor's model name and its flags, from /proc/cpuinfo."""
    name, flags = platform.processor() or platform.machine(), set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            name = value.strip()
        elif key.strip() == "flags":
            flags = set(value.split())
            break
    return name, flags


def describe() -> str:
    """For example "processor: AMD EPYC (avx2 avx512f avx512_vnni), 2 cores, Python 3.11.7"."""
    name, flags = cpu_info()
    vector = " ".join(flag for flag in VECTOR_FLAGS if flag in flags) or "no AVX2"
    return f"processor: {name} ({vector}), {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}"
