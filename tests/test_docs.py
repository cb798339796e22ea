"""The documentation: the README stays short, and the MkDocs site builds with no broken link or page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README_LINES = 250  # a newcomer reads it in five minutes; the rest is in docs/


def test_the_site_builds_strictly(tmp_path: Path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    build = subprocess.run(
        [mkdocs, "build", "--strict", "-f", REPO / "docs" / "mkdocs.yml", "-d", tmp_path / "site"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert (tmp_path / "site" / "monitoring" / "index.html").exists()


def test_the_readme_is_short_and_its_links_resolve():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= README_LINES
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [target for target in targets if "://" not in target]
    assert local, "the README links to the docs"
    missing = [target for target in local if not (REPO / target).exists()]
    assert missing == []
