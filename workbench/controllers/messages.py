"""The messages feature: scans into the results table, the detail of one message, saves, exports, produce again.

One scan runs at a time (a new Read replaces the running one, as the TaskRunner key
"scan" does); its ResultSet lives until the next scan or the next connection. Every
blocking step (reading a record whole, decoding a large value, writing a file) runs in
the worker threads; the GUI thread only hands data to the pane.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem, WorkbenchError
from workbench.panes.messages import MessagesPane
from workbench.services import processes
from workbench.services.decoders import SCHEMA, detail_text, schema_detail
from workbench.services.export import ExportChoice, write_records
from workbench.services.record import Record
from workbench.services.record_file import to_line
from workbench.services.registry import RegistrySettings
from workbench.services.result_store import IndexEntries, ResultSet
from workbench.services.scan import WORKERS, Progress, RunningScan, ScanService
from workbench.services.scan_request import ScanRequest
from workbench.services.schema_codec import SchemaDecoder
from workbench.services.threads import EXECUTOR
from workbench.session import Session
from workbench.ui.tasks import TaskRunner

R = TypeVar("R")
PROCESS_JSON_BYTES = 1 << 20


async def off_thread(fn: Callable[..., R], *args: Any) -> R:
    return await asyncio.get_running_loop().run_in_executor(EXECUTOR, fn, *args)


async def decode_off_gui(data: bytes | None, decoder: str, schemas: SchemaDecoder | None = None) -> tuple[str, str]:
    """The detail view's text. JSON of more than PROCESS_JSON_BYTES is parsed in a worker process: json.loads is
    one C call that holds the GIL throughout (~0.3 s for 20 MB), which in a thread would stall the window."""
    if decoder == SCHEMA:
        return await off_thread(schema_detail, data, schemas)
    if decoder == "json" and data is not None and len(data) > PROCESS_JSON_BYTES:
        return await processes.off_process(detail_text, data, decoder)
    return await off_thread(detail_text, data, decoder)


def _write_part(record: Record, part: str, path: str) -> int:
    if part == "message":
        data = (to_line(record) + "\n").encode("utf-8")
    else:
        raw = record.key if part == "key" else record.value
        if raw is None:
            raise WorkbenchError("input", f"The {part} of this message is null (nothing to save).")
        data = raw
    Path(path).expanduser().write_bytes(data)
    return len(data)


class MessagesController(Controller):
    pane_key = "messages"
    #: the user wants to produce this record again (the window hands it to the produce pane)
    produce_again = Signal(object)

    def __init__(self, pane: MessagesPane, tasks: TaskRunner, status: StatusLine,
                 parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.results: ResultSet | None = None
        self.running: RunningScan | None = None
        self.record: Record | None = None
        self.schemas: SchemaDecoder | None = None
        self.registry: RegistrySettings | None = None
        pane.model.schemas_wanted.connect(self.fetch_schema)
        pane.scan_requested.connect(self.scan)
        pane.cancel_requested.connect(self.cancel)
        pane.export_requested.connect(self.export)
        pane.row_selected.connect(self.open_row)
        pane.decode_requested.connect(self.decode)
        pane.save_requested.connect(self.save)
        pane.produce_again_requested.connect(self._produce_again)

    def on_connection(self, session: Session | None) -> None:
        self.cancel()
        self.pane.clear()
        self._set_results(None)
        old, self.schemas = self.schemas, None
        if old is not None:
            EXECUTOR.submit(old.close)
        self.registry = RegistrySettings.of(session.spec, session.admin.timeout) if session is not None else None
        if self.registry is not None:
            self.schemas = SchemaDecoder(self.registry)
        self.pane.set_schemas(self.schemas)
        if session is not None:
            self.pane.set_read_only(session.read_only)
            self.pane_visible(self.pane.isVisible())

    def pane_visible(self, visible: bool) -> None:
        """While the pane is on screen with a connection open, the first scan's worker process (and the one that
        parses large values) are started before they are needed."""
        if visible and self.session is not None:
            WORKERS.prime()
            processes.prime()

    def fetch_schema(self, schema_id: int) -> None:
        """A row on screen needs a schema: fetch it off the GUI thread, then redraw (a failure shows in the cells)."""
        schemas = self.schemas
        if schemas is None:
            return

        async def work() -> None:
            await off_thread(schemas.prepare, schema_id)
            if self.schemas is schemas:
                self.pane.schemas_ready()
        self.tasks.run(f"fetching schema id {schema_id}", work(), on_error=self.pane.show_problem)

    def _set_results(self, results: ResultSet | None) -> None:
        old, self.results = self.results, results
        self.record = None
        if old is not None and old is not results:
            old.close()

    # -- scans -----------------------------------------------------------------------------

    def _service(self) -> ScanService | None:
        admin = self.admin
        if admin is None:
            self.pane.show_problem(Problem("input", "No connection is open: choose one in the toolbar."))
            return None
        return ScanService(admin, self.registry)

    def scan(self, req: ScanRequest) -> None:
        service = self._service()
        if service is None:
            return

        async def work() -> None:
            scan_plan = await service.prepare(req)
            results = ResultSet(req.topic)
            self.pane.scan_started(scan_plan, results)  # the table shows the new set before the old one closes
            self._set_results(results)

            def update(entries: IndexEntries | None, progress: Progress) -> None:
                if self.results is results:  # a late batch of a replaced scan goes nowhere
                    self.pane.scan_update(entries, progress)
            run = service.start(req, scan_plan, update, spill_path=str(results.path))
            self.running = run
            try:
                outcome = await run.wait()
            finally:
                if self.running is run:
                    self.running = None
            self.pane.scan_finished(outcome)
            self.status.inform(f"{req.topic}: {outcome.sentence}")
        self.tasks.run(f"reading {req.topic}", work(), key="scan", on_error=self.pane.scan_failed)

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()

    # -- one message -----------------------------------------------------------------------

    def open_row(self, row: int) -> None:
        results = self.results
        if results is None or not 0 <= row < len(results):
            return
        key_decoder, value_decoder = self.pane.decoders
        schemas = self.schemas

        async def work() -> None:
            record = await off_thread(results.record, row)
            self.record = record
            self.pane.show_record(record)
            key = await decode_off_gui(record.key, key_decoder, schemas)
            self.pane.show_text("key", *key)
            value = await decode_off_gui(record.value, value_decoder, schemas)
            self.pane.show_text("value", *value)
        self.tasks.run(f"opening message {row + 1}", work(), key="message", on_error=self.pane.show_problem)

    def decode(self, part: str, decoder: str) -> None:
        record = self.record
        if record is None:
            return
        data = record.key if part == "key" else record.value
        schemas = self.schemas

        async def work() -> None:
            self.pane.show_text(part, *await decode_off_gui(data, decoder, schemas))
        self.tasks.run(f"decoding the {part}", work(), key=f"decode-{part}", on_error=self.pane.show_problem)

    def save(self, part: str, path: str) -> None:
        record = self.record
        if record is None:
            return

        def done(size: int) -> None:
            self.status.inform(f"Saved the {part} of {record.topic}/{record.partition}@{record.offset} to {path} "
                               f"({size:,} bytes).")
        self.tasks.run(f"saving the {part}", off_thread(_write_part, record, part, path), done,
                       on_error=self.pane.show_problem)

    def _produce_again(self) -> None:
        if self.record is not None:
            self.produce_again.emit(self.record)

    # -- exports ---------------------------------------------------------------------------

    def export(self, choice: ExportChoice, req: ScanRequest | None) -> None:
        try:
            choice.check()
        except ValueError as exc:
            self.pane.show_problem(Problem("input", f"Cannot export: {exc}."))
            return
        if choice.source == "results":
            results = self.results
            if results is None or not len(results):
                self.pane.show_problem(Problem("input", "There are no results to export: read some first."))
                return
            count = len(results)
            schemas = self.schemas
            if choice.add_decoded and schemas is None:
                self.pane.show_problem(Problem("input", "Cannot add the decoded form: this connection's profile has "
                                                        "no Schema Registry."))
                return

            def done(n: int) -> None:
                self.status.inform(f"Exported {n:,} messages to {choice.path}.")
                self.pane.shown.emit("exported")
            def write() -> int:  # in (partition, offset) order, so two exports of the same data are identical
                return write_records(choice, results.records(results.rows_by_partition_offset(count)),
                                     decoder=schemas)
            self.tasks.run(f"exporting {count:,} messages", off_thread(write), done, on_error=self.pane.show_problem)
            return
        if req is None:
            return
        self._export_range(choice, dataclasses.replace(req, max_results=None))

    def _export_range(self, choice: ExportChoice, req: ScanRequest) -> None:
        service = self._service()
        if service is None:
            return

        async def work() -> None:
            scan_plan = await service.prepare(req)
            self.pane.scan_started(scan_plan, None, f"Exporting to {choice.path}.")
            run = service.start(req, scan_plan, lambda _e, p: self.pane.scan_update(None, p), export=choice)
            self.running = run
            try:
                outcome, count = await run.wait_count()
            finally:
                if self.running is run:
                    self.running = None
            if outcome.reason in ("done", "budget"):
                text = f"Exported {count:,} messages to {choice.path}. {outcome.sentence}"
            else:
                text = f"Nothing was exported ({outcome.reason}): {outcome.sentence}"
            self.pane.scan_finished(outcome)
            self.status.inform(text)
            self.pane.shown.emit("exported")
        self.tasks.run(f"exporting {req.topic}", work(), key="scan", on_error=self.pane.scan_failed)

    def shutdown(self) -> None:
        self.cancel()
        self._set_results(None)
        if self.schemas is not None:
            self.schemas.close()
            self.schemas = None
        WORKERS.close()
        processes.shutdown()
