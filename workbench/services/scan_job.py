"""A scan job for the scan worker process (scan_worker.py) and the frames it talks in; `run` does the job.

Theory of operation: a scan reads hundreds of thousands of messages a second, and in the
GUI's own process its thread held the GIL in long stretches: every repaint of a Qt model
implemented in Python calls into Python once per cell and role and waits for the GIL
each time, so the window stalled for hundreds of milliseconds while a scan ran. In its
own process the scan has its own GIL (and core). It writes matching records to the
spill file (or the export file) itself and reports on stdout in frames (4-byte
big-endian length, then a pickle): ("update", IndexEntries | None, Progress) at most
every HAND_OVER_S, then one ("done", Outcome, exported count). The job comes the same way
on stdin; writing a byte to its stdin, closing it, or the parent dying cancels it. Only
the app that started it talks to it; frames are never read from anywhere else.
"""

from __future__ import annotations

import dataclasses
import pickle
import struct
import threading
from pathlib import Path
from typing import IO, Any

from workbench.services.export import ExportChoice, FileSink
from workbench.services.registry import RegistrySettings
from workbench.services.result_store import IndexEntries, SpillWriter
from workbench.services.scan_loop import Outcome, Progress, ScanLoop
from workbench.services.scan_request import ScanPlan, ScanRequest

FRAME = struct.Struct(">I")


@dataclasses.dataclass(frozen=True)
class ScanJob:
    req: ScanRequest
    plan: ScanPlan
    conf: dict[str, Any]
    stall_s: float
    spill_path: str = ""  # results go to this spill file, or
    export: ExportChoice | None = None  # to this export file (committed when the scan is done or within budget)
    registry: RegistrySettings | None = None  # for filters on decoded keys or values, and decoded exports


def write_frame(out: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME.pack(len(data)) + data)
    out.flush()


def read_frame(inp: Any) -> Any:
    """The next frame, or None at the end of the stream."""
    head = inp.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (size,) = FRAME.unpack(head)
    data = inp.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def run(job: ScanJob, out: IO[bytes], cancel: threading.Event) -> None:
    lock = threading.Lock()

    def emit(entries: IndexEntries | None, progress: Progress) -> None:
        with lock:
            write_frame(out, ("update", entries, progress))
    decoder = None
    if job.registry is not None and (job.req.decode_key or job.req.decode_value or
                                     (job.export is not None and job.export.add_decoded)):
        from workbench.services.schema_codec import SchemaDecoder

        decoder = SchemaDecoder(job.registry)
    file_sink = FileSink(job.export, decoder) if job.export is not None else None
    spill = SpillWriter(Path(job.spill_path)) if file_sink is None else None
    sink: FileSink | SpillWriter | None = file_sink if file_sink is not None else spill
    assert sink is not None
    count = 0
    try:
        outcome: Outcome = ScanLoop(job.req, job.plan, job.conf, sink, emit, job.stall_s,
                                     decoder).run(cancel)
        if file_sink is not None and outcome.reason in ("done", "budget"):
            file_sink.commit()
            count = file_sink.count
    finally:
        if spill is not None:
            spill.close()
        if file_sink is not None and file_sink.partial.exists():  # not committed: leave nothing that looks whole
            file_sink.abort()
    with lock:
        write_frame(out, ("done", outcome, count))
