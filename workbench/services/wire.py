"""A small asyncio Kafka protocol client for what librdkafka's admin API lacks: ApiVersions per broker,
DescribeLogDirs and DescribeQuorum; plus a step-by-step connection probe (DNS, TCP, TLS, SASL).

Theory of operation: one connection per call, to one broker address. Frames are
`int32 size | header | body`; headers and bodies are kio entities written by kio's
writers and read by its native reader, with the header version each schema declares
(ApiVersions responses always use header v0, as Kafka specifies). SASL follows KIP-43
(SaslHandshake v1, then SaslAuthenticate v1 carrying PLAIN or SCRAM messages, RFC 5802).
Every await is bounded by the caller's timeout, so a dead broker costs at most that.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import io
import itertools
import os
import socket
import ssl
import struct
from collections.abc import Callable
from typing import Any

from kio.index import load_request_schema, load_response_schema
from kio.serial import entity_reader, entity_writer

from workbench.errors import WorkbenchError
from workbench.services.connection import ConnectionSpec

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE, DESCRIBE_LOG_DIRS, DESCRIBE_QUORUM = 18, 17, 36, 35, 55
METADATA, DESCRIBE_ACLS, CREATE_ACLS, DELETE_ACLS = 3, 29, 30, 31
ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 34, 58
MAX_FRAME = 64 * 1024 * 1024
_ids = itertools.count(1)


# Kafka's API names by key (as kafka-broker-api-versions prints them); a static table, because importing kio's
# schema modules to learn them costs ~100 ms of GIL-holding class creation.
API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr", 5: "StopReplica",
    6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator",
    11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords",
    22: "InitProducerId", 23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn",
    26: "EndTxn", 27: "WriteTxnMarkers", 28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls",
    31: "DeleteAcls", 32: "DescribeConfigs", 33: "AlterConfigs", 34: "AlterReplicaLogDirs", 35: "DescribeLogDirs",
    36: "SaslAuthenticate", 37: "CreatePartitions", 38: "CreateDelegationToken", 39: "RenewDelegationToken",
    40: "ExpireDelegationToken", 41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders",
    44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments", 46: "ListPartitionReassignments",
    47: "OffsetDelete", 48: "DescribeClientQuotas", 49: "AlterClientQuotas", 50: "DescribeUserScramCredentials",
    51: "AlterUserScramCredentials", 52: "Vote", 53: "BeginQuorumEpoch", 54: "EndQuorumEpoch", 55: "DescribeQuorum",
    56: "AlterPartition", 57: "UpdateFeatures", 58: "Envelope", 59: "FetchSnapshot", 60: "DescribeCluster",
    61: "DescribeProducers", 62: "BrokerRegistration", 63: "BrokerHeartbeat", 64: "UnregisterBroker",
    65: "DescribeTransactions", 66: "ListTransactions", 67: "AllocateProducerIds", 68: "ConsumerGroupHeartbeat",
    69: "ConsumerGroupDescribe", 70: "ControllerRegistration", 71: "GetTelemetrySubscriptions",
    72: "PushTelemetry", 73: "AssignReplicasToDirs", 74: "ListClientMetricsResources", 75: "DescribeTopicPartitions",
    76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe", 78: "ShareFetch", 79: "ShareAcknowledge",
    80: "AddRaftVoter", 81: "RemoveRaftVoter", 82: "UpdateRaftVoter", 83: "InitializeShareGroupState",
    84: "ReadShareGroupState", 85: "WriteShareGroupState", 86: "DeleteShareGroupState",
    87: "ReadShareGroupStateSummary", 88: "StreamsGroupHeartbeat", 89: "StreamsGroupDescribe",
    90: "DescribeShareGroupOffsets", 91: "AlterShareGroupOffsets", 92: "DeleteShareGroupOffsets",
}


def api_name(api_key: int) -> str:
    return API_NAMES.get(api_key, f"Unknown({api_key})")


def preload() -> None:
    """Import the schemas this module uses (blocking, ~0.1 s once): call it off the GUI thread before first use."""
    for key, versions in ((API_VERSIONS, (0,)), (DESCRIBE_LOG_DIRS, (1, 2, 3, 4)), (SASL_HANDSHAKE, (1,)),
                          (SASL_AUTHENTICATE, (1,)), (METADATA, (1,))):
        for v in versions:
            for cls in (load_request_schema(key, v), load_response_schema(key, v)):
                entity_writer(cls) if cls.__name__.endswith("Request") else entity_reader(cls)
                entity_reader(cls.__header_schema__) if not cls.__name__.endswith("Request") else \
                    entity_writer(cls.__header_schema__)


_preloaded: asyncio.Future[None] | None = None


async def ensure_preloaded() -> None:
    global _preloaded
    if _preloaded is None or (_preloaded.done() and _preloaded.exception() is not None):
        from workbench.services.threads import EXECUTOR

        _preloaded = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(EXECUTOR, preload))
    await asyncio.shield(_preloaded)


def _build(cls: type, values: dict[str, Any]) -> Any:
    """A kio entity from a dict, filling fields the dict lacks with their schema defaults where they have one."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def tls_context(spec: ConnectionSpec) -> ssl.SSLContext:
    """The client side of TLS: the chosen CA or the system's, host name checking, the client certificate if any."""
    try:
        ctx = ssl.create_default_context(cafile=spec.tls_ca_path or None)
    except (OSError, ssl.SSLError) as exc:
        raise WorkbenchError("input", f"The CA certificate {spec.tls_ca_path} cannot be read: "
                                      f"{getattr(exc, 'strerror', None) or exc}.") from exc
    ctx.check_hostname = spec.tls_verify_hostname
    try:
        if spec.tls_keystore_path:
            _load_pkcs12(ctx, spec.tls_keystore_path, spec.tls_keystore_password)
        elif spec.tls_cert_path:
            ctx.load_cert_chain(spec.tls_cert_path, spec.tls_key_path or None, spec.tls_key_password or None)
    except (OSError, ssl.SSLError, ValueError) as exc:
        what = spec.tls_keystore_path or spec.tls_cert_path
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise WorkbenchError("input", f"The client certificate {what} cannot be used: {reason} "
                                      "(wrong file or password?).") from exc
    return ctx


