"""One scenario per Kafka client, run on every listener and mechanism of a secured cluster; outcomes as error names.

The principal is alice (User:alice over SASL, User:CN=alice with her certificate on the
SSL listener, User:ANONYMOUS on PLAINTEXT). `prepare` gives both alices READ and WRITE
on the topics prefixed `sec-` and READ on the groups prefixed `sec-`; `secret` is a topic
nobody but the super users may touch. Each scenario: list the topics it can see,
produce to its own topic and to `secret`, read its topic back in a group and commit,
try to create a topic, and log in with a wrong password (or without a certificate).
Outcomes are "ok" or the Kafka error's name, so the same scenario against the engine
and Apache Kafka gives comparable dictionaries.
"""

from __future__ import annotations

import asyncio
import gc
import re
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.components.secured import SecuredCluster

COMBOS = [("SASL_SSL", "PLAIN"), ("SASL_SSL", "SCRAM-SHA-256"), ("SASL_SSL", "SCRAM-SHA-512"),
          ("SASL_PLAINTEXT", "PLAIN"), ("SASL_PLAINTEXT", "SCRAM-SHA-256"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
          ("SSL", "mTLS"), ("PLAINTEXT", "anonymous")]
CLIENTS = ("confluent-kafka", "kafka-python", "aiokafka", "java")
WATCHED = frozenset({*(f"sec-{c}" for c in CLIENTS), "secret"})
_prepared: set[str] = set()


def prepare(cluster: SecuredCluster) -> None:
    """Topics and ACLs of the scenarios (once per cluster)."""
    if cluster.name in _prepared:
        return
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )

    admin = AdminClient(cluster.confluent("SSL", cert="admin"))
    for name, fut in admin.create_topics([NewTopic(t, 1, 1) for t in sorted(WATCHED)]).items():
        try:
            fut.result(30)
        except Exception as exc:  # already there from an earlier test of this session
            assert "TOPIC_ALREADY_EXISTS" in str(exc), (name, exc)
    acls = [AclBinding(rtype, "sec-", ResourcePatternType.PREFIXED, principal, "*", op, AclPermissionType.ALLOW)
            for principal in ("User:alice", "User:CN=alice")
            for rtype, op in ((ResourceType.TOPIC, AclOperation.READ), (ResourceType.TOPIC, AclOperation.WRITE),
                              (ResourceType.GROUP, AclOperation.READ))]
    for fut in admin.create_acls(acls).values():
        fut.result(30)
    _prepared.add(cluster.name)


def _user(combo: tuple[str, str]) -> tuple[str, str | None, str | None]:
    """listener, SASL user, certificate of alice on this combo."""
    listener = combo[0]
    if listener.startswith("SASL"):
        return listener, "alice", None
    return listener, None, "alice" if listener == "SSL" else None


def _name(exc: BaseException | Any) -> str:
    """The Kafka error name of any client's exception or error object."""
    if hasattr(exc, "name") and callable(exc.name):  # confluent KafkaError
        return str(exc.name())
    if getattr(exc, "args", None) and hasattr(exc.args[0], "name") and callable(exc.args[0].name):
        return str(exc.args[0].name())
    name = type(exc).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error").removesuffix("Exception")).upper()


# -- confluent-kafka (librdkafka) ----------------------------------------------------------

