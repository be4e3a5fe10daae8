"""The Schema Registry: its settings from a profile, confluent-kafka's client made from them, its failures in one
sentence, and the calls the schemas pane makes.

Theory of operation: every call here blocks (confluent-kafka's SchemaRegistryClient is
synchronous HTTP), so `RegistryService` runs each one in the worker threads and turns
any failure into a WorkbenchError of kind "registry" whose sentence says what failed
(refused, DNS, TLS, credentials, timeout, or the registry's own answer with its reason).
A registry failure is never a Kafka transport failure: it does not mark the connection
as down. `RegistrySettings` is plain, picklable data: the scan worker process gets it
with its job and makes its own client (schemas are then cached per id in that process).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from confluent_kafka.schema_registry import (
    RegisteredSchema,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)

from workbench.errors import WorkbenchError, from_text
from workbench.services.connection import ConnectionSpec
from workbench.services.threads import EXECUTOR

R = TypeVar("R")
SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")
COMPATIBILITY_LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
                        "FULL_TRANSITIVE", "NONE")


@dataclasses.dataclass(frozen=True)
class RegistrySettings:
    """Where the registry is and how to log in; `client_conf()` is confluent-kafka's configuration for it."""

    url: str
    auth: str = ""  # "", "basic", "bearer"
    username: str = ""
    password: str = ""
    token: str = ""
    ca_path: str = ""
    timeout: float = 10.0

    @classmethod
    def of(cls, spec: ConnectionSpec, timeout: float = 10.0) -> RegistrySettings | None:
        if not spec.registry_url.strip():
            return None
        return cls(spec.registry_url.strip(), spec.registry_auth, spec.registry_username, spec.registry_password,
                   spec.registry_token, spec.registry_ca_path, timeout)

    def client_conf(self) -> dict[str, Any]:
        # no retries with back-off: a scan asks for a schema once and shows the messages raw with the reason when the
        # registry does not answer, instead of waiting seconds per schema
        conf: dict[str, Any] = {"url": self.url, "timeout": self.timeout, "max.retries": 0,
                                "retries.wait.ms": 100, "retries.max.wait.ms": 500}
        if self.ca_path:
            conf["ssl.ca.location"] = self.ca_path
        if self.auth == "basic":
            conf["basic.auth.user.info"] = f"{self.username}:{self.password}"
        elif self.auth == "bearer":
            conf["bearer.auth.credentials.source"] = "STATIC"
            conf["bearer.auth.token"] = self.token
            conf["bearer.auth.logical.cluster"] = self.username  # Confluent Cloud's logical cluster; others ignore it
        return conf

    def client(self) -> SchemaRegistryClient:
        try:
            return SchemaRegistryClient(self.client_conf())
        except (ValueError, TypeError, OSError) as exc:
            raise WorkbenchError("registry", f"The Schema Registry settings are not valid: {exc}.") from exc


def registry_error(exc: BaseException, doing: str, url: str = "") -> WorkbenchError:
    """One sentence for a failed registry call: what was being done and what failed."""
    if isinstance(exc, WorkbenchError):
        return exc
    at = f" at {url}" if url else ""
    if isinstance(exc, SchemaRegistryError):
        status, message = exc.http_status_code, (exc.error_message or "").strip().rstrip(".")
        if status == 401:
            why = f"the registry{at} rejected the credentials (HTTP 401)"
        elif status == 403:
            why = f"the registry{at} does not allow this user to do that (HTTP 403)"
        elif status == 404:
            why = message or "not found (HTTP 404)"
        elif status == 409:
            why = f"the registry refused it as incompatible: {message}"
        elif status == 422:
            why = f"the registry refused the schema as not valid: {message}"
        else:
            why = f"the registry answered HTTP {status}: {message}"
        return WorkbenchError("registry", f"{doing}: {why}.", str(exc))
    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    if "timeout" in low or "timed out" in low:
        return WorkbenchError("registry", f"{doing}: the Schema Registry{at} did not answer in time.", text)
    transport = from_text(text, f"the Schema Registry{at}")
    if transport is not None:
        sentence = transport.sentence.rstrip(".")
        return WorkbenchError("registry", f"{doing}: {sentence[0].lower()}{sentence[1:]}.", text)
    if "connecterror" in low or "connection" in low:
        return WorkbenchError("registry", f"{doing}: the Schema Registry{at} cannot be reached ({exc}).", text)
    if isinstance(exc, ValueError | TypeError | KeyError):
        return WorkbenchError("registry", f"{doing}: {exc}.", text)
    return WorkbenchError("registry", f"{doing}: unexpected {type(exc).__name__}: {exc}.", text)


@dataclasses.dataclass(frozen=True)
class SubjectInfo:
    name: str
    versions: tuple[int, ...]
    schema_type: str
    compatibility: str  # the subject's own level, or "" when it follows the global one


@dataclasses.dataclass(frozen=True)
class SchemaVersion:
    subject: str
    version: int
    schema_id: int
    schema_type: str
    text: str
    references: tuple[tuple[str, str, int], ...]  # (name, subject, version)

    @property
    def pretty(self) -> str:
        return pretty_schema(self.schema_type, self.text)


@dataclasses.dataclass(frozen=True)
class CompatibilityResult:
    compatible: bool
    messages: tuple[str, ...]

    @property
    def sentence(self) -> str:
        if self.compatible:
            return "Compatible: the registry would accept it."
        why = "; ".join(self.messages) if self.messages else "the registry gave no reason"
        return f"Incompatible: {why}"


