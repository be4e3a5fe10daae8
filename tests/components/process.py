"""A component process: started in its own session with a log file, ready-checked, stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def die_with_parent() -> None:
    """preexec_fn: the component gets SIGKILL if the test process dies without tearing down (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ManagedProcess:
    def __init__(self, name: str, args: list[str], log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, ready: Callable[[], bool], timeout: float) -> None:
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=self.env, cwd=self.cwd, start_new_session=True,
                                         preexec_fn=die_with_parent)
        deadline = started + timeout
        last_error = "the readiness probe answered False"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before it was ready "
                                   f"(log {self.log_path}):\n{self.tail()}")
            try:
                if ready():
                    self.startup_seconds = time.monotonic() - started
                    return
            except Exception as e:  # not ready yet: any failure of the probe means "try again"
                last_error = f"{type(e).__name__}: {e}"
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout} s ({last_error}; log {self.log_path}):\n"
                           f"{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except ProcessLookupError:
            proc.wait(10)


def wait_until(cond: Callable[[], object], timeout: float, what: str) -> None:
    """Poll a condition every 50 ms, at most timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ProcessBacked:
    """pid and start-up time of a component object holding a ManagedProcess as `process`."""

    process: ManagedProcess

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def startup_seconds(self) -> float:
        return self.process.startup_seconds


def four_letter_word(host: str, port: int, word: str, timeout: float = 2.0) -> str:
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while time.monotonic() < deadline:  # ZooKeeper closes the connection after its answer
            data = s.recv(4096)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:  # bounded: every recv either returns data, returns b"" (EOF) or times out
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def api_versions_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when the port answers a raw ApiVersions v0 request (api_key 18) with a matching correlation id."""
    client_id = b"probe"
    correlation_id = 7
    req = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(req)) + req)
            head = _recv_exactly(s, 8)
    except OSError:
        return False
    if len(head) != 8:
        return False
    size, got_id = struct.unpack(">ii", head)
    return bool(size >= 4 and got_id == correlation_id)
