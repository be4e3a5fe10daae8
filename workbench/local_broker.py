"""The "Local" connection: the bundled engine as a subprocess with its data in the user's data directory.

Theory of operation: the broker is its own process (`python -m engine` with Kafka
property overrides), in its own session, writing its log to `broker.log` beside its
data; a UI crash therefore never takes the broker down. `broker.json` records the pid
and port of a running broker, so the next app start attaches to a broker the user
chose to keep running instead of starting a second one. The first start takes port 9092
when it is free (any free port otherwise); the app remembers the port and keeps it. Readiness is the engine's
own ready line in the log or, equally, an ApiVersions answer on the port. States go
stopped -> starting -> running -> stopping -> stopped, or to failed with a sentence;
every change is reported through `on_state(state, message)` on the event loop.

Secured (`secured = True`, taken at the next start): one SASL_SSL listener with SCRAM,
TLS from a CA of the broker's own and ACLs on, as local_security.py sets up; the user
`admin` (a super user) has a password kept in the OS keyring, and `spec()` is then the
SASL_SSL connection to it, trusting that CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench import local_security
from workbench.errors import WorkbenchError
from workbench.services import wire
from workbench.services.connection import ConnectionSpec
from workbench.services.launch import BROKER_MODE, helper_command
from workbench.services.threads import EXECUTOR

if TYPE_CHECKING:
    from workbench.store import SecretStore

PASSWORD_ACCOUNT = "Local/sasl_password"

STATES = ("stopped", "starting", "running", "stopping", "failed")
DEFAULT_PORT = 9092  # where users, their programs and every Kafka tutorial look first
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_DETACHED: dict[int, subprocess.Popen[bytes]] = {}  # brokers left running by detach(), still children of ours


def engine_command() -> tuple[list[str], dict[str, str]]:
    """The command that runs the bundled engine (`python -m engine`, or the frozen app in broker mode)."""
    return helper_command(BROKER_MODE, "engine")


def choose_port(remembered: int) -> int:
    """The port to start on: the one used before (0 if none) when it is still free, else Kafka's 9092 on the first
    start when that is free, else any free port. The caller remembers the answer for the next start."""
    if remembered and port_is_free(remembered):
        return remembered
    if not remembered and DEFAULT_PORT and port_is_free(DEFAULT_PORT):
        return DEFAULT_PORT
    return free_port()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the broker's listener does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalBroker:
    def __init__(self, root: Path, port: int = 0, on_state: Callable[[str, str], None] | None = None) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.log_path = root / "broker.log"
        self.state_path = root / "broker.json"
        self.port = port
        self.on_state = on_state
        self.state = "stopped"
        self.message = "The Local broker is not running."
        self.pid: int | None = None
        self.stop_timeout = STOP_TIMEOUT  # seconds from SIGTERM to SIGKILL
        self._proc: subprocess.Popen[bytes] | None = None
        self.secured = False  # wanted at the next start
        self.running_secured = False  # how the running broker was started
        self.secrets: SecretStore | None = None
        self.security_dir = root / "security"
        self._password = ""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.security_dir / "ca.pem"

    def admin_password(self) -> str:
        """The secured broker's admin password: made once, then kept in the OS keyring (or for this session)."""
        if not self._password:
            self._password = self.secrets.get(PASSWORD_ACCOUNT) if self.secrets is not None else ""
        if not self._password:
            self._password = local_security.new_password()
            if self.secrets is not None:
                self.secrets.set(PASSWORD_ACCOUNT, self._password)
        return self._password

    def spec(self, secured: bool | None = None) -> ConnectionSpec:
        if not (self.running_secured if secured is None else secured):
            return ConnectionSpec(name="Local", bootstrap=self.bootstrap, local=True)
        return ConnectionSpec(name="Local", bootstrap=self.bootstrap, sasl_mechanism=local_security.MECHANISM,
                              sasl_username=local_security.ADMIN, sasl_password=self.admin_password(), tls=True,
                              tls_ca_path=str(self.ca_path), local=True)

    def _what(self, secured: bool | None = None) -> str:
        return "secured Local broker" if (self.running_secured if secured is None else secured) else "Local broker"

    def _set(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        if self.on_state is not None:
            self.on_state(state, message)

    # -- start -------------------------------------------------------------------------

    def _recorded(self) -> tuple[int, int, bool] | None:
        try:
            doc = json.loads(self.state_path.read_text())
            return int(doc["pid"]), int(doc["port"]), bool(doc.get("secured", False))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    async def _answers(self, port: int, secured: bool, timeout: float = 1.0) -> bool:
        spec = dataclasses.replace(self.spec(secured), bootstrap=f"127.0.0.1:{port}")
        try:
            await wire.api_versions(spec, "127.0.0.1", port, timeout)
        except Exception:  # any failure means "not a ready broker there"
            return False
        return True

    async def start(self, timeout: float = READY_TIMEOUT) -> None:
        """Start the broker, or attach to the one a previous session left running."""
        if self.state in ("running", "starting"):
            return
        self.root.mkdir(parents=True, exist_ok=True)
        recorded = self._recorded()
        if recorded is not None:
            pid, port, secured = recorded
            if pid_alive(pid) and await self._answers(port, secured):
                self.pid, self.port, self.running_secured = pid, port, secured
                self._set("running", f"Attached to the {self._what()} left running (pid {pid}) on "
                                     f"{self.bootstrap}.")
                return
            self.state_path.unlink(missing_ok=True)
        self.port = choose_port(self.port)
        secured = self.secured
        self._set("starting", f"Starting the {self._what(secured)} on {self.bootstrap}...")
        cmd, env = engine_command()
        settings = {"listeners": f"PLAINTEXT://{self.bootstrap}", "advertised.listeners": f"PLAINTEXT://{self.bootstrap}",
                    "log.dirs": str(self.data_dir), "node.id": "1"}
        credential: Path | None = None
        if secured:
            _ca, broker_pem = await asyncio.get_running_loop().run_in_executor(
                EXECUTOR, local_security.ensure_pki, self.security_dir)
            settings.update(local_security.broker_overrides(self.bootstrap, broker_pem))
            credential = local_security.scram_argument_file(self.security_dir, self.admin_password())
        for key, value in settings.items():
            cmd += ["--override", f"{key}={value}"]
        if credential is not None:
            cmd.append(f"@{credential}")
        log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=env, start_new_session=True)
        self.pid = self._proc.pid
        self.running_secured = secured
        self.state_path.write_text(json.dumps({"pid": self.pid, "port": self.port, "secured": secured}))
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                code = self._proc.poll()
                if code is not None:
                    tail = self.read_log(log_start)[0].strip().splitlines()[-1:] or ["(no output)"]
                    self.state_path.unlink(missing_ok=True)
                    self._set("failed", f"The Local broker exited with code {code}: {tail[0]}")
                    raise WorkbenchError("internal", self.message, self.read_log(log_start)[0])
                if await self._answers(self.port, secured, 0.5):
                    self._set("running", f"The {self._what()} is running on {self.bootstrap} (pid {self.pid}).")
                    return
                await asyncio.sleep(0.05)
        finally:
            if credential is not None:  # stored by the broker by now, or never needed
                credential.unlink(missing_ok=True)
        await self.stop()
        self._set("failed", f"The Local broker did not answer within {timeout:g} s.")
        raise WorkbenchError("timeout", self.message, self.read_log(log_start)[0])

    # -- stop --------------------------------------------------------------------------

    async def stop(self, timeout: float | None = None) -> None:
        timeout = self.stop_timeout if timeout is None else timeout
        pid = self.pid
        if pid is None or not pid_alive(pid):
            self._forget()
            self._set("stopped", "The Local broker is stopped.")
            return
        self._set("stopping", f"Stopping the Local broker (pid {pid})...")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        stopped = await loop.run_in_executor(EXECUTOR, self._wait_exit, pid, timeout)
        if not stopped:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            await loop.run_in_executor(EXECUTOR, self._wait_exit, pid, 5.0)
        self._forget()
        self._set("stopped", "The Local broker is stopped." if stopped else
                  f"The Local broker did not stop within {timeout:g} s of SIGTERM and was killed.")

    def stop_now(self, timeout: float | None = None) -> None:
        """Stop without an event loop (at exit): SIGTERM, wait, SIGKILL if it will not go."""
        timeout = self.stop_timeout if timeout is None else timeout
        pid = self.pid
        if pid is None or not pid_alive(pid):
            self._forget()
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self._wait_exit(pid, 5.0)
        self._forget()
        self.state, self.message = "stopped", "The Local broker is stopped."

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        proc = self._proc if self._proc is not None and self._proc.pid == pid else _DETACHED.pop(pid, None)
        if proc is not None:
            try:
                proc.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # not our Popen (attached): poll for it to go
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child after all
            if not pid_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _forget(self) -> None:
        self.pid = None
        self._proc = None
        self.state_path.unlink(missing_ok=True)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def detach(self) -> None:
        """Leave the broker running after the app exits (broker.json lets the next start attach to it)."""
        if self._proc is not None:
            _DETACHED[self._proc.pid] = self._proc  # still our child: whoever stops it reaps it through this
        self._proc = None

    def check(self) -> None:
        """Notice a broker that died on its own (called periodically by the UI)."""
        if self.state == "running" and self.pid is not None and not pid_alive(self.pid):
            self._forget()
            self._set("failed", "The Local broker exited unexpectedly; see its log.")
        elif self.state == "running" and self._proc is not None and self._proc.poll() is not None:
            code = self._proc.returncode
            self._forget()
            self._set("failed", f"The Local broker exited unexpectedly with code {code}; see its log.")

    # -- log ---------------------------------------------------------------------------

    def read_log(self, offset: int = 0, limit: int = 256 * 1024) -> tuple[str, int]:
        """Log text from byte offset (at most limit bytes, the newest), and the offset to read from next."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                end = f.tell()
                start = max(offset, end - limit) if offset <= end else max(0, end - limit)
                f.seek(start)
                return f.read(end - start).decode("utf-8", errors="replace"), end
        except FileNotFoundError:
            return "", 0
