"""ZooKeeper for the event loop: kazoo's asynchronous calls as awaitables, its watches and session events as
callbacks on the loop.

kazoo runs its own threads; every result, watch and session change is handed to the
asyncio loop with call_soon_threadsafe, so the rest of engine.cluster is single-threaded
(as Kafka's controller processes its events on one thread). A request that meets a lost
connection waits for the reconnection (at most zookeeper.connection.timeout.ms) and is
sent again, as Kafka's ZooKeeperClient does. Session states reported to `on_session`:

    connected   a session exists (the first one, or a new one after "expired")
    suspended   the connection dropped; the session may still be alive
    expired     the session is gone with every ephemeral node and watch (kazoo then opens a new one)

Writes that must happen together (a broker's registration, every fenced controller write)
go through `multi`, one ZooKeeper transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import ConnectionLoss, NodeExistsError, NoNodeError, OperationTimeoutError, SessionExpiredError
from kazoo.protocol.states import WatchedEvent, ZnodeStat

log = logging.getLogger("engine.zookeeper")
logging.getLogger("kazoo").setLevel(logging.WARNING)

Watch = Callable[[WatchedEvent], None]
MAX_ATTEMPTS = 5


class ZkError(Exception):
    """ZooKeeper could not be reached or refused a request in a way the caller cannot act on."""


@dataclasses.dataclass(frozen=True)
class Check:
    path: str
    version: int


@dataclasses.dataclass(frozen=True)
class Create:
    path: str
    data: bytes | None
    ephemeral: bool = False
    sequential: bool = False


@dataclasses.dataclass(frozen=True)
class SetData:
    path: str
    data: bytes | None
    version: int = -1


@dataclasses.dataclass(frozen=True)
class Delete:
    path: str
    version: int = -1


Op = Check | Create | SetData | Delete


class ZkClient:
    def __init__(self, connect: str, session_timeout_ms: int, connection_timeout_ms: int,
                 on_session: Callable[[str], None] | None = None) -> None:
        self.connect = connect
        self.connection_timeout = connection_timeout_ms / 1000
        self.on_session = on_session
        self._kazoo = KazooClient(hosts=connect, timeout=session_timeout_ms / 1000,
                                  connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 1.0})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connected = asyncio.Event()
        self._expired_seen = False
        self._closed = False

    # -- session ------------------------------------------------------------------------------
    @property
    def session_id(self) -> int:
        cid = self._kazoo.client_id
        return int(cid[0]) if cid else 0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._kazoo.add_listener(self._listener)
        started = self._kazoo.start_async()
        deadline = self._loop.time() + self.connection_timeout
        while not started.is_set():  # a threading.Event: polled, every 20 ms, at most the connection timeout
            if self._loop.time() > deadline:
                self._kazoo.stop()
                raise ZkError(f"no ZooKeeper session with {self.connect} within "
                              f"{self.connection_timeout * 1000:.0f} ms (zookeeper.connection.timeout.ms)")
            await asyncio.sleep(0.02)
        if not self._kazoo.connected:
            raise ZkError(f"cannot connect to ZooKeeper at {self.connect}")
        self._connected.set()

    def _listener(self, state: str) -> None:
        """kazoo's thread: hand the change to the loop."""
        if self._loop is None or self._closed:
            return
        name = {KazooState.CONNECTED: "connected", KazooState.SUSPENDED: "suspended",
                KazooState.LOST: "expired"}.get(state, str(state))
        self._loop.call_soon_threadsafe(self._on_state, name)

    def _on_state(self, name: str) -> None:
        if self._closed:
            return
        if name == "connected":
            self._connected.set()
        else:
            self._connected.clear()
        log.info("ZooKeeper session %s (%s)", name, self.connect)
        if self.on_session is not None:
            self.on_session(name)

    async def close(self) -> None:
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._stop_kazoo)

    def _stop_kazoo(self) -> None:
        try:
            self._kazoo.stop()
            self._kazoo.close()
        except Exception:  # closing a client whose connection is already gone
            log.debug("closing the ZooKeeper client", exc_info=True)

    # -- plumbing -----------------------------------------------------------------------------
    def _future(self, async_result: Any) -> asyncio.Future[Any]:
        assert self._loop is not None
        loop = self._loop
        fut: asyncio.Future[Any] = loop.create_future()

        def done(result: Any) -> None:
            try:
                value, exc = result.get_nowait(), None
            except BaseException as e:  # handed over to the awaiting side
                value, exc = None, e
            loop.call_soon_threadsafe(_settle, fut, value, exc)

        async_result.rawlink(done)
        return fut

    def _watch(self, watch: Watch | None) -> Callable[[WatchedEvent], None] | None:
        if watch is None:
            return None
        loop = self._loop
        assert loop is not None

        def fire(event: WatchedEvent) -> None:
            if not self._closed:
                loop.call_soon_threadsafe(watch, event)
        return fire

    async def _call(self, make: Callable[[], Any]) -> Any:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return await self._future(make())
            except (ConnectionLoss, OperationTimeoutError) as exc:
                if self._closed or attempt == MAX_ATTEMPTS - 1:
                    raise ZkError(f"ZooKeeper request failed: {exc!r}") from exc
                try:
                    await asyncio.wait_for(self._connected.wait(), self.connection_timeout)
                except TimeoutError:
                    raise ZkError(f"lost the connection to ZooKeeper at {self.connect}") from exc
            except SessionExpiredError as exc:
                raise ZkError("the ZooKeeper session expired") from exc
        raise ZkError("unreachable")

    # -- reads ---------------------------------------------------------------------------------
    async def get(self, path: str, watch: Watch | None = None) -> tuple[bytes | None, ZnodeStat] | None:
        try:
            data, stat = await self._call(lambda: self._kazoo.get_async(path, self._watch(watch)))
        except NoNodeError:
            return None
        return data, stat

    async def get_children(self, path: str, watch: Watch | None = None) -> list[str] | None:
        try:
            children = await self._call(lambda: self._kazoo.get_children_async(path, self._watch(watch)))
        except NoNodeError:
            return None
        return list(children)

    async def exists(self, path: str, watch: Watch | None = None) -> ZnodeStat | None:
        stat = await self._call(lambda: self._kazoo.exists_async(path, self._watch(watch)))
        return stat  # type: ignore[no-any-return]

    # -- writes --------------------------------------------------------------------------------
    async def create(self, path: str, data: bytes | None = None, *, ephemeral: bool = False,
                     sequential: bool = False) -> str:
        return str(await self._call(lambda: self._kazoo.create_async(
            path, data, ephemeral=ephemeral, sequence=sequential)))

    async def create_if_absent(self, path: str, data: bytes | None = None) -> bool:
        try:
            await self.create(path, data)
        except NodeExistsError:
            return False
        return True

    async def set(self, path: str, data: bytes | None, version: int = -1) -> ZnodeStat:
        return await self._call(lambda: self._kazoo.set_async(path, data, version))  # type: ignore[no-any-return]

    async def delete(self, path: str, version: int = -1) -> None:
        await self._call(lambda: self._kazoo.delete_async(path, version))

    async def multi(self, ops: Sequence[Op]) -> list[Any]:
        """Run ops as one transaction; the results (paths, stats, True) or, on failure, the exception of each op
        (kazoo's RolledBackError for those not at fault)."""
        def make() -> Any:
            t = self._kazoo.transaction()
            for op in ops:
                if isinstance(op, Check):
                    t.check(op.path, op.version)
                elif isinstance(op, Create):
                    t.create(op.path, op.data or b"", ephemeral=op.ephemeral, sequence=op.sequential)
                    if op.data is None:  # null data, as Kafka creates its nodes (kazoo only checks the type)
                        t.operations[-1] = t.operations[-1]._replace(data=None)
                elif isinstance(op, SetData):
                    t.set_data(op.path, op.data, op.version)
                else:
                    t.delete(op.path, op.version)
            return t.commit_async()
        return list(await self._call(make))


def _settle(fut: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)


def failed(results: list[Any]) -> Exception | None:
    """The first error of a multi's results that is not a roll-back of the others, or None."""
    from kazoo.exceptions import RolledBackError

    for r in results:
        if isinstance(r, Exception) and not isinstance(r, RolledBackError):
            return r
    return None


__all__ = ["Check", "Create", "Delete", "NoNodeError", "NodeExistsError", "SetData", "ZkClient", "ZkError", "failed"]