def confluent(cluster: SecuredCluster, combo: tuple[str, str]) -> dict[str, Any]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    listener, user, cert = _user(combo)
    mech = combo[1] if user else "PLAIN"
    conf = cluster.confluent(listener, user, mech, cert=cert)
    out: dict[str, Any] = {}
    admin = AdminClient(conf)
    out["visible"] = sorted(t for t in admin.list_topics(timeout=15).topics if t in WATCHED)
    producer = Producer({**conf, "message.timeout.ms": 15000, "acks": "all"})
    for key, topic in (("produce", "sec-confluent-kafka"), ("produce secret", "secret")):
        results: list[Any] = []
        try:
            producer.produce(topic, f"{combo}".encode(), on_delivery=lambda err, _m, r=results: r.append(err))
        except KafkaException as exc:  # refused at once when the topic is already known to be unauthorized
            results.append(exc.args[0])
        producer.flush(20)
        out[key] = "timeout" if not results else "ok" if results[0] is None else _name(results[0])
    group = f"sec-confluent-{combo[0]}-{combo[1]}"
    consumer = Consumer({**conf, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition("sec-confluent-kafka", 0, OFFSET_BEGINNING)])
    deadline, got = time.monotonic() + 15, "timeout"
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        got = "ok" if msg.error() is None else _name(msg.error())
        break
    out["consume"] = got
    if got == "ok":  # without a coordinator (GROUP_AUTHORIZATION_FAILED) a commit would only wait for one
        try:
            consumer.commit(offsets=[TopicPartition("sec-confluent-kafka", 0, 1)], asynchronous=False)
            out["commit"] = "ok"
        except Exception as exc:
            out["commit"] = _name(exc)
    consumer.close()
    try:
        admin.create_topics([NewTopic(f"sec-new-confluent-{combo[0]}-{combo[1]}", 1, 1)],
                            operation_timeout=10)[f"sec-new-confluent-{combo[0]}-{combo[1]}"].result(15)
        out["create topic"] = "ok"
    except Exception as exc:
        out["create topic"] = _name(exc)
    if user or cert:
        errors: list[KafkaError] = []
        bad = cluster.confluent(listener, user, mech, password="wrong") if user else cluster.confluent(listener)
        bad_admin = AdminClient({**bad, "error_cb": errors.append})  # connects at once
        deadline = time.monotonic() + 10
        while not errors and time.monotonic() < deadline:
            bad_admin.poll(0.1)  # serves error_cb
        out["bad credentials"] = errors[0].name() if errors else "accepted"
    return out


# -- kafka-python --------------------------------------------------------------------------

def _kafka_python_conf(cluster: SecuredCluster, listener: str, user: str | None, mech: str, cert: str | None,
                       password: str | None = None) -> dict[str, Any]:
    conf: dict[str, Any] = {"bootstrap_servers": cluster.bootstrap(listener), "security_protocol": listener,
                            "request_timeout_ms": 15000}
    if user:
        from tests.components.secured import USERS

        conf.update(sasl_mechanism=mech, sasl_plain_username=user, sasl_plain_password=password or USERS[user])
    if listener.endswith("SSL"):
        conf["ssl_cafile"] = str(cluster.pki.ca_pem)
        if cert:
            ident = cluster.pki.client(cert)
            conf.update(ssl_certfile=str(ident.cert_pem), ssl_keyfile=str(ident.key_pem))
    return conf


def kafka_python(cluster: SecuredCluster, combo: tuple[str, str]) -> dict[str, Any]:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic
    from kafka.structs import OffsetAndMetadata

    listener, user, cert = _user(combo)
    mech = combo[1] if user else "PLAIN"
    conf = _kafka_python_conf(cluster, listener, user, mech, cert)
    out: dict[str, Any] = {}
    consumer = KafkaConsumer(**conf, group_id=f"sec-kafka-python-{combo[0]}-{combo[1]}", enable_auto_commit=False)
    try:
        out["visible"] = sorted(t for t in consumer.topics() if t in WATCHED)
    except Exception as exc:
        out["visible"] = _name(exc)
    producer = KafkaProducer(**conf, acks="all", max_block_ms=15000, retries=0)
    for key, topic in (("produce", "sec-kafka-python"), ("produce secret", "secret")):
        try:
            producer.send(topic, f"{combo}".encode()).get(timeout=20)
            out[key] = "ok"
        except Exception as exc:
            out[key] = _name(exc)
    producer.close(timeout=5)
    tp = TopicPartition("sec-kafka-python", 0)
    consumer.assign([tp])
    try:
        consumer.seek_to_beginning(tp)
        records = consumer.poll(timeout_ms=10000, max_records=1)
        out["consume"] = "ok" if records else "timeout"
    except Exception as exc:
        out["consume"] = _name(exc)
    if out["consume"] == "ok":
        try:
            consumer.commit({tp: OffsetAndMetadata(1, "", -1)})
            out["commit"] = "ok"
        except Exception as exc:
            out["commit"] = _name(exc)
    consumer.close()
    try:
        admin = KafkaAdminClient(**conf)
        try:
            result = admin.create_topics([NewTopic(f"sec-new-kp-{combo[0]}-{combo[1]}", 1, 1)])
            errors = [e for t in getattr(result, "topic_errors", []) for e in t[1:2] if e]
            out["create topic"] = errors or "ok"
        except Exception as exc:
            out["create topic"] = _name(exc)
        finally:
            admin.close()
    except Exception as exc:
        out["create topic"] = _name(exc)
    if user:
        out["bad credentials"] = _kafka_python_login_failure(_kafka_python_conf(cluster, listener, user, mech, cert,
                                                                                "wrong"))
    return out


