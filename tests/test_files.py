"""The cache every one-time build goes through (``embeddings.files.cached``): built once whichever
processes ask together, rebuilt for another version, and a build killed midway never taken as built."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from embeddings.files import cache_marker, cached, is_cached

REPO = Path(__file__).resolve().parent.parent

# Builds ``folder`` for ``version`` through ``cached``: two files, the second written after a pause,
# and a line appended to ``log`` for each build.
BUILDER = """
import sys, time
from pathlib import Path
from embeddings.files import cached

folder, version, log, pause = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])

def make(staged):
    staged.mkdir()
    (staged / "first").write_text(version)
    with log.open("a") as out:
        out.write(f"building {version}\\n")
    time.sleep(pause)
    (staged / "second").write_text(version)

cached(folder, version, make)
print((folder / "first").read_text(), (folder / "second").read_text())
"""


def _builder(folder: Path, version: str, log: Path, pause: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILDER, str(folder), version, str(log), str(pause)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_processes_asking_together_build_once_and_each_gets_it_whole(tmp_path: Path):
    folder, log = tmp_path / "cache" / "model", tmp_path / "log"
    builders = [_builder(folder, "v1", log, 1.0) for _ in range(3)]
    outputs = [builder.communicate(timeout=60)[0].split() for builder in builders]
    assert outputs == [["v1", "v1"]] * 3
    assert log.read_text() == "building v1\n"
    assert is_cached(folder, "v1") and not is_cached(folder, "v2")
    assert sorted(path.name for path in folder.parent.iterdir()) == [".model.version", "model"]


def test_a_build_killed_midway_leaves_the_old_one_and_the_next_call_builds_it_again(tmp_path: Path):
    folder, log = tmp_path / "cache" / "model", tmp_path / "log"
    assert _builder(folder, "v1", log, 0).communicate(timeout=60)[0].split() == ["v1", "v1"]
    killed = _builder(folder, "v2", log, 30)
    deadline = time.monotonic() + 30
    while "building v2" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and killed.poll() is None
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert [(folder / name).read_text() for name in ("first", "second")] == ["v1", "v1"]  # the old one, whole
    assert is_cached(folder, "v1") and not is_cached(folder, "v2")
    assert [path.name for path in folder.parent.glob(".model.building-*")]  # what the killed build left
    assert _builder(folder, "v2", log, 0).communicate(timeout=60)[0].split() == ["v2", "v2"]
    assert sorted(path.name for path in folder.parent.iterdir()) == [".model.version", "model"]


def test_a_build_that_fails_leaves_things_as_they_were(tmp_path: Path):
    target = tmp_path / "kept.json"
    cached(target, "v1", lambda staged: staged.write_text("one"))

    def failing(staged: Path) -> None:
        staged.write_text("half")
        raise ValueError("the source is damaged")

    with pytest.raises(ValueError, match="damaged"):
        cached(target, "v2", failing)
    assert target.read_text() == "one" and is_cached(target, "v1")
    assert cached(target, "v2", lambda staged: staged.write_text("two")).read_text() == "two"
    assert cache_marker(target).read_text() == "v2"
    assert sorted(path.name for path in tmp_path.iterdir()) == [".kept.json.version", "kept.json"]


def test_a_target_removed_by_hand_is_built_again(tmp_path: Path):
    target = tmp_path / "kept.json"
    cached(target, "v1", lambda staged: staged.write_text("one"))
    target.unlink()
    assert not is_cached(target, "v1")
    assert cached(target, "v1", lambda staged: staged.write_text("again")).read_text() == "again"
