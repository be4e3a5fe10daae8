"""Where the app's files that are not code live (icons, the desktop entry, AppStream metadata, the sample data set).

They are kept in `resources/` at the top of the repository. An installed wheel carries the
same folder as `workbench/resources/` (setup.py maps it there), and so does the frozen app
(packaging/kafka-workbench.spec). `path()` looks in the package first, then beside it, so
a source checkout, a wheel and the frozen app all load them through this one function.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MARKER = "kafka-workbench.svg"  # the app icon's source: present in every copy of the folder


@cache
def root() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if (candidate / MARKER).is_file():
            return candidate
    raise FileNotFoundError(f"the app's resources folder is missing (looked in {here / 'resources'} and "
                            f"{here.parent / 'resources'})")


def path(*parts: str) -> Path:
    """A file in the resources folder, e.g. path("sample-data", "sample.json")."""
    return root().joinpath(*parts)
