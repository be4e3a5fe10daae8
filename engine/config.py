"""Broker and topic configuration, each property declared once with Kafka's name, type and default."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import platformdirs


class ConfigError(ValueError):
    """A property that is unknown or whose value is invalid; the message names it."""


def _bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("true", "false"):
        return s == "true"
    raise ValueError("expected true or false")


def _int(v: str) -> int:
    return int(v.strip())


def _str(v: str) -> str:
    return v.strip()


def _float(v: str) -> float:
    return float(v.strip())


def _list(v: str) -> list[str]:
    return [p.strip() for p in v.split(",") if p.strip()]


@dataclasses.dataclass(frozen=True)
class Prop:
    name: str
    parse: Callable[[str], Any]
    default: str | None
    doc: str
    check: Callable[[Any], str | None] = lambda _v: None
    scope: str = "broker"  # "broker" or "both" (topic override exists)
    topic_name: str | None = None  # the topic-level config this broker property is the default of
    sensitive: bool = False
    read_only: bool = True


def _at_least(n: int) -> Callable[[Any], str | None]:
    return lambda v: None if v >= n else f"must be at least {n}"


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}"


def _listeners(v: list[str]) -> str | None:
    for item in v:
        if "://" not in item:
            return f"{item!r} is not NAME://host:port"
        _, _, hostport = item.partition("://")
        if ":" not in hostport or not hostport.rsplit(":", 1)[1].isdigit():
            return f"{item!r} has no numeric port"
    return None


def _protocol_map(v: list[str]) -> str | None:
    for item in v:
        name, sep, proto = item.partition(":")
        if not sep or not name.strip():
            return f"{item!r} is not LISTENER_NAME:SECURITY_PROTOCOL"
        if proto.strip().upper() not in SECURITY_PROTOCOLS:
            return f"{proto.strip()!r} is not one of {', '.join(SECURITY_PROTOCOLS)}"
    return None


DEFAULT_DATA_DIR = str(Path(platformdirs.user_data_dir("kafka-workbench")) / "broker")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")

# Listeners, TLS, SASL and authorization (engine/security). The ssl.*, sasl.enabled.mechanisms and
# connections.max.reauth.ms properties may also be set per listener, as in Kafka:
# listener.name.<listener>.<property>, and each SASL mechanism's JAAS config is
# listener.name.<listener>.<mechanism>.sasl.jaas.config.
SECURITY_PROPS: tuple[Prop, ...] = (
    Prop("listener.security.protocol.map", _list, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", "The security protocol of each listener name, as NAME:PROTOCOL pairs.", _protocol_map),
    Prop("ssl.keystore.type", _str, "JKS", "PEM or PKCS12 (a JKS-typed file that is really PKCS12 is read as such).", _one_of("PEM", "PKCS12", "JKS")),
    Prop("ssl.keystore.location", _str, None, "The broker's key and certificate chain: a PEM file or a PKCS12 keystore."),
    Prop("ssl.keystore.password", _str, None, "Password of a PKCS12 keystore.", sensitive=True),
    Prop("ssl.key.password", _str, None, "Password of the private key (an encrypted PEM key, or the key entry of a keystore).", sensitive=True),
    Prop("ssl.keystore.key", _str, None, "The private key in PEM, given inline (ssl.keystore.type=PEM).", sensitive=True),
    Prop("ssl.keystore.certificate.chain", _str, None, "The certificate chain in PEM, given inline (ssl.keystore.type=PEM)."),
    Prop("ssl.truststore.type", _str, "JKS", "PEM or PKCS12: the certificates trusted to sign client certificates.", _one_of("PEM", "PKCS12", "JKS")),
    Prop("ssl.truststore.location", _str, None, "The trusted certificates: a PEM file or a PKCS12 truststore."),
    Prop("ssl.truststore.password", _str, None, "Password of a PKCS12 truststore.", sensitive=True),
    Prop("ssl.truststore.certificates", _str, None, "Trusted certificates in PEM, given inline (ssl.truststore.type=PEM)."),
    Prop("ssl.client.auth", _str, "none", "Client certificates: required, requested or none.", _one_of("required", "requested", "none")),
    Prop("ssl.enabled.protocols", _list, "TLSv1.2,TLSv1.3", "TLS versions accepted.", lambda v: None if v and set(v) <= {"TLSv1.2", "TLSv1.3"} else "only TLSv1.2 and TLSv1.3 are supported"),
    Prop("ssl.protocol", _str, "TLSv1.3", "Accepted for compatibility; ssl.enabled.protocols decides."),
    Prop("ssl.cipher.suites", _list, "", "OpenSSL cipher names for TLSv1.2; empty keeps the defaults."),
    Prop("ssl.endpoint.identification.algorithm", _str, "https", "Accepted for compatibility (a single broker makes no TLS connections)."),
    Prop("ssl.principal.mapping.rules", _str, "DEFAULT", "Rules mapping a client certificate's distinguished name to a user name, as in Kafka."),
    Prop("sasl.enabled.mechanisms", _list, "GSSAPI", "SASL mechanisms of SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512."),
    Prop("sasl.mechanism.inter.broker.protocol", _str, "GSSAPI", "Accepted for compatibility (a single broker has no inter-broker connections)."),
    Prop("sasl.server.max.receive.size", _int, "524288", "Largest frame accepted before authentication completes.", _at_least(1)),
    Prop("connections.max.reauth.ms", _int, "0", "Session lifetime after SASL authentication; clients re-authenticate before it ends. 0 turns it off.", _at_least(0)),
    Prop("connection.failed.authentication.delay.ms", _int, "100", "Delay before answering (and closing) a failed authentication.", _at_least(0)),
    Prop("authorizer.class.name", _str, "", "kafka.security.authorizer.AclAuthorizer or org.apache.kafka.metadata.authorizer.StandardAuthorizer turn on ACLs; empty allows everything."),
    Prop("super.users", _str, "", "Principals allowed everything, e.g. User:admin;User:CN=broker."),
    Prop("allow.everyone.if.no.acl.found", _bool, "false", "Allow a request on a resource that has no ACLs at all."),
    Prop("principal.builder.class", _str, "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder", "Only Kafka's default principal builder is supported.", _one_of("org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder")),
)
# Properties that may be set per listener (listener.name.<listener>.<property>).
LISTENER_SCOPED = frozenset(p.name for p in SECURITY_PROPS if p.name.startswith("ssl.")) | {
    "sasl.enabled.mechanisms", "connections.max.reauth.ms", "sasl.server.max.receive.size"}
SASL_MECHANISM_PROPS = ("sasl.jaas.config", "connections.max.reauth.ms")

BROKER_PROPS: tuple[Prop, ...] = (
    Prop("listeners", _list, "PLAINTEXT://127.0.0.1:9092", "Listeners as NAME://host:port, comma-separated.", _listeners),
    Prop("advertised.listeners", _list, None, "Addresses given to clients in Metadata; defaults to listeners.", _listeners),
    Prop("log.dirs", _str, DEFAULT_DATA_DIR, "Directory holding the partition logs and the broker's metadata."),
    Prop("log.dir", _str, None, "Alias of log.dirs (log.dirs wins)."),
    Prop("node.id", _int, "1", "This broker's id.", _at_least(0)),
    Prop("broker.id", _int, None, "Alias of node.id (node.id wins).", _at_least(0)),
    Prop("broker.rack", _str, None, "Rack of this broker, reported in Metadata."),
    Prop("cluster.id", _str, None, "Cluster id; generated and persisted on first start when not given."),
    Prop("num.partitions", _int, "1", "Partitions of an auto-created topic, and of CreateTopics with -1.", _at_least(1)),
    Prop("default.replication.factor", _int, "1", "Replication factor of auto-created topics.", _at_least(1)),
    Prop("auto.create.topics.enable", _bool, "true", "Create a topic when Metadata asks for an unknown one and allows it."),
    Prop("delete.topic.enable", _bool, "true", "Allow DeleteTopics."),
    Prop("message.max.bytes", _int, "1048588", "Largest record batch accepted.", _at_least(0), topic_name="max.message.bytes", read_only=False),
    Prop("socket.request.max.bytes", _int, "104857600", "Largest request frame accepted; larger closes the connection.", _at_least(1)),
    Prop("log.segment.bytes", _int, "1073741824", "Segment size before a roll.", _at_least(14), topic_name="segment.bytes", read_only=False),
    Prop("log.roll.ms", _int, None, "Segment age before a roll (ms).", _at_least(1), topic_name="segment.ms", read_only=False),
    Prop("log.roll.hours", _int, "168", "Segment age before a roll (hours).", _at_least(1)),
    Prop("log.retention.ms", _int, None, "Retention by time (ms); -1 keeps forever.", topic_name="retention.ms", read_only=False),
    Prop("log.retention.minutes", _int, None, "Retention by time (minutes)."),
    Prop("log.retention.hours", _int, "168", "Retention by time (hours)."),
    Prop("log.retention.bytes", _int, "-1", "Retention by partition size; -1 is unlimited.", topic_name="retention.bytes", read_only=False),
    Prop("log.retention.check.interval.ms", _int, "300000", "How often retention runs.", _at_least(1)),
    Prop("log.index.interval.bytes", _int, "4096", "Bytes of log between offset index entries.", _at_least(0), topic_name="index.interval.bytes", read_only=False),
    Prop("log.index.size.max.bytes", _int, "10485760", "Largest offset index of a segment.", _at_least(4), topic_name="segment.index.bytes", read_only=False),
    Prop("log.flush.interval.messages", _int, "9223372036854775807", "Messages appended to a partition before it is flushed (fsync).", _at_least(1), topic_name="flush.messages", read_only=False),
    Prop("log.flush.interval.ms", _int, None, "Longest time data stays unflushed; defaults to log.flush.scheduler.interval.ms.", _at_least(0), topic_name="flush.ms", read_only=False),
    Prop("log.flush.scheduler.interval.ms", _int, "9223372036854775807", "How often the flusher looks for logs due by flush.ms.", _at_least(1)),
    Prop("log.flush.offset.checkpoint.interval.ms", _int, "60000", "How often recovery points are written to recovery-point-offset-checkpoint.", _at_least(0)),
    Prop("log.message.timestamp.type", _str, "CreateTime", "CreateTime or LogAppendTime.", _one_of("CreateTime", "LogAppendTime"), topic_name="message.timestamp.type", read_only=False),
    Prop("log.cleanup.policy", _str, "delete", "delete or compact.", _one_of("delete", "compact", "compact,delete", "delete,compact"), topic_name="cleanup.policy", read_only=False),
    Prop("log.cleaner.enable", _bool, "true", "Run the log cleaner (compaction of cleanup.policy=compact topics)."),
    Prop("log.cleaner.threads", _int, "1", "Cleaner threads (one cleans at a time here).", _at_least(0)),
    Prop("log.cleaner.backoff.ms", _int, "15000", "How long the cleaner waits when no log needs cleaning.", _at_least(0)),
    Prop("log.cleaner.min.cleanable.ratio", _float, "0.5", "Dirty ratio a log needs before it is cleaned.", lambda v: None if 0 <= v <= 1 else "must be between 0 and 1", topic_name="min.cleanable.dirty.ratio", read_only=False),
    Prop("log.cleaner.delete.retention.ms", _int, "86400000", "How long tombstones are kept on compacted topics.", _at_least(0), topic_name="delete.retention.ms", read_only=False),
    Prop("log.cleaner.min.compaction.lag.ms", _int, "0", "Minimum age of a record before it may be compacted.", _at_least(0), topic_name="min.compaction.lag.ms", read_only=False),
    Prop("log.cleaner.max.compaction.lag.ms", _int, "9223372036854775807", "Maximum time a record stays uncompacted.", _at_least(1), topic_name="max.compaction.lag.ms", read_only=False),
    Prop("log.cleaner.dedupe.buffer.size", _int, "134217728", "Memory for the cleaner's key map (24 bytes a key, as Kafka counts).", _at_least(1024)),
    Prop("log.cleaner.io.max.bytes.per.second", _float, "1.7976931348623157E308", "Throttle of the cleaner's reads.", lambda v: None if v > 0 else "must be positive"),
    Prop("offsets.topic.segment.bytes", _int, "104857600", "Segment size of __consumer_offsets.", _at_least(1)),
    Prop("min.insync.replicas", _int, "1", "Replicas that must be in sync for acks=all.", _at_least(1), topic_name="min.insync.replicas", read_only=False),
    Prop("compression.type", _str, "producer", "Compression of stored batches; only producer is supported.", _one_of("producer"), topic_name="compression.type"),
    Prop("group.initial.rebalance.delay.ms", _int, "3000", "Delay of the first rebalance of an empty group.", _at_least(0)),
    Prop("group.min.session.timeout.ms", _int, "6000", "Smallest session timeout a member may ask for.", _at_least(0)),
    Prop("group.max.session.timeout.ms", _int, "1800000", "Largest session timeout a member may ask for.", _at_least(0)),
    Prop("offsets.topic.num.partitions", _int, "50", "Partitions of __consumer_offsets.", _at_least(1)),
    Prop("offsets.topic.replication.factor", _int, "1", "Replication factor of __consumer_offsets.", _at_least(1)),
    Prop("offsets.retention.minutes", _int, "10080", "How long committed offsets of an empty group are kept.", _at_least(1)),
    Prop("offsets.retention.check.interval.ms", _int, "600000", "How often expired offsets are removed.", _at_least(1)),
    Prop("producer.id.expiration.ms", _int, "86400000", "How long a partition remembers an idle producer's sequence.", _at_least(1)),
    Prop("transaction.state.log.num.partitions", _int, "50", "Partitions of __transaction_state.", _at_least(1)),
    Prop("transaction.state.log.segment.bytes", _int, "104857600", "Segment size of __transaction_state.", _at_least(14)),
    Prop("transaction.max.timeout.ms", _int, "900000", "Largest transaction.timeout.ms a producer may ask for.", _at_least(1)),
    Prop("transactional.id.expiration.ms", _int, "604800000", "How long an idle transactional id is kept.", _at_least(1)),
    Prop("transaction.abort.timed.out.transaction.cleanup.interval.ms", _int, "10000", "How often timed-out transactions are aborted.", _at_least(1)),
    Prop("transaction.remove.expired.transaction.cleanup.interval.ms", _int, "3600000", "How often expired transactional ids are removed.", _at_least(1)),
    Prop("fetch.max.bytes", _int, "57671680", "Largest Fetch response.", _at_least(1024)),
    Prop("max.incremental.fetch.session.cache.slots", _int, "1000", "Fetch sessions (KIP-227) kept at most.", _at_least(0)),
    Prop("log.message.downconversion.enable", _bool, "true", "Convert fetched batches to the old message format for Fetch v0-3.", topic_name="message.downconversion.enable", read_only=False),
    *SECURITY_PROPS,
    # ZooKeeper mode and replication (engine.cluster), Kafka 3.9's names and defaults
    Prop("zookeeper.connect", _str, None, "ZooKeeper ensemble (host:port,host:port[/chroot]); set, the broker joins a cluster coordinated by it."),
    Prop("zookeeper.session.timeout.ms", _int, "18000", "ZooKeeper session timeout.", _at_least(1)),
    Prop("zookeeper.connection.timeout.ms", _int, None, "Longest wait for a ZooKeeper connection; defaults to the session timeout.", _at_least(1)),
    Prop("inter.broker.protocol.version", _str, "3.9-IV0", "Inter-broker protocol level; this broker speaks 3.9-IV0 only.", _one_of("3.9", "3.9-IV0")),
    Prop("inter.broker.listener.name", _str, None, "Listener brokers use to reach each other; defaults to the first listener."),
    Prop("replica.lag.time.max.ms", _int, "30000", "A follower that has not caught up for this long leaves the ISR.", _at_least(1)),
    Prop("replica.fetch.wait.max.ms", _int, "500", "Longest wait of a follower's fetch at the leader.", _at_least(0)),
    Prop("replica.fetch.min.bytes", _int, "1", "Bytes a follower's fetch waits for.", _at_least(1)),
    Prop("replica.fetch.max.bytes", _int, "1048576", "Bytes a follower fetches per partition.", _at_least(0)),
    Prop("replica.fetch.response.max.bytes", _int, "10485760", "Bytes of a follower's fetch response.", _at_least(0)),
    Prop("replica.fetch.backoff.ms", _int, "1000", "Pause of a follower after a fetch error.", _at_least(0)),
    Prop("replica.socket.timeout.ms", _int, "30000", "Socket timeout of follower fetches.", _at_least(1)),
    Prop("replica.high.watermark.checkpoint.interval.ms", _int, "5000", "How often high watermarks are written to replication-offset-checkpoint.", _at_least(1)),
    Prop("num.replica.fetchers", _int, "1", "Fetchers per source broker (one here).", _at_least(1)),
    Prop("unclean.leader.election.enable", _bool, "false", "Elect a replica outside the ISR when no ISR member is alive (may lose data).", topic_name="unclean.leader.election.enable", read_only=False),
    Prop("auto.leader.rebalance.enable", _bool, "true", "Move leadership back to preferred replicas."),
    Prop("leader.imbalance.per.broker.percentage", _int, "10", "Imbalance above which preferred leaders are elected.", _at_least(0)),
    Prop("leader.imbalance.check.interval.seconds", _int, "300", "How often the controller checks the leader imbalance.", _at_least(1)),
    Prop("controlled.shutdown.enable", _bool, "true", "Move leadership away before shutting down."),
    Prop("controlled.shutdown.max.retries", _int, "3", "Controlled shutdown attempts.", _at_least(0)),
    Prop("controlled.shutdown.retry.backoff.ms", _int, "5000", "Pause between controlled shutdown attempts.", _at_least(0)),
    Prop("controller.socket.timeout.ms", _int, "30000", "Timeout of the controller's requests to brokers.", _at_least(1)),
    Prop("transaction.state.log.replication.factor", _int, "3", "Replication factor of __transaction_state (ZooKeeper mode).", _at_least(1)),
    Prop("transaction.state.log.min.isr", _int, "2", "min.insync.replicas of __transaction_state (ZooKeeper mode).", _at_least(1)),
    Prop("broker.id.generation.enable", _bool, "true", "Without broker.id, take one from /brokers/seqid."),
    Prop("reserved.broker.max.id", _int, "1000", "Largest broker.id that is never generated.", _at_least(0)),
)

# Properties of a stock Kafka server.properties that change nothing in this broker.
# They are accepted, so a real Kafka config file starts, and reported once at start.
IGNORED_PROPS = frozenset({
    "num.network.threads", "num.io.threads", "socket.send.buffer.bytes",
    "socket.receive.buffer.bytes", "num.recovery.threads.per.data.dir",
    "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
    "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
    "controller.listener.names", "security.inter.broker.protocol", "log.segment.delete.delay.ms",
})

_BY_NAME = {p.name: p for p in BROKER_PROPS}
LISTENER_PREFIX = "listener.name."


def listener_scoped_prop(key: str) -> Prop | None:
    """The property a listener.name.<listener>.<property> key sets (a JAAS config is a string property)."""
    rest = key[len(LISTENER_PREFIX):]
    listener, _, name = rest.partition(".")
    if not listener or not name:
        return None
    if name in LISTENER_SCOPED:
        return _BY_NAME[name]
    mechanism, _, mech_prop = name.partition(".")
    if mechanism and mech_prop == "sasl.jaas.config":
        return Prop(key, _str, None, "A SASL mechanism's JAAS configuration on one listener.", sensitive=True)
    if mechanism and mech_prop == "connections.max.reauth.ms":
        return _BY_NAME["connections.max.reauth.ms"]
    return None


def parse_properties_text(text: str, source: str = "properties") -> dict[str, str]:
    """Java .properties subset: key=value or key: value, # and ! comments, backslash continuation."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    lineno = 0
    for raw in lines:
        lineno += 1
        line = raw.strip()
        while line.endswith("\\"):
            nxt = next(lines, "")
            lineno += 1
            line = line[:-1] + nxt.strip()
        if not line or line[0] in "#!":
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep < 0:
            raise ConfigError(f"{source}:{lineno}: expected key=value, got {raw.strip()!r}")
        out[line[:sep].strip()] = line[sep + 1 :].strip()
    return out