def _load_pkcs12(ctx: ssl.SSLContext, path: str, password: str) -> None:
    """Python's ssl reads key pairs from files only: the keystore's key goes, encrypted under a one-time password,
    into a private temporary file that is removed at once."""
    import secrets
    import tempfile

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    with open(path, "rb") as f:
        store = pkcs12.load_pkcs12(f.read(), password.encode() if password else None)
    if store.key is None or store.cert is None:
        raise ValueError("the keystore holds no private key with its certificate")
    once = secrets.token_urlsafe(24)
    pem = store.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(once.encode()))
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM)
                    for c in (store.cert.certificate, *(a.certificate for a in store.additional_certs)))
    with tempfile.TemporaryDirectory(prefix="kw-client-") as tmp:
        key_file = os.path.join(tmp, "client.pem")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        ctx.load_cert_chain(key_file, password=once)


class BrokerConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.address = "the broker"
        self._user = ""

    @classmethod
    async def open(cls, spec: ConnectionSpec, host: str, port: int, timeout: float) -> BrokerConnection:
        await ensure_preloaded()
        ctx = tls_context(spec) if spec.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host if ctx else None), timeout)
        conn = cls(reader, writer, timeout)
        conn.address = f"{host}:{port}"
        try:
            if spec.sasl_mechanism:
                await conn.authenticate(spec)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.writer.close()

    async def request(self, api_key: int, version: int, body: dict[str, Any]) -> Any:
        req_cls = load_request_schema(api_key, version)
        resp_cls = load_response_schema(api_key, version)
        cid = next(_ids) & 0x7FFFFFFF
        header_cls = req_cls.__header_schema__
        header = _build(header_cls, {"request_api_key": api_key, "request_api_version": version,
                                     "correlation_id": cid, "client_id": "kafka-workbench"})
        buf = io.BytesIO()
        entity_writer(header_cls)(buf, header)
        entity_writer(req_cls)(buf, _build(req_cls, body))
        payload = buf.getvalue()
        self.writer.write(struct.pack(">i", len(payload)) + payload)
        try:
            await asyncio.wait_for(self.writer.drain(), self.timeout)
        except ConnectionResetError:
            stored = self.reader.exception()  # the TLS alert that ended the connection says why
            if isinstance(stored, ssl.SSLError):
                raise stored from None
            raise
        head = await asyncio.wait_for(self.reader.readexactly(4), self.timeout)
        if head[:2] == b"\x15\x03":  # a TLS alert record: it expected a TLS handshake
            raise WorkbenchError("tls", f"{self.address} is a TLS listener: turn TLS on in the profile (security "
                                        "protocol SSL or SASL_SSL).")
        if head in (b"HTTP", b"<htm", b"<!DO"):
            raise WorkbenchError("refused", f"{self.address} answered in HTTP, not the Kafka protocol: it is a web "
                                            "server or proxy, not a Kafka listener.")
        size = struct.unpack(">i", head)[0]
        if not 0 < size <= MAX_FRAME:
            raise WorkbenchError("refused", f"{self.address} does not speak the Kafka protocol (it sent a frame "
                                            f"of {size} bytes).")
        frame = await asyncio.wait_for(self.reader.readexactly(size), self.timeout)
        if api_key == API_VERSIONS:
            (got_cid,), used = struct.unpack_from(">i", frame), 4  # ApiVersions: response header v0 always
        else:
            resp_header, used = entity_reader(resp_cls.__header_schema__)(frame, 0)
            got_cid = resp_header.correlation_id
        if got_cid != cid:
            raise WorkbenchError("internal", f"The broker answered correlation id {got_cid}, expected {cid}.")
        body_entity, _ = entity_reader(resp_cls)(frame, used)
        return body_entity

    async def authenticate(self, spec: ConnectionSpec) -> None:
        mech = spec.sasl_mechanism
        try:
            hs = await self.request(SASL_HANDSHAKE, 1, {"mechanism": mech})
        except asyncio.IncompleteReadError as exc:
            raise WorkbenchError("auth", f"{self.address} closed the connection at the SASL handshake.") from exc
        if int(hs.error_code) == ILLEGAL_SASL_STATE:
            raise WorkbenchError("auth", f"{self.address} is not a SASL listener: turn SASL off in the profile (or "
                                         "use the broker's SASL port).")
        if int(hs.error_code) != 0:
            raise WorkbenchError("auth", f"SASL mechanism {mech} is not enabled on {self.address} (it offers "
                                         f"{', '.join(hs.mechanisms) or 'none'}).")
        self._user = spec.sasl_username
        if mech == "PLAIN":
            await self._sasl_step(f"\0{spec.sasl_username}\0{spec.sasl_password}".encode())
        elif mech.startswith("SCRAM-"):
            await self._scram(spec, hashlib.sha256 if mech == "SCRAM-SHA-256" else hashlib.sha512)
        else:
            raise WorkbenchError("input", f"SASL mechanism {mech} is not supported.")

    async def _sasl_step(self, data: bytes) -> bytes:
        try:
            resp = await self.request(SASL_AUTHENTICATE, 1, {"auth_bytes": data})
        except asyncio.IncompleteReadError as exc:
            raise WorkbenchError("auth", f"{self.address} closed the connection during SASL authentication.") \
                from exc
        if int(resp.error_code) == SASL_AUTHENTICATION_FAILED:
            said = (resp.error_message or "").rstrip(".")
            raise WorkbenchError("auth", f"{self.address} rejected the user name or password of {self._user} "
                                         f"(SASL_AUTHENTICATION_FAILED: {said}).")
        if int(resp.error_code) != 0:
            raise WorkbenchError("auth", f"SASL authentication with {self.address} failed: "
                                         f"{resp.error_message or resp.error_code.name}.")
        return bytes(resp.auth_bytes)

    async def _scram(self, spec: ConnectionSpec, digest: Any) -> None:
        nonce = base64.b64encode(os.urandom(18)).decode()
        user = spec.sasl_username.replace("=", "=3D").replace(",", "=2C")
        first_bare = f"n={user},r={nonce}"
        server_first = (await self._sasl_step(f"n,,{first_bare}".encode())).decode()
        fields = dict(item.split("=", 1) for item in server_first.split(","))
        if not fields.get("r", "").startswith(nonce):
            raise WorkbenchError("auth", "Authentication failed: the server's SCRAM nonce does not match.")
        salted = hashlib.pbkdf2_hmac(digest().name, spec.sasl_password.encode(), base64.b64decode(fields["s"]),
                                     int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", digest).digest()
        stored_key = digest(client_key).digest()
        final_bare = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.new(stored_key, auth_message, digest).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
        server_final = (await self._sasl_step(f"{final_bare},p={proof}".encode())).decode()
        server_key = hmac.new(salted, b"Server Key", digest).digest()
        expected = base64.b64encode(hmac.new(server_key, auth_message, digest).digest()).decode()
        if server_final != f"v={expected}":
            raise WorkbenchError("auth", "Authentication failed: the server's SCRAM signature is wrong.")


@dataclasses.dataclass(frozen=True)
class ApiVersionRange:
    api_key: int
    name: str
    min_version: int
    max_version: int


async def api_versions(spec: ConnectionSpec, host: str, port: int, timeout: float) -> list[ApiVersionRange]:
    conn = await BrokerConnection.open(spec, host, port, timeout)
    try:
        resp = await conn.request(API_VERSIONS, 0, {})
    finally:
        conn.close()
    if int(resp.error_code) != 0:
        raise WorkbenchError("kafka", f"The broker answered ApiVersions with {resp.error_code.name}.")
    return [ApiVersionRange(int(a.api_key), api_name(int(a.api_key)), int(a.min_version), int(a.max_version))
            for a in resp.api_keys]


def pick_version(ranges: list[ApiVersionRange], api_key: int, lo: int, hi: int) -> int | None:
    for r in ranges:
        if r.api_key == api_key:
            best = min(hi, r.max_version)
            return best if best >= max(lo, r.min_version) else None
    return None


def nested_request_type(api_key: int, version: int, name: str) -> Any:
    """A nested entity class of a request schema (e.g. DescribeLogDirs' DescribableLogDirTopic)."""
    import importlib

    return getattr(importlib.import_module(load_request_schema(api_key, version).__module__), name)


async def request_with_versions(spec: ConnectionSpec, host: str, port: int, timeout: float, api_key: int,
                                lo: int, hi: int, body: Callable[[int], dict[str, Any]]) -> Any:
    """Send one request at the highest version both sides support; WorkbenchError('unsupported') if none."""
    conn = await BrokerConnection.open(spec, host, port, timeout)
    try:
        resp = await conn.request(API_VERSIONS, 0, {})
        ranges = [ApiVersionRange(int(a.api_key), "", int(a.min_version), int(a.max_version))
                  for a in resp.api_keys]
        version = pick_version(ranges, api_key, lo, hi)
        if version is None:
            raise WorkbenchError("unsupported", f"The broker at {host}:{port} does not support "
                                                f"{api_name(api_key)} (API key {api_key}).")
        return await conn.request(api_key, version, body(version))
    finally:
        conn.close()


CERTIFICATE_REFUSED = frozenset({"TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_BAD_CERTIFICATE",
                                 "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "TLSV1_ALERT_UNKNOWN_CA"})
NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                     "UNEXPECTED_EOF_WHILE_READING", "HTTP_REQUEST"})


def tls_problem(exc: ssl.SSLError | ConnectionError, spec: ConnectionSpec, where: str) -> WorkbenchError:
    """Why a TLS handshake failed, in one sentence naming what to change."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code == 62 or "hostname mismatch" in str(exc.verify_message).lower():
            return WorkbenchError("tls", f"The TLS handshake with {where} failed: the broker's certificate is not "
                                         f"for {where.rsplit(':', 1)[0]} (host name mismatch).")
        trust = f"the CA certificate {spec.tls_ca_path}" if spec.tls_ca_path else "the system's trusted CAs"
        return WorkbenchError("tls", f"The TLS handshake with {where} failed: the broker's certificate is not "
                                     f"trusted by {trust} ({exc.verify_message}).")
    reason = str(getattr(exc, "reason", "") or "")
    if reason in CERTIFICATE_REFUSED:
        if not (spec.tls_cert_path or spec.tls_keystore_path):
            return WorkbenchError("tls", f"The TLS handshake with {where} failed: the broker requires a client "
                                         "certificate (mutual TLS); choose one in the profile.")
        return WorkbenchError("tls", f"The TLS handshake with {where} failed: the broker refused the client "
                                     "certificate (it is not signed by a CA the broker trusts).")
    if reason in NOT_TLS or isinstance(exc, ConnectionError | ssl.SSLEOFError):
        return WorkbenchError("tls", f"The TLS handshake with {where} failed: the port does not speak TLS (a "
                                     "PLAINTEXT or SASL_PLAINTEXT listener?); turn TLS off in the profile.")
    return WorkbenchError("tls", f"The TLS handshake with {where} failed: {reason or exc}.")


async def probe(spec: ConnectionSpec, timeout: float) -> str:
    """Walk DNS, TCP, TLS, SASL and ApiVersions against the bootstrap servers in turn until one answers (as a
    client does: a cluster whose first broker is down still works); one sentence either way. When none answers,
    the first one's problem is raised (TLS and authentication failures at once: they are the profile's)."""
    addresses = spec.addresses()
    first: WorkbenchError | None = None
    for host, port in addresses:  # bounded: one attempt per bootstrap server
        try:
            return await _probe_one(spec, host, port, timeout)
        except WorkbenchError as exc:
            if exc.problem.kind in ("tls", "auth") or len(addresses) == 1:
                raise
            first = first or exc
    assert first is not None
    p = first.problem
    raise WorkbenchError(p.kind, f"None of the {len(addresses)} bootstrap servers answered; the first: {p.sentence}",
                         p.detail) from first


async def _probe_one(spec: ConnectionSpec, host: str, port: int, timeout: float) -> str:
    where = f"{host}:{port}"
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    except socket.gaierror as exc:
        raise WorkbenchError("dns", f"Cannot resolve the host name {host}: {exc.strerror}.") from exc
    except TimeoutError as exc:
        raise WorkbenchError("timeout", f"Resolving {host} took longer than {timeout:g} s.") from exc
    step = "connect"
    try:
        conn = await BrokerConnection.open(spec, host, port, timeout)
        try:
            step = "api-versions"
            resp = await conn.request(API_VERSIONS, 0, {})
            if int(resp.error_code) != 0:
                raise WorkbenchError("kafka", f"The broker answered ApiVersions with {resp.error_code.name}.")
            count = len(resp.api_keys)
            step = "metadata"  # the first request a listener refuses when it wants SASL (or TLS) first
            await conn.request(METADATA, 1, {"topics": ()})
        finally:
            conn.close()
    except ConnectionRefusedError as exc:
        raise WorkbenchError("refused", f"{where} refused the connection: no broker is listening there.") from exc
    except (ssl.SSLError, ssl.CertificateError) as exc:
        raise tls_problem(exc, spec, where) from exc
    except TimeoutError as exc:
        raise WorkbenchError("timeout", f"{where} did not answer within {timeout:g} s.") from exc
    except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
        if step == "connect" and spec.tls:
            raise tls_problem(ConnectionResetError(), spec, where) from exc
        if step == "metadata" and not spec.sasl_mechanism:
            raise WorkbenchError("auth", f"{where} closed the connection after the first request: the listener "
                                         "requires SASL authentication; choose a SASL mechanism in the profile.") \
                from exc
        hint = " (is it a TLS listener?)" if not spec.tls else ""
        raise WorkbenchError("refused", f"{where} closed the connection{hint}.") from exc
    except OSError as exc:
        raise WorkbenchError("refused", f"Cannot connect to {where}: {exc.strerror or exc}.") from exc
    auth = f" as {spec.sasl_username} ({spec.sasl_mechanism})" if spec.sasl_mechanism else ""
    tls = " over TLS" if spec.tls else ""
    return f"Connected to {where}{tls}{auth}: the broker supports {count} APIs."
