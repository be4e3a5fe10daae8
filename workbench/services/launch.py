"""How the app starts its helper processes (the bundled broker, scan workers) from a source checkout, an installed
wheel or the frozen app alike.

With Python (a checkout or a wheel): `sys.executable -m <module>`, with the directory that
holds the `workbench` and `engine` packages on PYTHONPATH. In the frozen app (PyInstaller
sets `sys.frozen`) there is no interpreter to run a module with: the app's own executable is
started again with a mode argument that workbench/__main__.py dispatches on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BROKER_MODE = "--run-broker"
SCAN_WORKER_MODE = "--run-scan-worker"
SELF_CHECK_MODE = "--self-check"


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def helper_command(mode: str, module: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a helper process: `mode` for the frozen app, `module` otherwise."""
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    if frozen():
        return [sys.executable, mode], env
    import workbench

    root = str(Path(workbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return [sys.executable, "-m", module], env