@dataclasses.dataclass(frozen=True)
class BrokerConfig:
    values: Mapping[str, Any]
    explicit: frozenset[str]
    ignored: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def node_id(self) -> int:
        return int(self.values["node.id"])

    @property
    def data_dir(self) -> Path:
        return Path(self.values["log.dirs"]).expanduser()

    @property
    def listeners(self) -> list[tuple[str, str, int]]:
        return [_split_listener(x) for x in self.values["listeners"]]

    @property
    def advertised(self) -> list[tuple[str, str, int]]:
        adv = self.values["advertised.listeners"] or self.values["listeners"]
        return [_split_listener(x) for x in adv]

    def listener_value(self, listener: str, name: str) -> Any:
        """A property as one listener sees it: listener.name.<listener>.<name> when set, else <name>."""
        key = f"{LISTENER_PREFIX}{listener.lower()}.{name}"
        return self.values[key] if key in self.values else self.values.get(name)

    def topic_default(self, topic_config: str) -> Any:
        """The broker-level default of a topic config (e.g. retention.ms from log.retention.*)."""
        return TOPIC_CONFIGS[topic_config].broker_default(self)


def _split_listener(item: str) -> tuple[str, str, int]:
    name, _, hostport = item.partition("://")
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    return name, host, int(port)


