"""The one place where failures become one sentence for people, with the detail kept for a "details" view.

Theory of operation: services raise whatever their client raises (confluent-kafka's
KafkaException, kazoo's errors, OSError from sockets, asyncio.TimeoutError from our own
timeouts). Nothing below the panes formats messages: every boundary that shows an error
calls `describe(exc, context)`, which returns a `Problem` (kind, sentence, detail).
The kinds are few and stable (dns, refused, tls, auth, denied, timeout, kafka,
zookeeper, input, internal), so tests and the status bar can rely on them: auth is a
failed login, denied an operation the cluster's ACLs do not allow. The sentence names the
failing host or Kafka error name; the detail holds the raw message and traceback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import traceback
from typing import Any

# Kafka error names (as librdkafka and the protocol spell them) -> what they mean to a person.
KAFKA_ERROR_SENTENCES: dict[str, str] = {
    "TOPIC_ALREADY_EXISTS": "a topic with that name already exists",
    "UNKNOWN_TOPIC_OR_PART": "the topic or partition does not exist",
    "_UNKNOWN_TOPIC": "the topic does not exist",
    "_UNKNOWN_PARTITION": "the partition does not exist",
    "INVALID_PARTITIONS": "the partition count is not valid",
    "INVALID_REPLICATION_FACTOR": "the replication factor is larger than the number of brokers or not valid",
    "INVALID_REPLICA_ASSIGNMENT": "the replica assignment is not valid",
    "INVALID_CONFIG": "a configuration value is not valid",
    "INVALID_TOPIC_EXCEPTION": "the topic name is not valid",
    "POLICY_VIOLATION": "the broker's policy refused the request",
    "TOPIC_AUTHORIZATION_FAILED": "not authorised: the cluster's ACLs do not allow this user that on the topic",
    "CLUSTER_AUTHORIZATION_FAILED": "not authorised: the cluster's ACLs do not allow this user that on the cluster",
    "GROUP_AUTHORIZATION_FAILED": "not authorised: the cluster's ACLs do not allow this user that on the group",
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED": "not authorised: the cluster's ACLs do not allow this user that "
                                             "transactional id",
    "DELEGATION_TOKEN_AUTHORIZATION_FAILED": "not authorised for delegation tokens",
    "SECURITY_DISABLED": "the cluster has no authorizer (authorizer.class.name is not set), so it keeps no ACLs",
    "SASL_AUTHENTICATION_FAILED": "the user name or password was rejected",
    "UNSUPPORTED_SASL_MECHANISM": "the broker does not offer that SASL mechanism",
    "UNSUPPORTED_VERSION": "the broker does not support this request",
    "_UNSUPPORTED_FEATURE": "the broker does not support this request",
    "INVALID_REQUEST": "the broker rejected the request as not valid",
    "OFFSET_OUT_OF_RANGE": "the offset is outside the partition's range",
    "NOT_CONTROLLER": "the broker is not the controller",
    "NOT_LEADER_FOR_PARTITION": "the broker is not the partition's leader",
    "NOT_LEADER_OR_FOLLOWER": "the broker is not the partition's leader",
    "LEADER_NOT_AVAILABLE": "the partition has no leader at the moment",
    "REQUEST_TIMED_OUT": "the broker timed out handling the request",
    "KAFKA_STORAGE_ERROR": "the broker reported a storage error",
    "TOPIC_DELETION_DISABLED": "topic deletion is disabled on this cluster (delete.topic.enable=false)",
    "UNKNOWN_SERVER_ERROR": "the broker failed with an unexpected error",
    "_INVALID_ARG": "an argument is not valid",
    "NON_EMPTY_GROUP": "the group still has active members: stop them first",
    "GROUP_ID_NOT_FOUND": "the group does not exist",
    "GROUP_SUBSCRIBED_TO_TOPIC": "the group's members are subscribed to the topic: stop them first",
    "UNKNOWN_MEMBER_ID": "the group has active members, so its coordinator refuses commits from outside the group",
    "ILLEGAL_GENERATION": "the group has rebalanced since the request was made",
    "REBALANCE_IN_PROGRESS": "the group is rebalancing",
    "INVALID_GROUP_ID": "the group id is not valid",
    "COORDINATOR_NOT_AVAILABLE": "the group's coordinator is not available",
    "NOT_COORDINATOR": "the broker is no longer the group's coordinator",
    "COORDINATOR_LOAD_IN_PROGRESS": "the group's coordinator is still loading its groups",
    "OFFSET_METADATA_TOO_LARGE": "the offset metadata is larger than the broker allows",
    # producing
    "_MSG_TIMED_OUT": "the message was not delivered within message.timeout.ms",
    "MSG_SIZE_TOO_LARGE": "the message, or the batch it was sent in, is larger than the topic's max.message.bytes "
                          "allows",
    "RECORD_LIST_TOO_LARGE": "the batch is larger than the topic's max.message.bytes allows",
    "_PURGE_QUEUE": "cancelled before it was sent",
    "_PURGE_INFLIGHT": "cancelled while it was being sent",
    "_QUEUE_FULL": "the producer's queue is full",
    "INVALID_TIMESTAMP": "the timestamp is further from the broker's clock than the topic's "
                         "message.timestamp.*.max.ms allows",
    "CORRUPT_MESSAGE": "the broker found the message corrupt",
    "INVALID_RECORD": "the broker refused the record as not valid",
    "NOT_ENOUGH_REPLICAS": "fewer replicas are in sync than min.insync.replicas asks for with acks=all",
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND": "it was written but fewer replicas than min.insync.replicas confirmed it",
    "INVALID_REQUIRED_ACKS": "the broker does not accept that acks setting",
    "UNSUPPORTED_COMPRESSION_TYPE": "the broker or topic does not accept this compression",
}

KINDS = ("dns", "refused", "tls", "auth", "denied", "timeout", "unsupported", "kafka", "zookeeper", "registry",
         "input", "internal")
# Kafka errors that mean "authenticated, but the ACLs say no": kind "denied", shown per resource by the panes
DENIED = frozenset({"TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED",
                    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "DELEGATION_TOKEN_AUTHORIZATION_FAILED"})


@dataclasses.dataclass(frozen=True)
class Problem:
    """A failure as shown to a person: one sentence, and the detail one click away."""

    kind: str
    sentence: str
    detail: str = ""

    def __str__(self) -> str:
        return self.sentence


class WorkbenchError(Exception):
    """An error the workbench itself raises, already phrased for people."""

    def __init__(self, kind: str, sentence: str, detail: str = "") -> None:
        super().__init__(sentence)
        self.problem = Problem(kind, sentence, detail)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _detail(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()


def from_text(message: str, where: str = "") -> Problem | None:
    """Classify a transport-level message from librdkafka, kazoo or the OS (None when it is none of them)."""
    low = message.lower()
    at = f" {where}" if where else ""
    if any(s in low for s in ("failed to resolve", "name or service not known", "nodename nor servname",
                              "temporary failure in name resolution", "getaddrinfo")):
        return Problem("dns", _sentence(f"Cannot resolve the host name{at}: check the server address"), message)
    if "connection refused" in low:
        return Problem("refused", _sentence(f"The connection{' to' + at if at else ''} was refused: "
                                            "no server is listening there"), message)
    if any(s in low for s in ("ssl", "tls", "certificate", "handshake")):
        return Problem("tls", _sentence(f"The TLS handshake{' with' + at if at else ''} failed: "
                                        f"{_short_reason(message)}"), message)
    if any(s in low for s in ("sasl", "authentication", "invalid credentials", "authfailed")):
        return Problem("auth", _sentence(f"Authentication{' with' + at if at else ''} failed: "
                                         f"{_short_reason(message)}"), message)
    return None


def _short_reason(message: str) -> str:
    reason = message.strip().rstrip(".")
    for sep in (": ", " - "):
        if sep in reason:
            reason = reason.rsplit(sep, 1)[-1]
    return reason[:160]


def describe(exc: BaseException, context: str = "", timeout: float | None = None) -> Problem:
    """One Problem for any exception a service can raise; `context` says what was being done."""
    detail = _detail(exc)
    doing = f"{context}: " if context else ""
    if isinstance(exc, WorkbenchError):
        p = exc.problem
        return Problem(p.kind, p.sentence, p.detail or detail)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError | socket.timeout):
        within = f" within {timeout:g} s" if timeout else ""
        return Problem("timeout", _sentence(f"{doing}no answer{within}: the server may be down or unreachable"),
                       detail)
    kafka = _kafka_problem(exc, doing, timeout)
    if kafka is not None:
        return Problem(kafka.kind, kafka.sentence, detail)
    zk = _kazoo_problem(exc, doing)
    if zk is not None:
        return Problem(zk.kind, zk.sentence, detail)
    if isinstance(exc, socket.gaierror):
        return Problem("dns", _sentence(f"{doing}cannot resolve the host name ({exc.strerror})"), detail)
    if isinstance(exc, ConnectionRefusedError):
        return Problem("refused", _sentence(f"{doing}the connection was refused: no server is listening there"),
                       detail)
    if isinstance(exc, ssl.SSLError):
        return Problem("tls", _sentence(f"{doing}the TLS handshake failed: {exc.reason or exc}"), detail)
    if isinstance(exc, ConnectionError | OSError):
        return Problem("refused", _sentence(f"{doing}{exc.strerror or exc}"), detail)
    if isinstance(exc, ValueError):
        return Problem("input", _sentence(f"{doing}{exc}"), detail)
    return Problem("internal", _sentence(f"{doing}unexpected {type(exc).__name__}: {exc}"), detail)


def kafka_error_problem(err: Any, context: str = "") -> Problem:
    """One Problem for a bare KafkaError (a delivery report's), without a traceback to keep."""
    problem = _kafka_problem(err, f"{context}: " if context else "", None)
    return problem if problem is not None else Problem("internal", _sentence(f"{context}: {err}" if context else
                                                                              str(err)))


def _kafka_problem(exc: Any, doing: str, timeout: float | None) -> Problem | None:
    err: Any = None
    try:
        from confluent_kafka import KafkaError, KafkaException
    except ImportError:  # pragma: no cover - confluent-kafka is a dependency
        return None
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        err = exc.args[0]
    elif isinstance(exc, KafkaError):
        err = exc
    if err is None:
        return None
    name, text = err.name(), err.str()
    transport = from_text(text)
    if transport is not None:
        return Problem(transport.kind, _sentence(f"{doing}{transport.sentence[0].lower()}{transport.sentence[1:]}"))
    if name in ("_TIMED_OUT", "_ALL_BROKERS_DOWN", "_TRANSPORT", "REQUEST_TIMED_OUT", "_WAIT_COORD"):
        within = f" within {timeout:g} s" if timeout else ""
        if name in ("_ALL_BROKERS_DOWN", "_TRANSPORT"):
            return Problem("refused", _sentence(f"{doing}no broker can be reached ({name})"))
        return Problem("timeout", _sentence(f"{doing}no answer from the cluster{within} ({name})"))
    if name in ("SASL_AUTHENTICATION_FAILED", "_AUTHENTICATION"):
        return Problem("auth", _sentence(f"{doing}authentication failed ({name}): {_short_reason(text)}"))
    if name in ("_SSL",):
        return Problem("tls", _sentence(f"{doing}the TLS handshake failed: {_short_reason(text)}"))
    if name in ("UNSUPPORTED_VERSION", "_UNSUPPORTED_FEATURE", "INVALID_REQUEST"):
        return Problem("unsupported", _sentence(f"{doing}{KAFKA_ERROR_SENTENCES[name]} ({name})"))
    meaning = KAFKA_ERROR_SENTENCES.get(name)
    if name in DENIED:
        return Problem("denied", _sentence(f"{doing}{meaning} ({name})"))
    if meaning:
        said = "" if not text or text.startswith(("Broker:", "Local:")) else f": {_short_reason(text)}"
        return Problem("kafka", _sentence(f"{doing}{meaning} ({name}){said}"))
    return Problem("kafka", _sentence(f"{doing}the broker answered {name}: {text}"))


def kafka_error(name: str, doing: str = "") -> WorkbenchError:
    """A WorkbenchError for a Kafka error code by name (any case, as kio or librdkafka spell it)."""
    name = name.upper()
    meaning = KAFKA_ERROR_SENTENCES.get(name, "the broker refused the request")
    return WorkbenchError("denied" if name in DENIED else "kafka",
                          _sentence(f"{doing}: {meaning} ({name})" if doing else f"{meaning} ({name})"))


def _kazoo_problem(exc: BaseException, doing: str) -> Problem | None:
    try:
        from kazoo import exceptions as kz
        from kazoo.handlers.threading import KazooTimeoutError
    except ImportError:  # pragma: no cover - kazoo is a dependency
        return None
    table: list[tuple[type[BaseException], str, str]] = [
        (kz.NoNodeError, "zookeeper", "the node does not exist (it may have just been deleted)"),
        (kz.NodeExistsError, "zookeeper", "a node with that path already exists"),
        (kz.NotEmptyError, "zookeeper", "the node has children: delete them first"),
        (kz.BadVersionError, "zookeeper", "the node changed since it was read: refresh and try again"),
        (kz.NoAuthError, "auth", "ZooKeeper's ACL does not allow this"),
        (kz.AuthFailedError, "auth", "ZooKeeper rejected the credentials"),
        (kz.NoChildrenForEphemeralsError, "zookeeper", "ephemeral nodes cannot have children"),
        (kz.InvalidACLError, "input", "the ACL is not valid"),
        (kz.ConnectionLoss, "refused", "the connection to ZooKeeper was lost"),
        (kz.ConnectionClosedError, "refused", "the connection to ZooKeeper is closed"),
        (kz.SessionExpiredError, "timeout", "the ZooKeeper session expired"),
        (KazooTimeoutError, "timeout", "ZooKeeper did not answer in time: it may be down or unreachable"),
        (kz.OperationTimeoutError, "timeout", "ZooKeeper did not answer in time"),
        (kz.ZookeeperError, "zookeeper", "ZooKeeper refused the request"),
    ]
    for cls, kind, text in table:
        if isinstance(exc, cls):
            return Problem(kind, _sentence(f"{doing}{text}"))
    return None
