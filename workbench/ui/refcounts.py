"""A guard against PySide6 6.12's lost references to True and None (the interpreter would abort).

shiboken6 6.12.0 returns True from `SignalInstance.emit()` without taking a reference,
and hands an invalid QVariant back to Python as None the same way (QModelIndex.data()
for an empty role, and some conversions while views paint), so every emit from Python
drops one reference to True and such conversions drop references to None. On Python
3.12+ these objects are immortal and nothing happens. On 3.11 their counts (a few
thousand at start) fall until the interpreter aborts with "bool_dealloc" or
"none_dealloc": the consumer-groups lag sampler (a few emits per tick) got there within
seconds in its benchmark, and any long session would. `protect()` adds 2**40 references
to True, False and None once, where they are mortal; they are never freed anyway, so
the only effect is that the lost references can no longer bring them to zero.
"""

from __future__ import annotations

import ctypes
import sys

_protected = False


def protect() -> None:
    global _protected
    if _protected or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for obj in (True, False, None):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40  # ob_refcnt is a PyObject's first field
    _protected = True