def load_broker_config(settings: Mapping[str, str]) -> BrokerConfig:
    errors: list[str] = []
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for key, raw in settings.items():
        if key in IGNORED_PROPS:
            ignored.append(key)
            continue
        prop = _BY_NAME.get(key) or (listener_scoped_prop(key) if key.startswith(LISTENER_PREFIX) else None)
        if prop is None:
            errors.append(f"unknown property {key!r}")
            continue
        try:
            value = prop.parse(raw)
        except ValueError as exc:
            errors.append(f"invalid value {raw!r} for {key}: {exc}")
            continue
        problem = prop.check(value)
        if problem:
            errors.append(f"invalid value {raw!r} for {key}: {problem}")
            continue
        values[key] = value
    if errors:
        raise ConfigError("; ".join(errors))
    explicit = frozenset(values)
    for prop in BROKER_PROPS:
        if prop.name not in values:
            values[prop.name] = None if prop.default is None else prop.parse(prop.default)
    if "node.id" not in explicit and values.get("broker.id") is not None:
        values["node.id"] = values["broker.id"]
    if "log.dirs" not in explicit and values.get("log.dir"):
        values["log.dirs"] = values["log.dir"]
    if "log.retention.ms" not in explicit:
        if values.get("log.retention.minutes") is not None:
            values["log.retention.ms"] = values["log.retention.minutes"] * 60_000
        else:
            values["log.retention.ms"] = values["log.retention.hours"] * 3_600_000
    if "listeners" not in explicit and "advertised.listeners" in explicit:
        # A server.properties naming only advertised.listeners (as the Kafka tutorial's): listen where it says.
        values["listeners"] = values["advertised.listeners"]
    if values.get("zookeeper.connection.timeout.ms") is None:
        values["zookeeper.connection.timeout.ms"] = values["zookeeper.session.timeout.ms"]
    if "log.flush.interval.ms" not in explicit:
        values["log.flush.interval.ms"] = values["log.flush.scheduler.interval.ms"]
    if "log.roll.ms" not in explicit:
        values["log.roll.ms"] = values["log.roll.hours"] * 3_600_000
    if "," in values["log.dirs"]:
        raise ConfigError("log.dirs: only one log directory is supported")
    return BrokerConfig(values, explicit, tuple(sorted(ignored)))


