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
    probe = ROOT / "tests" / f"test_probe_skip_{os.getpid()}.py"
    probe.write_text(PROBE)
    try:
        env = {**os.environ, "CI": ci}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(probe)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()


def test_skip_fails_under_ci(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "true")
    assert out.returncode == 1, out.stdout
    assert "skipped under CI=true, where nothing may skip: component missing: unobtainium" in out.stdout


def test_skip_is_a_skip_locally(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "")
    assert out.returncode == 0, out.stdout
    assert "1 skipped" in out.stdout