def _kafka_python_login_failure(conf: dict[str, Any]) -> str:
    """kafka-python retries a failed login until its bootstrap times out; the reason is in its log."""
    import logging

    from kafka import KafkaAdminClient

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())
    handler, logger = Keep(level=logging.WARNING), logging.getLogger("kafka")
    logger.addHandler(handler)
    try:
        KafkaAdminClient(**conf, bootstrap_timeout_ms=1500).close()
        return "accepted"
    except Exception:
        pattern = re.compile(r"(?:failed|lost): (?:\[Error \d+\] )?(\w+Error)")
        found = [m.group(1) for line in seen if (m := pattern.search(line))]
        names = {_name(type(f, (Exception,), {})()) for f in found}
        # kafka-python 3.0 reads the broker's SASL_AUTHENTICATION_FAILED answer or first notices the close that
        # follows it, by chance (against Kafka as against the engine): either means the login was refused
        expected = {"SASL_AUTHENTICATION_FAILED", "KAFKA_CONNECTION", "KAFKA_TIMEOUT", "REQUEST_TIMED_OUT"}
        return "refused" if names <= expected else ",".join(sorted(names - expected))
    finally:
        logger.removeHandler(handler)


# -- aiokafka --------------------------------------------------------------------------------

def aiokafka(cluster: SecuredCluster, combo: tuple[str, str]) -> dict[str, Any]:
    out = asyncio.run(_aiokafka(cluster, combo))
    gc.collect()  # a socket left open shows up here, in the scenario that left it, not in a later test
    return out


def _aio_conf(cluster: SecuredCluster, listener: str, user: str | None, mech: str, cert: str | None,
              password: str | None = None) -> dict[str, Any]:
    from aiokafka.helpers import create_ssl_context

    from tests.components.secured import USERS

    conf: dict[str, Any] = {"bootstrap_servers": cluster.bootstrap(listener), "security_protocol": listener,
                            "request_timeout_ms": 15000}
    if user:
        conf.update(sasl_mechanism=mech, sasl_plain_username=user, sasl_plain_password=password or USERS[user])
    if listener.endswith("SSL"):
        ident = cluster.pki.client(cert) if cert else None
        ctx: ssl.SSLContext = create_ssl_context(cafile=str(cluster.pki.ca_pem),
                                                 certfile=str(ident.cert_pem) if ident else None,
                                                 keyfile=str(ident.key_pem) if ident else None)
        conf["ssl_context"] = ctx
    return conf


async def _aiokafka(cluster: SecuredCluster, combo: tuple[str, str]) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.structs import OffsetAndMetadata

    listener, user, cert = _user(combo)
    mech = combo[1] if user else "PLAIN"
    conf = _aio_conf(cluster, listener, user, mech, cert)
    out: dict[str, Any] = {}
    producer = AIOKafkaProducer(**conf, acks="all")
    await producer.start()
    try:
        for key, topic in (("produce", "sec-aiokafka"), ("produce secret", "secret")):
            try:
                await asyncio.wait_for(producer.send_and_wait(topic, f"{combo}".encode()), 20)
                out[key] = "ok"
            except Exception as exc:
                out[key] = _name(exc)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**conf, group_id=f"sec-aiokafka-{combo[0]}-{combo[1]}", enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        out["visible"] = sorted(t for t in await consumer.topics() if t in WATCHED)
        tp = TopicPartition("sec-aiokafka", 0)
        consumer.assign([tp])
        try:  # no seek: aiokafka retries the offset lookup of a topic it may not describe for 15 s
            batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
            out["consume"] = "ok" if batch else "timeout"
        except Exception as exc:
            out["consume"] = _name(exc)
        if out["consume"] == "ok":  # without a coordinator a commit only waits for one
            try:
                await consumer.commit({tp: OffsetAndMetadata(1, "")})
                out["commit"] = "ok"
            except Exception as exc:
                out["commit"] = _name(exc)
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(**conf)
    await admin.start()
    try:
        result = await admin.create_topics([NewTopic(f"sec-new-aio-{combo[0]}-{combo[1]}", 1, 1)])
        codes = [e[1] for e in getattr(result, "topic_errors", []) if e[1]]
        out["create topic"] = codes or "ok"
    except Exception as exc:
        out["create topic"] = _name(exc)
    finally:
        await admin.close()
    if user:
        bad = AIOKafkaProducer(**_aio_conf(cluster, listener, user, mech, cert, "wrong"))
        try:
            await asyncio.wait_for(bad.start(), 20)
            out["bad credentials"] = "accepted"
        except Exception as exc:
            out["bad credentials"] = _name(exc)
        finally:
            await bad.stop()
    return out


