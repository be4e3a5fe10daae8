"""Cross-thread signals must not corrupt reference counts: PySide6 6.12.0 drops a reference to True on every queued
signal with arguments emitted from another thread, which qasync's call_soon_threadsafe (every executor result,
every scan update) does, so the app died with "Fatal Python error: bool_dealloc" after a few thousand. Run in a child
process, so that a regression fails this test instead of killing the test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import asyncio, os, sys, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def main():
        lp = asyncio.get_running_loop()
        done = asyncio.Event()
        got = []
        before = sys.getrefcount(True)

        def worker():
            for i in range(6000):
                lp.call_soon_threadsafe(got.append, i % 2 == 0)
            lp.call_soon_threadsafe(done.set)
        threading.Thread(target=worker).start()
        await asyncio.wait_for(done.wait(), 60)
        print(len(got), sys.getrefcount(True) - before)

    with loop:
        loop.run_until_complete(main())
""")


def test_cross_thread_calls_keep_reference_counts() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    delivered, drift = map(int, out.stdout.split())
    assert delivered == 6000
    assert drift > -100, f"True lost {-drift} references over 6,000 cross-thread calls"
