"""resources/ is found the same way from a source checkout and from an installed wheel (workbench/resources.py); the
frozen app's copy is checked by the installer smoke test (packaging/smoke_test.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from workbench import resources
from workbench.about import APP_ID

ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import json; from workbench import resources; from workbench.services.sample_data import sample_set; "
         "s = sample_set(); print(json.dumps([str(resources.root()), len(s.records), sorted(s.topics)]))")
EXPECTED = [98, ["customers", "orders", "payments"]]


def test_the_checkout_uses_the_top_level_folder() -> None:
    assert resources.root() == ROOT / "resources"
    for name in ("kafka-workbench.svg", f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml",
                 "icons/hicolor/48x48/apps/kafka-workbench.png", "icons/panes/pane.svg", "sample-data/sample.json"):
        assert resources.path(*name.split("/")).is_file(), name
    entry = resources.path(f"{APP_ID}.desktop").read_text()
    assert "Exec=kafka-workbench\n" in entry and "Icon=kafka-workbench\n" in entry


def test_an_installed_wheel_carries_and_finds_them(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info next to the sources
    for name in ("workbench", "engine", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("kafka_workbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert f"workbench/resources/{APP_ID}.metainfo.xml" in names
    assert "workbench/resources/icons/hicolor/256x256/apps/kafka-workbench.png" in names
    assert not any(n.startswith("resources/") for n in names), "no top-level package named resources"
    site = tmp_path / "site"  # the wheel unpacked as pip installs it (its dependencies come from this venv)
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    root, *rest = json.loads(run.stdout)
    assert root == str(site / "workbench" / "resources") and rest == EXPECTED
