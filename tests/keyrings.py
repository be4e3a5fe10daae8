"""Keyring backends for tests: no test may read or write the real OS keyring.

tests/conftest.py selects `MemoryKeyring` through PYTHON_KEYRING_BACKEND, so the test
process and every process it starts keep secrets in memory. `SlowKeyring` answers after
a delay, as the Secret Service does while it waits for the user to unlock a collection.
"""

from __future__ import annotations

import threading
import time

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

BACKEND = "tests.keyrings.MemoryKeyring"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.calls = 0
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            self.calls += 1
            return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self.calls += 1
            self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            self.calls += 1
            if self.items.pop((service, username), None) is None:
                raise PasswordDeleteError(username)


class SlowKeyring(MemoryKeyring):
    """Every call takes `delay` seconds, and records the thread it ran on."""

    def __init__(self, delay: float = 0.4) -> None:
        super().__init__()
        self.delay = delay
        self.threads: set[str] = set()

    def _wait(self) -> None:
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)  # the delay under test, not a synchronisation

    def get_password(self, service: str, username: str) -> str | None:
        self._wait()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._wait()
        super().delete_password(service, username)