# -- topic configs ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TopicConfig:
    name: str
    parse: Callable[[str], Any]
    doc: str
    broker_prop: str | None = None
    fixed_default: str | None = None
    check: Callable[[Any], str | None] = lambda _v: None
    list_valued: bool = False

    def broker_default(self, broker: BrokerConfig) -> Any:
        if self.broker_prop is not None:
            return broker.values[self.broker_prop]
        assert self.fixed_default is not None
        return self.parse(self.fixed_default)


def _cleanup(v: str) -> str:
    parts = sorted(p.strip() for p in v.split(",") if p.strip())
    for p in parts:
        if p not in ("delete", "compact"):
            raise ValueError(f"{p!r} is not delete or compact")
    if not parts:
        raise ValueError("empty cleanup.policy")
    return ",".join(parts)


TOPIC_CONFIG_LIST: tuple[TopicConfig, ...] = (
    TopicConfig("cleanup.policy", _cleanup, "delete, compact, or both.", "log.cleanup.policy", list_valued=True),
    TopicConfig("retention.ms", _int, "Delete segments older than this; -1 keeps forever.", "log.retention.ms", check=_at_least(-1)),
    TopicConfig("retention.bytes", _int, "Delete old segments above this partition size; -1 is unlimited.", "log.retention.bytes", check=_at_least(-1)),
    TopicConfig("segment.bytes", _int, "Segment size before a roll.", "log.segment.bytes", check=_at_least(14)),
    TopicConfig("segment.ms", _int, "Segment age before a roll.", "log.roll.ms", check=_at_least(1)),
    TopicConfig("segment.index.bytes", _int, "Largest offset index of a segment.", "log.index.size.max.bytes", check=_at_least(4)),
    TopicConfig("index.interval.bytes", _int, "Bytes of log between index entries.", "log.index.interval.bytes", check=_at_least(0)),
    TopicConfig("max.message.bytes", _int, "Largest record batch accepted.", "message.max.bytes", check=_at_least(0)),
    TopicConfig("message.timestamp.type", _str, "CreateTime or LogAppendTime.", "log.message.timestamp.type", check=_one_of("CreateTime", "LogAppendTime")),
    TopicConfig("min.insync.replicas", _int, "Replicas that must be in sync for acks=all.", "min.insync.replicas", check=_at_least(1)),
    TopicConfig("message.downconversion.enable", _bool, "Convert to the old message format for Fetch v0-3.", "log.message.downconversion.enable"),
    TopicConfig("compression.type", _str, "Only producer (keep the producer's compression) is supported.", "compression.type", check=_one_of("producer")),
    TopicConfig("delete.retention.ms", _int, "How long tombstones (and transaction markers) stay after a clean.", "log.cleaner.delete.retention.ms", check=_at_least(0)),
    TopicConfig("min.compaction.lag.ms", _int, "Minimum age before a record may be compacted.", "log.cleaner.min.compaction.lag.ms", check=_at_least(0)),
    TopicConfig("max.compaction.lag.ms", _int, "Maximum time a record stays uncompacted.", "log.cleaner.max.compaction.lag.ms", check=_at_least(1)),
    TopicConfig("min.cleanable.dirty.ratio", _float, "Dirty ratio a log needs before it is cleaned.", "log.cleaner.min.cleanable.ratio", check=lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
    TopicConfig("file.delete.delay.ms", _int, "Delay before a deleted segment's files are removed.", fixed_default="60000", check=_at_least(0)),
    TopicConfig("flush.messages", _int, "Messages appended before the partition is flushed (fsync) and the append acknowledged.", "log.flush.interval.messages", check=_at_least(1)),
    TopicConfig("unclean.leader.election.enable", _bool, "Elect a replica outside the ISR when no ISR member is alive.", "unclean.leader.election.enable"),
    TopicConfig("flush.ms", _int, "Longest time data stays unflushed (checked every log.flush.scheduler.interval.ms).", "log.flush.interval.ms", check=_at_least(0)),
)
TOPIC_CONFIGS = {t.name: t for t in TOPIC_CONFIG_LIST}


def validate_topic_configs(configs: Iterable[tuple[str, str | None]]) -> tuple[dict[str, Any], str | None]:
    """Parsed overrides, or an error message naming the first bad entry."""
    out: dict[str, Any] = {}
    for name, raw in configs:
        spec = TOPIC_CONFIGS.get(name)
        if spec is None:
            return {}, f"Unknown topic config name: {name}"
        if raw is None:
            return {}, f"Null value not supported for topic config: {name}"
        try:
            value = spec.parse(raw)
        except ValueError as exc:
            return {}, f"Invalid value {raw} for configuration {name}: {exc}"
        problem = spec.check(value)
        if problem:
            return {}, f"Invalid value {raw} for configuration {name}: {problem}"
        out[name] = value
    return out, None
