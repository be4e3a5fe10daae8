"""The scan worker process: `python -m workbench.services.scan_worker`; the protocol is in scan_job.py."""

from __future__ import annotations

import os
import sys
import threading

from workbench.services.scan_job import ScanJob, read_frame, run


class _Stdin:
    """Reads fd 0 without Python's buffered reader: the cancel watcher's blocked read must not hold the reader's
    lock at exit (the interpreter waits for it), and no byte after the job frame may sit unseen in a buffer."""

    def read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = os.read(0, n - len(out))
            if not chunk:
                break
            out += chunk
        return out


def main() -> int:
    job = read_frame(_Stdin())
    if not isinstance(job, ScanJob):
        return 2
    cancel = threading.Event()

    def watch_stdin() -> None:  # any byte, or the end of stdin (the parent closed it or died), cancels
        try:
            os.read(0, 1)
        finally:
            cancel.set()
    threading.Thread(target=watch_stdin, name="cancel-watch", daemon=True).start()
    try:
        run(job, sys.stdout.buffer, cancel)
    except BrokenPipeError:  # the parent is gone: nobody to report to
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
