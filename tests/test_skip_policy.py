"""Under CI=true a skipped test fails the run, so a missing install step cannot hide; locally it only skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = '''
import pytest

def test_needs_something():
    pytest.skip("component missing: unobtainium")
'''


def run_probe(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    """Run the probe in its own folder (nothing is written into tests/) with the suite's policy loaded as a plugin."""
    probe = tmp_path / "test_probe_skip.py"
    probe.write_text(PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the probe's own rootdir: not the project's settings
    path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "CI": ci, "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           str(probe)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_skip_fails_under_ci(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "true")
    assert out.returncode == 1, out.stdout
    assert "skipped under CI=true, where nothing may skip: component missing: unobtainium" in out.stdout


def test_skip_is_a_skip_locally(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "")
    assert out.returncode == 0, out.stdout
    assert "1 skipped" in out.stdout
