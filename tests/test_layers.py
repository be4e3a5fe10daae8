"""The engine must not depend on Qt, qasync or the workbench: layers point one way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "qasync", "workbench", "shiboken6")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def forbidden_imports(package: Path) -> list[str]:
    bad = []
    for path in sorted(package.rglob("*.py")):
        for lineno, name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    return bad


def test_engine_imports_no_qt_and_no_workbench() -> None:
    assert (ROOT / "engine").is_dir()
    assert forbidden_imports(ROOT / "engine") == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    pkg = tmp_path / "engine"
    pkg.mkdir()
    (pkg / "bad.py").write_text("import os\nfrom PySide6.QtCore import QObject\n")
    (pkg / "worse.py").write_text("def f():\n    import workbench.app\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert forbidden_imports(pkg) == [
            "engine/bad.py:2 imports PySide6.QtCore",
            "engine/worse.py:2 imports workbench.app",
        ]
    finally:
        ROOT = saved


def test_engine_does_not_load_qt_at_runtime() -> None:
    import subprocess
    import sys

    code = ("import sys, engine.__main__, engine.server, engine.broker; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cluster_services_import_no_qt() -> None:
    """Cluster services (admin, scans, the demo cluster's processes, ...) run without Qt and so without widgets."""
    bad = [f"{path.relative_to(ROOT)}:{lineno} imports {name}"
           for path in sorted((ROOT / "workbench" / "services").rglob("*.py"))
           for lineno, name in imported_modules(path)
           if name.split(".")[0] in ("PySide6", "qasync", "shiboken6")
           or name.startswith(("workbench.ui", "workbench.panes", "workbench.controllers"))]
    assert bad == []


def test_panes_never_import_each_other() -> None:
    """A pane takes data and emits intents; what crosses panes is wired in the main window."""
    panes = ROOT / "workbench" / "panes"
    bad = [f"{path.relative_to(ROOT)}:{lineno} imports {name}"
           for path in sorted(panes.glob("*.py"))
           for lineno, name in imported_modules(path)
           if name.startswith("workbench.panes") or name.startswith("workbench.controllers")]
    assert bad == []