def pretty_schema(schema_type: str, text: str) -> str:
    """Avro and JSON Schema indented; Protobuf as given (a .proto text, or the serialised descriptor made readable)."""
    if schema_type in ("AVRO", "JSON", ""):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    from workbench.services.schema_codec import proto_text
    return proto_text(text)


def parse_references(text: str) -> list[SchemaReference]:
    """References typed one a line as `name subject version`."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[2].isdigit():
            raise WorkbenchError("input", f"Reference line {number} must be 'name subject version', not {line!r}.")
        out.append(SchemaReference(parts[0], parts[1], int(parts[2])))
    return out


class RegistryService:
    """The registry calls of one connection; each runs in a worker thread and fails with one sentence."""

    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        self._client: SchemaRegistryClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> SchemaRegistryClient:
        with self._lock:
            if self._client is None:
                self._client = self.settings.client()
            return self._client

    async def _call(self, doing: str, fn: Callable[..., R], *args: Any) -> R:
        def run() -> R:
            try:
                return fn(*args)
            except Exception as exc:
                raise registry_error(exc, doing, self.settings.url) from exc
        return await asyncio.get_running_loop().run_in_executor(EXECUTOR, run)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- reading ----------------------------------------------------------------------------

    async def check(self) -> str:
        def run() -> str:
            subjects = self.client.get_subjects()
            level = self.client.get_compatibility()
            return (f"The Schema Registry at {self.settings.url} answers: {len(subjects)} subject"
                    f"{'s' if len(subjects) != 1 else ''}, global compatibility {level}.")
        return await self._call("Testing the Schema Registry", run)

    def _subject(self, name: str) -> SubjectInfo:
        c = self.client
        versions = tuple(sorted(c.get_versions(name)))
        latest = c.get_version(name, versions[-1]) if versions else None
        return SubjectInfo(name, versions, (latest.schema.schema_type or "AVRO") if latest else "",
                           self._own_compatibility(name))

    def _own_compatibility(self, name: str) -> str:
        try:
            return str(self.client.get_compatibility(name))
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                return ""
            raise

    async def subjects(self) -> tuple[list[SubjectInfo], str]:
        """Every subject with its versions, type (of the latest) and own compatibility; and the global level."""
        def run() -> tuple[list[SubjectInfo], str]:
            names = sorted(self.client.get_subjects())
            return [self._subject(n) for n in names], str(self.client.get_compatibility())
        return await self._call("Listing the registry's subjects", run)

    def version_now(self, subject: str, version: int | str) -> SchemaVersion:
        """Blocking: one version of a subject ("latest" for the newest)."""
        if version == "latest":
            rs: RegisteredSchema = self.client.get_latest_version(subject)
        else:
            rs = self.client.get_version(subject, int(version))
        s = rs.schema
        refs = tuple((r.name or "", r.subject or "", int(r.version or 0)) for r in (s.references or []))
        return SchemaVersion(subject, int(rs.version or 0), int(rs.schema_id or 0), s.schema_type or "AVRO",
                             s.schema_str or "", refs)

    async def version(self, subject: str, version: int | str) -> SchemaVersion:
        return await self._call(f"Reading {subject} version {version}", self.version_now, subject, version)

    async def versions(self, subject: str, versions: list[int]) -> list[SchemaVersion]:
        def run() -> list[SchemaVersion]:
            return [self.version_now(subject, v) for v in versions]
        return await self._call(f"Reading the versions of {subject}", run)

    # -- changing ---------------------------------------------------------------------------

    async def check_compatibility(self, subject: str, schema: Schema) -> CompatibilityResult:
        """Whether `schema` may be registered under `subject` (against the latest version), with the registry's
        reasons when not. A subject without versions accepts anything."""
        def run() -> CompatibilityResult:
            try:
                answer = self.client._rest_client.post(
                    f"compatibility/subjects/{quote(subject, safe='')}/versions/latest?verbose=true",
                    body=schema.to_dict())
            except SchemaRegistryError as exc:
                if exc.http_status_code == 404 and exc.error_code in (40401, 40402):
                    return CompatibilityResult(True, ("the subject has no versions yet",))
                raise
            messages = answer.get("messages") or []
            return CompatibilityResult(bool(answer.get("is_compatible")), tuple(str(m) for m in messages))
        return await self._call(f"Checking the schema against {subject}", run)

    async def register(self, subject: str, schema: Schema) -> int:
        def run() -> int:
            return int(self.client.register_schema(subject, schema))
        return await self._call(f"Registering the schema under {subject}", run)

    async def set_compatibility(self, subject: str | None, level: str) -> str:
        if level not in COMPATIBILITY_LEVELS:
            raise WorkbenchError("input", f"Unknown compatibility level {level!r}.")
        where = subject or "the registry (global)"
        return await self._call(f"Setting the compatibility of {where}",
                                lambda: str(self.client.set_compatibility(subject, level)))

    async def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        def run() -> list[int]:
            deleted = self.client.delete_subject(subject, permanent=False)
            if permanent:
                deleted = self.client.delete_subject(subject, permanent=True)
            return list(deleted)
        return await self._call(f"Deleting {subject}", run)

    async def delete_version(self, subject: str, version: int, permanent: bool) -> int:
        def run() -> int:
            self.client.delete_version(subject, version, permanent=False)
            if permanent:
                self.client.delete_version(subject, version, permanent=True)
            return version
        return await self._call(f"Deleting {subject} version {version}", run)