# -- the Java client through Kafka's tools ------------------------------------------------------

JAVA_ERRORS = re.compile(r"\b(?:org\.apache\.kafka\.common\.errors\.)?([A-Z][A-Za-z]+(?:Exception|Error))\b")


def java_runs(cluster: SecuredCluster, combo: tuple[str, str], workdir: Path) -> list[tuple[str, list[str]]]:
    listener, user, cert = _user(combo)
    props = workdir / f"{cluster.name}-{combo[0]}-{combo[1]}.properties"
    props.write_text(cluster.java_properties(listener, user, combo[1], cert=cert))
    boot = ["--bootstrap-server", cluster.bootstrap(listener)]
    group = f"sec-java-{combo[0]}-{combo[1]}"
    runs: list[tuple[str, list[str]]] = [
        ("kafka-topics", [*boot, "--command-config", str(props), "--list"]),
        ("kafka-producer-perf-test", ["--topic", "sec-java", "--num-records", "1", "--record-size", "10",
                                      "--throughput", "-1", "--producer.config", str(props), "--producer-props",
                                      f"bootstrap.servers={cluster.bootstrap(listener)}", "acks=all",
                                      "delivery.timeout.ms=15000", "request.timeout.ms=10000"]),
        ("kafka-console-consumer", [*boot, "--consumer.config", str(props), "--topic", "sec-java", "--group", group,
                                    "--from-beginning", "--max-messages", "1", "--timeout-ms", "15000"]),
        ("kafka-get-offsets", [*boot, "--command-config", str(props), "--topic", "secret", "--time", "-1"]),
        ("kafka-topics", [*boot, "--command-config", str(props), "--create", "--topic",
                          f"sec-new-java-{combo[0]}-{combo[1]}", "--partitions", "1"]),
    ]
    if user:
        bad = workdir / f"{cluster.name}-{combo[0]}-{combo[1]}-bad.properties"
        bad.write_text(cluster.java_properties(listener, user, combo[1], password="wrong"))
        runs.append(("kafka-topics", [*boot, "--command-config", str(bad), "--list"]))
    return runs


def java_outcome(tool: str, result: Any) -> Any:
    """What a tool run says: the error lines it printed and the Kafka exceptions it names, or what it achieved.
    (The exit status is not compared: TopicCommand reports a ToolBatch exit as an error of its own.)"""
    text = result.stdout + result.stderr
    said = sorted({line.strip() for line in text.splitlines()
                   if line.startswith(("Error while executing", "Error occurred", "ERROR "))})
    names = sorted({m for m in JAVA_ERRORS.findall(text)
                    if m not in ("ExecutionException", "KafkaException", "ExitCalled", "InvocationTargetException")})
    if said or names:
        return ("failed", said, names)
    if tool == "kafka-topics" and "--list" in result.args:
        return ("listed", sorted(t for t in result.stdout.split() if t in WATCHED))
    if tool == "kafka-console-consumer":
        return ("consumed", "Processed a total of 1 messages" in text)
    if tool == "kafka-producer-perf-test":
        return ("produced", "1 records sent" in text)
    return ("ok",)


def java(cluster: SecuredCluster, kafka_cli: Any) -> dict[tuple[str, str], Any]:
    """Every combination's tool runs, in one JVM."""
    workdir = Path(tempfile.mkdtemp(prefix="java-sec-", dir=kafka_cli.workdir))
    plan = [(combo, tool, args) for combo in COMBOS for tool, args in java_runs(cluster, combo, workdir)]
    results = kafka_cli.run_tools([(tool, args) for _c, tool, args in plan], timeout=600)
    out: dict[tuple[str, str], list[Any]] = {}
    for (combo, tool, _args), result in zip(plan, results, strict=True):
        out.setdefault(combo, []).append((tool, java_outcome(tool, result)))
    return out


SCENARIOS = {"confluent-kafka": confluent, "kafka-python": kafka_python, "aiokafka": aiokafka}
