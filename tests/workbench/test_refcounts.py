"""The guard against PySide6 losing references to True and None (workbench/ui/refcounts.py)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from workbench.ui import refcounts


class Emitter(QObject):
    ping = Signal()


def test_emits_cannot_exhaust_true_once_protected(qapp: object) -> None:
    before_guard = sys.getrefcount(True)
    refcounts.protect()
    refcounts.protect()  # once only
    if sys.version_info >= (3, 12):  # immortal objects: nothing to guard, nothing touched
        assert sys.getrefcount(True) == before_guard
        return
    assert 2**40 < sys.getrefcount(True) < 2**41 and 2**40 < sys.getrefcount(None) < 2**41
    e = Emitter()
    before = sys.getrefcount(True)
    for _ in range(20_000):  # more than True's references in an unprotected process
        e.ping.emit()
    lost = before - sys.getrefcount(True)
    # 20,000 with shiboken6 6.12.0; 0 once PySide6 is fixed, and then the guard can go
    assert lost in (0, 20_000), lost
