"""The ZooKeeper browser service over kazoo: children, data, stat, ACLs, changes, watches on a budget, srvr/mntr.

Theory of operation: kazoo runs its own connection thread; every request here uses
kazoo's `*_async` form and bridges the async result to an asyncio future with
`call_soon_threadsafe`, bounded by `asyncio.wait_for(timeout)`, so a dead ensemble
costs one timeout and never an executor thread. Watches are one-shot in ZooKeeper;
the browser sets one only on nodes the UI shows (`watch=True`), counts them against
a budget, and forgets paths the UI stops showing (`forget`), ignoring their events
when they fire. Events reach `on_change(kind, path)` on the event loop's thread.
Paging is the UI's job: ZooKeeper returns a node's children in one reply, so
`children` returns them sorted and the tree shows them a page at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from workbench.errors import WorkbenchError
from workbench.services.threads import EXECUTOR


@dataclasses.dataclass(frozen=True, slots=True)
class ZStat:
    version: int
    cversion: int
    aversion: int
    czxid: int
    mzxid: int
    pzxid: int
    ctime_ms: int
    mtime_ms: int
    ephemeral_owner: int
    data_length: int
    children: int

    @classmethod
    def of(cls, s: Any) -> ZStat:
        return cls(s.version, s.cversion, s.aversion, s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime,
                   s.ephemeralOwner, s.dataLength, s.numChildren)


@dataclasses.dataclass(frozen=True, slots=True)
class ZNode:
    path: str
    data: bytes | None
    stat: ZStat
    acls: tuple[str, ...]


def acl_text(acl: Any) -> str:
    perms = acl.acl_list if hasattr(acl, "acl_list") else []
    return f"{acl.id.scheme}:{acl.id.id} {','.join(p.lower() for p in perms) or acl.perms}"


def hosts_of(connect: str) -> list[tuple[str, int]]:
    """host:port pairs of a connect string, without its chroot."""
    hosts = connect.split("/", 1)[0]
    out = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        out.append((host or item.strip(), int(port) if host else 2181))
    return out


class ZkBrowser:
    def __init__(self, connect: str, timeout: float = 10.0, read_only: bool = False, watch_budget: int = 200,
                 on_change: Callable[[str, str], None] | None = None) -> None:
        self.connect = connect
        self.timeout = timeout
        self.read_only = read_only
        self.watch_budget = watch_budget
        self.on_change = on_change
        self._watched: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        retry = KazooRetry(max_tries=-1, max_delay=2.0)
        self._zk = KazooClient(hosts=connect, timeout=timeout, connection_retry=retry,
                               command_retry=KazooRetry(max_tries=0))

    @property
    def connected(self) -> bool:
        return bool(self._zk.connected)

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._watched)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._zk.connected:
            return
        event = self._zk.start_async()
        ok = await asyncio.wait_for(self._loop.run_in_executor(EXECUTOR, event.wait, self.timeout), self.timeout + 1)
        if not ok:
            # kazoo's stop joins its connection thread, which may sit in a connect or read for up to the session
            # timeout: never on the event loop's thread
            await self._loop.run_in_executor(EXECUTOR, self._zk.stop)
            raise WorkbenchError("timeout", f"ZooKeeper at {self.connect} did not accept a session within "
                                            f"{self.timeout:g} s: it may be down or unreachable.")

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        self._watched.clear()
        await loop.run_in_executor(EXECUTOR, self.close_now)

    def close_now(self) -> None:
        """Close the session without an event loop (blocking; at exit)."""
        self._zk.stop()
        self._zk.close()

    async def _await(self, async_result: Any) -> Any:
        loop = self._loop or asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()

        def done(result: Any) -> None:
            def settle() -> None:
                if fut.done():
                    return
                try:
                    fut.set_result(result.get_nowait())
                except Exception as exc:
                    fut.set_exception(exc)
            loop.call_soon_threadsafe(settle)
        async_result.rawlink(done)
        return await asyncio.wait_for(fut, self.timeout)

    # -- watches -----------------------------------------------------------------------

    def _watcher(self, key: str, watch: bool) -> Callable[[Any], None] | None:
        """A one-shot watch for `key` ("/path" for data, "children:/path" for children), if the budget allows."""
        if not watch:
            return None
        if key not in self._watched and len(self._watched) >= self.watch_budget:
            return None
        self._watched.add(key)
        loop = self._loop

        def fired(event: Any) -> None:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._fired, key, str(event.type), event.path or "")
        return fired

    def _fired(self, key: str, kind: str, path: str) -> None:
        if key not in self._watched:
            return  # the UI no longer shows this node
        self._watched.discard(key)
        if self.on_change is not None:
            self.on_change(kind, path or key.removeprefix("children:"))

    def forget(self, key: str) -> None:
        """The UI stopped showing this node ("/path") or its children ("children:/path"): drop it from the budget."""
        self._watched.discard(key)

    # -- reads ---------------------------------------------------------------------------

    async def children(self, path: str, watch: bool = False) -> list[str]:
        watcher = self._watcher(f"children:{path}", watch)
        names = await self._await(self._zk.get_children_async(path, watch=watcher))
        return sorted(names)

    async def node(self, path: str, watch: bool = False) -> ZNode:
        data, stat = await self._await(self._zk.get_async(path, watch=self._watcher(path, watch)))
        acls, _ = await self._await(self._zk.get_acls_async(path))
        return ZNode(path, data, ZStat.of(stat), tuple(acl_text(a) for a in acls))

    async def exists(self, path: str) -> bool:
        return await self._await(self._zk.exists_async(path)) is not None

    # -- changes -------------------------------------------------------------------------

    def _refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise WorkbenchError("input", f"This connection is read-only: {what} is not allowed.")

    async def create(self, path: str, data: bytes = b"", ephemeral: bool = False) -> str:
        self._refuse_if_read_only("creating a node")
        return str(await self._await(self._zk.create_async(path, data, ephemeral=ephemeral, makepath=False)))

    async def set_data(self, path: str, data: bytes, version: int = -1) -> ZStat:
        self._refuse_if_read_only("changing a node")
        return ZStat.of(await self._await(self._zk.set_async(path, data, version)))

    async def delete(self, path: str, version: int = -1) -> None:
        self._refuse_if_read_only("deleting a node")
        await self._await(self._zk.delete_async(path, version))

    # -- server state ----------------------------------------------------------------------

    async def four_letter_word(self, word: str) -> str:
        """srvr, mntr, ruok... from the first server of the ensemble that answers."""
        if word not in ("srvr", "mntr", "ruok", "stat", "conf", "envi", "cons"):
            raise WorkbenchError("input", f"{word} is not a four-letter word the browser sends.")
        last: BaseException | None = None
        for host, port in hosts_of(self.connect):
            try:
                return await asyncio.wait_for(_ask(host, port, word), self.timeout)
            except (OSError, TimeoutError) as exc:
                last = exc
        assert last is not None
        raise last


async def _ask(host: str, port: int, word: str) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(word.encode())
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    text = data.decode(errors="replace")
    if "is not executed because it is not in the whitelist" in text:
        raise WorkbenchError("zookeeper", f"ZooKeeper at {host}:{port} does not allow '{word}' "
                                          "(add it to 4lw.commands.whitelist).")
    return text
