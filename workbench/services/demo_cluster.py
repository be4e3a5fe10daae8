"""The demo cluster: three ZooKeeper nodes and three bundled brokers on loopback, as Kafka's tutorial builds one.

Theory of operation: six processes, each in its own session with its log beside its data
under `<data dir>/demo-cluster/`: `zk<N>/` holds `zoo.cfg`, `data/myid` and
`zookeeper.log` (Debian's ZooKeeper on the system's Java, `QuorumPeerMain`, the same
`server.N=127.0.0.1:<peer>:<election>` lines in every node, tickTime=2000, initLimit=10,
syncLimit=5); `broker<N>/` holds `server.properties` (shaped like the tutorial's, with
`zookeeper.connect` naming the three nodes), `data/` and `broker.log`. A broker is started
the way the Local broker is (`python -m engine`, or the frozen app in broker mode), with
its properties file as the argument. Ports are chosen once (free loopback ports) and kept
in `cluster.json` with the pids, so the profile's addresses stay the same between starts
and a cluster left behind by a crashed app is found and stopped before a new start. The
members run under `nice -n 10`: six busy processes never take the window's CPU.

Every wait is bounded and awaited (process exits are polled, never waited on in a
thread); a member's state goes stopped -> starting -> running -> stopping -> stopped, or
to killed (SIGKILL from the app) or failed (it exited, or never became ready); every
change goes to `on_change(member)`. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from engine.__main__ import READY_MESSAGE
from workbench.errors import WorkbenchError
from workbench.local_broker import free_port, pid_alive, port_is_free
from workbench.services.connection import ConnectionSpec
from workbench.services.demo_members import (
    JVM_OPTIONS,
    NICENESS,
    PROFILE_NAME,
    READY_TIMEOUT,
    SESSION_TIMEOUT_MS,
    SIZE,
    SLF4J_BINDING,
    STOP_TIMEOUT,
    ZK_JAR,
    Member,
    broker_view,
    missing_requirements,
    server_properties,
    zk_mode,
    zoo_cfg,
)
from workbench.services.launch import BROKER_MODE, helper_command
from workbench.services.threads import EXECUTOR


class DemoCluster:
    def __init__(self, root: Path, on_change: Callable[[Member], None] | None = None) -> None:
        self.root = root
        self.state_path = root / "cluster.json"
        self.on_change = on_change
        self.ready_timeout = READY_TIMEOUT
        self.stop_timeout = STOP_TIMEOUT
        self.zookeepers = [Member("zookeeper", i, 0, root / f"zk{i}") for i in range(1, SIZE + 1)]
        self.brokers = [Member("broker", i, 0, root / f"broker{i}") for i in range(1, SIZE + 1)]
        self._restore_ports()

    @property
    def members(self) -> list[Member]:
        return self.zookeepers + self.brokers

    def member(self, key: str) -> Member:
        return next(m for m in self.members if m.key == key)

    @property
    def zk_connect(self) -> str:
        return ",".join(n.address for n in self.zookeepers)

    @property
    def bootstrap(self) -> str:
        return ",".join(b.address for b in self.brokers)

    @property
    def ports_known(self) -> bool:
        return all(m.port for m in self.members)

    @property
    def running(self) -> bool:
        """Some member runs (or is on its way): the cluster counts as started."""
        return any(m.state in ("starting", "running", "stopping") for m in self.members)

    def spec(self) -> ConnectionSpec:
        return ConnectionSpec(name=PROFILE_NAME, bootstrap=self.bootstrap, zookeeper=self.zk_connect)

    def _set(self, m: Member, state: str, message: str = "") -> None:
        m.state, m.message = state, message
        if state != "running":
            m.role = ""
        if self.on_change is not None:
            self.on_change(m)

    # -- ports and the record of pids --------------------------------------------------------

    def _restore_ports(self) -> None:
        try:
            doc = json.loads(self.state_path.read_text())
            for m in self.members:
                entry = doc[m.key]
                m.port, m.quorum_port, m.election_port = int(entry["port"]), int(entry["quorum"]), \
                    int(entry["election"])
        except (OSError, ValueError, KeyError, TypeError):
            for m in self.members:
                m.port = m.quorum_port = m.election_port = 0

    def _record(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        doc = {m.key: {"port": m.port, "quorum": m.quorum_port, "election": m.election_port, "pid": m.pid}
               for m in self.members}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(self.state_path)

    def _choose_ports(self) -> None:
        """Keep the ports of the last start when they are all free, else take new free ones for every member."""
        wanted = [p for m in self.members for p in (m.port, m.quorum_port, m.election_port) if p]
        kept = len(wanted) == SIZE * 3 + SIZE and len(set(wanted)) == len(wanted) and all(map(port_is_free, wanted))
        if kept:
            return
        taken: set[int] = set()

        def fresh() -> int:
            for _ in range(100):  # bounded: the kernel hands out distinct free ports almost always at once
                port = free_port()
                if port not in taken:
                    taken.add(port)
                    return port
            raise WorkbenchError("internal", "Could not find free loopback ports for the demo cluster.")
        for m in self.members:
            m.port = fresh()
            if m.kind == "zookeeper":
                m.quorum_port, m.election_port = fresh(), fresh()

    def _leftovers(self) -> list[int]:
        """Pids recorded by an earlier start that still run one of our processes (the app crashed or was killed)."""
        try:
            doc = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return []
        ours = []
        for entry in doc.values():
            pid = entry.get("pid") if isinstance(entry, dict) else None
            if isinstance(pid, int) and pid_alive(pid) and pid not in {m.pid for m in self.members}:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if str(self.root).encode() in cmdline:
                    ours.append(pid)
        return ours

    # -- start ---------------------------------------------------------------------------------

    def _write_configs(self) -> None:
        for n in self.zookeepers:
            (n.dir / "data").mkdir(parents=True, exist_ok=True)
            (n.dir / "data" / "myid").write_text(f"{n.ident}\n")
            n.config_path.write_text(zoo_cfg(n, self.zookeepers))
        for b in self.brokers:
            (b.dir / "data").mkdir(parents=True, exist_ok=True)
            b.config_path.write_text(server_properties(b, self.zk_connect))
        self._record()

    def _command(self, m: Member) -> tuple[list[str], dict[str, str]]:
        if m.kind == "zookeeper":
            env = dict(os.environ)
            env.pop("QT_QPA_PLATFORM", None)
            classpath = [str(ZK_JAR)] + ([str(SLF4J_BINDING)] if SLF4J_BINDING.is_file() else [])
            return ["java", *JVM_OPTIONS, "-Dorg.slf4j.simpleLogger.showDateTime=true",
                    f"-Dkafka.workbench.demo={self.root}", "-cp", ":".join(classpath),
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(m.config_path)], env
        cmd, env = helper_command(BROKER_MODE, "engine")
        return [*cmd, str(m.config_path)], env

    def _spawn(self, m: Member) -> subprocess.Popen[bytes]:
        cmd, env = self._command(m)
        nice = shutil.which("nice")
        if nice:  # six busy processes on a laptop's cores: the window keeps the CPU it needs to stay smooth
            cmd = [nice, "-n", str(NICENESS), *cmd]
        with open(m.log_path, "ab") as log:
            return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    cwd=m.dir, start_new_session=True)

    async def _launch(self, m: Member) -> None:
        self._set(m, "starting", f"Starting {m.name} on {m.address}…")
        m.log_start = m.log_path.stat().st_size if m.log_path.exists() else 0
        try:
            m.proc = await asyncio.get_running_loop().run_in_executor(EXECUTOR, self._spawn, m)
        except OSError as exc:
            self._set(m, "failed", f"{m.name} could not be started: {exc.strerror or exc}.")
            raise WorkbenchError("internal", m.message) from exc
        m.pid = m.proc.pid
        self._record()

    async def _wait_ready(self, m: Member) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:  # bounded by the deadline
            if m.proc is None or m.proc.poll() is not None:
                code = m.proc.returncode if m.proc is not None else None
                self._forget(m)
                self._set(m, "failed", f"{m.name} exited with code {code} before it was ready: {self.last_line(m)}")
                raise WorkbenchError("internal", m.message, self.read_log(m)[0][-4000:])
            if m.kind == "zookeeper":
                m.role = await zk_mode(m.port, 0.5)
                if m.role:
                    self._set(m, "running", f"{m.name} serves on {m.address} ({m.role}).")
                    return
            elif READY_MESSAGE in self.read_log(m, m.log_start)[0]:  # logged once registered in ZooKeeper
                self._set(m, "running", f"{m.name} is registered and serves on {m.address} (pid {m.pid}).")
                return
            elif m.message.startswith("Starting") and "held by another session" in self.read_log(m, m.log_start)[0]:
                self._set(m, "starting", f"{m.name} waits for the ZooKeeper session of its killed process to expire "
                                         f"(up to {SESSION_TIMEOUT_MS / 1000:g} s) before it registers again…")
            await asyncio.sleep(0.1)
        await self._terminate(m)
        self._set(m, "failed", f"{m.name} was not ready within {self.ready_timeout:g} s; see its log.")
        raise WorkbenchError("timeout", m.message, self.read_log(m)[0][-4000:])

    async def start(self) -> None:
        """Start every member that is not running: the ZooKeeper ensemble first (all three serving, a quorum
        with a leader), then the three brokers; returns when each broker answers."""
        missing = missing_requirements()
        if missing:
            raise WorkbenchError("unsupported", missing)
        leftovers = self._leftovers()
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while any(map(pid_alive, leftovers)) and time.monotonic() < deadline:  # bounded: until they are gone
            await asyncio.sleep(0.05)
        if not self.running:
            self._choose_ports()
        self._write_configs()
        for group in (self.zookeepers, self.brokers):
            todo = [m for m in group if m.state not in ("running", "starting")]
            for m in todo:
                await self._launch(m)
            await asyncio.gather(*(self._wait_ready(m) for m in todo))
        await self.wait_formed()

    async def wait_formed(self) -> None:
        """Wait (bounded) until every running broker knows every running broker and names the same controller:
        before that, a topic with replication factor 3 could be refused for want of brokers."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:  # bounded by the deadline
            if await self._formed():
                return
            await asyncio.sleep(0.2)
        raise WorkbenchError("timeout", f"The brokers did not see each other within {self.ready_timeout:g} s; "
                                        "see their logs.")

    async def _formed(self) -> bool:
        running = [b for b in self.brokers if b.state == "running"]
        views = await asyncio.gather(*(broker_view(b.port) for b in running))
        wanted = {b.ident for b in running}
        controllers = {c for _ids, c in views}
        formed = all(ids == wanted for ids, _c in views) and len(controllers) == 1 and controllers <= wanted
        if formed:
            self._show_controller(controllers.pop())
        return formed

    def _show_controller(self, controller: int) -> None:
        for b in self.brokers:
            role = "controller" if b.ident == controller and b.state == "running" else ""
            if role != b.role:
                b.role = role
                if self.on_change is not None:
                    self.on_change(b)

    async def start_member(self, key: str) -> None:
        m = self.member(key)
        if m.state in ("running", "starting"):
            return
        if not self.ports_known:
            raise WorkbenchError("input", "Start the demo cluster first.")
        if m.kind == "zookeeper" and missing_requirements():
            raise WorkbenchError("unsupported", missing_requirements())
        await self._launch(m)
        await self._wait_ready(m)
        if m.kind == "broker":
            await self.wait_formed()

    # -- stop -------------------------------------------------------------------------------------

    async def _wait_exit(self, m: Member, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded by the deadline; polls, so no thread waits
            if m.proc is None or m.proc.poll() is not None:
                return True
            await asyncio.sleep(0.05)
        return False

    async def _terminate(self, m: Member) -> bool:
        """SIGTERM, wait, SIGKILL if it will not go; True when it went on SIGTERM."""
        if m.proc is None or m.proc.poll() is not None:
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(m.proc.pid, signal.SIGTERM)
        if await self._wait_exit(m, self.stop_timeout):
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(m.proc.pid, signal.SIGKILL)
        await self._wait_exit(m, 5.0)
        return False

    def _forget(self, m: Member) -> None:
        m.pid = None
        m.proc = None
        self._record()

    async def stop_member(self, key: str) -> None:
        m = self.member(key)
        if m.proc is None:
            self._set(m, "stopped", f"{m.name} is stopped.")
            return
        self._set(m, "stopping", f"Stopping {m.name} (pid {m.pid})…")
        clean = await self._terminate(m)
        self._forget(m)
        self._set(m, "stopped", f"{m.name} is stopped." if clean else
                  f"{m.name} did not stop within {self.stop_timeout:g} s of SIGTERM and was killed.")

    async def kill_member(self, key: str) -> None:
        """SIGKILL, as a crash: no controlled shutdown, its ZooKeeper session expires on its own."""
        m = self.member(key)
        if m.proc is None:
            return
        pid = m.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        await self._wait_exit(m, 5.0)
        self._forget(m)
        self._set(m, "killed", f"{m.name} was killed (SIGKILL, pid {pid}).")

    async def restart_member(self, key: str) -> None:
        await self.stop_member(key)
        await self.start_member(key)

    async def stop(self) -> None:
        """Stop the brokers (together, each with its controlled shutdown), then the ZooKeeper nodes."""
        for group in (self.brokers, self.zookeepers):
            await asyncio.gather(*(self.stop_member(m.key) for m in group if m.proc is not None))

    def stop_now(self, timeout: float = 10.0) -> None:
        """At exit, without an event loop: SIGTERM the brokers, then the ZooKeeper nodes, SIGKILL what is left
        after `timeout` seconds in all."""
        deadline = time.monotonic() + timeout
        for group in (self.brokers, self.zookeepers):
            procs = [m.proc for m in group if m.proc is not None and m.proc.poll() is None]
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGTERM)
            for p in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(max(0.1, deadline - time.monotonic() - (2.0 if group is self.brokers else 0.0)))
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        p.wait(5.0)
        for m in self.members:
            m.pid, m.proc, m.state, m.role = None, None, "stopped", ""
        self._record()

    # -- watching ---------------------------------------------------------------------------------

    async def check(self) -> None:
        """Notice members that exited on their own, and the Mode of each serving ZooKeeper node."""
        for m in self.members:
            if m.state == "running" and m.proc is not None and m.proc.poll() is not None:
                code = m.proc.returncode
                self._forget(m)
                self._set(m, "failed", f"{m.name} exited unexpectedly with code {code}: {self.last_line(m)}")
        for n in self.zookeepers:
            if n.state == "running":
                mode = await zk_mode(n.port, 1.0)
                if mode != n.role:
                    n.role = mode
                    if self.on_change is not None:
                        self.on_change(n)
        running = [b for b in self.brokers if b.state == "running"]
        if running:
            _ids, controller = await broker_view(running[0].port, 1.0)
            self._show_controller(controller)

    def read_log(self, m: Member, offset: int = 0, limit: int = 128 * 1024) -> tuple[str, int]:
        """Log text of a member from byte offset (at most limit bytes, the newest), and where to read on."""
        try:
            with open(m.log_path, "rb") as f:
                end = f.seek(0, os.SEEK_END)
                start = max(offset, end - limit) if offset <= end else max(0, end - limit)
                f.seek(start)
                return f.read(end - start).decode("utf-8", errors="replace"), end
        except FileNotFoundError:
            return "", 0

    def last_line(self, m: Member) -> str:
        lines = self.read_log(m, limit=8192)[0].strip().splitlines()
        return lines[-1] if lines else "(no output)"
