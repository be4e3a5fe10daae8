"""Transactions with real clients: confluent-kafka's transactional producer committing and aborting interleaved,
read by read_committed (only committed records, in order) and read_uncommitted (all) consumers; a fenced zombie;
consume-transform-produce with offsets committed in the transaction; kafka-transactions list/describe; a SIGKILL
between AddPartitionsToTxn and EndTxn aborted by the transaction timeout after the restart."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from tests.components.process import wait_until
from tests.engine.test_client_confluent import create_topic

QUIET = {"log_level": 3}


def txn_producer(bootstrap: str, tid: str, **extra: Any) -> Producer:
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid, "linger.ms": 5, **QUIET, **extra})
    p.init_transactions(30)
    return p


def read_all(bootstrap: str, topic: str, partitions: int, isolation: str, expect: int,
             timeout: float = 20) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of every record a consumer with that isolation level gets, until expect
    records came and then nothing more for one poll (or the timeout)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{time.time_ns()}", "isolation.level": isolation,
                  "enable.auto.commit": False, **QUIET})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = c.consume(500, 0.5)
            for m in batch:
                assert m.error() is None, m.error()
                got.append((m.partition(), m.offset(), m.value()))
            if len(got) >= expect and not batch:
                break
    finally:
        c.close()
    return got


def test_commit_and_abort_interleaved(shared_engine: Any) -> None:
    bootstrap = shared_engine.bootstrap
    create_topic(bootstrap, "txn-mixed", partitions=2)
    p = txn_producer(bootstrap, "txn-mixed-producer")
    committed: list[bytes] = []
    everything: list[bytes] = []
    for n in range(8):
        p.begin_transaction()
        values = [f"t{n}-{i}".encode() for i in range(10)]
        for i, v in enumerate(values):
            p.produce("txn-mixed", value=v, partition=i % 2)
        p.flush(30)
        everything += values
        if n % 3 == 1:
            p.abort_transaction(30)
        else:
            p.commit_transaction(30)
            committed += values
        # plain (non-transactional) records between the transactions are read by both
    p.begin_transaction()
    p.produce("txn-mixed", value=b"open", partition=0)
    p.flush(30)  # an open transaction: read_committed stops at its first offset
    rc = read_all(bootstrap, "txn-mixed", 2, "read_committed", len(committed))
    ru = read_all(bootstrap, "txn-mixed", 2, "read_uncommitted", len(everything) + 1)
    for part in (0, 1):
        want = [v for i, v in enumerate(committed) if (i % 10) % 2 == part]
        assert [v for pp, _o, v in rc if pp == part] == want, "only committed records, in order"
    assert sorted(v for _p, _o, v in ru) == sorted([*everything, b"open"]), "read_uncommitted reads all"
    p.commit_transaction(30)
    rc = read_all(bootstrap, "txn-mixed", 2, "read_committed", len(committed) + 1)
    assert b"open" in [v for _p, _o, v in rc]


def test_a_zombie_producer_is_fenced(shared_engine: Any) -> None:
    bootstrap = shared_engine.bootstrap
    create_topic(bootstrap, "txn-zombie")
    zombie = txn_producer(bootstrap, "txn-zombie-id")
    zombie.begin_transaction()
    zombie.produce("txn-zombie", value=b"from the zombie", partition=0)
    zombie.flush(30)
    successor = txn_producer(bootstrap, "txn-zombie-id")  # bumps the epoch: the zombie's transaction is aborted
    successor.begin_transaction()
    successor.produce("txn-zombie", value=b"from the successor", partition=0)
    successor.commit_transaction(30)
    with pytest.raises(KafkaException) as raised:
        zombie.commit_transaction(30)
    err: KafkaError = raised.value.args[0]
    assert err.code() == KafkaError._FENCED and err.fatal(), err  # librdkafka's name for PRODUCER_FENCED
    rc = read_all(bootstrap, "txn-zombie", 1, "read_committed", 1)
    assert [v for _p, _o, v in rc] == [b"from the successor"]


def test_kafka_python_zombie_gets_producer_fenced(shared_engine: Any) -> None:
    from kafka import KafkaProducer
    from kafka.errors import ProducerFencedError

    bootstrap = shared_engine.bootstrap
    create_topic(bootstrap, "txn-kpy")
    zombie = KafkaProducer(bootstrap_servers=bootstrap, transactional_id="txn-kpy-id")
    successor = KafkaProducer(bootstrap_servers=bootstrap, transactional_id="txn-kpy-id")
    try:
        zombie.init_transactions()
        zombie.begin_transaction()
        zombie.send("txn-kpy", b"z", partition=0).get(timeout=30)
        successor.init_transactions()
        with pytest.raises(ProducerFencedError):
            zombie.commit_transaction()
    finally:
        zombie.close(timeout=5)
        successor.close(timeout=5)


def test_consume_transform_produce_commits_offsets_in_the_transaction(shared_engine: Any) -> None:
    bootstrap = shared_engine.bootstrap
    create_topic(bootstrap, "txn-in")
    create_topic(bootstrap, "txn-out")
    plain = Producer({"bootstrap.servers": bootstrap, **QUIET})
    for i in range(20):
        plain.produce("txn-in", value=str(i).encode(), partition=0)
    assert plain.flush(30) == 0
    group = "txn-ctp"
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest", **QUIET})
    c.assign([TopicPartition("txn-in", 0, 0)])
    p = txn_producer(bootstrap, "txn-ctp-id")
    try:
        for commit in (False, True):  # the aborted attempt is read again from the start
            c.seek(TopicPartition("txn-in", 0, 0))
            got: list[Any] = []
            for _ in range(40):
                got += [m for m in c.consume(20, 0.5) if m.error() is None]
                if len(got) >= 20:
                    break
            assert len(got) == 20
            p.begin_transaction()
            for m in got:
                p.produce("txn-out", value=b"x" + m.value(), partition=0)
            p.send_offsets_to_transaction([TopicPartition("txn-in", 0, 20)], c.consumer_group_metadata(), 30)
            if commit:
                p.commit_transaction(30)
            else:
                p.flush(30)
                p.abort_transaction(30)
                committed = c.committed([TopicPartition("txn-in", 0)], timeout=10)
                assert committed[0].offset < 0, "an aborted transaction commits no offsets"
        committed = c.committed([TopicPartition("txn-in", 0)], timeout=10)
        assert committed[0].offset == 20
    finally:
        c.close()
    out = read_all(bootstrap, "txn-out", 1, "read_committed", 20)
    assert [v for _p, _o, v in out] == [b"x" + str(i).encode() for i in range(20)]


def test_kafka_transactions_list_and_describe(shared_engine: Any, kafka_cli: Any) -> None:
    bootstrap = shared_engine.bootstrap
    create_topic(bootstrap, "txn-cli", partitions=2)
    p = txn_producer(bootstrap, "txn-cli-open")
    p.begin_transaction()
    p.produce("txn-cli", value=b"v", partition=1)
    p.flush(30)
    listed, described, producers = kafka_cli.run_batch("kafka-transactions", [
        ["--bootstrap-server", bootstrap, "list"],
        ["--bootstrap-server", bootstrap, "describe", "--transactional-id", "txn-cli-open"],
        ["--bootstrap-server", bootstrap, "describe-producers", "--topic", "txn-cli", "--partition", "1"]])
    assert listed.returncode == 0, listed.stderr
    row = next(line.split() for line in listed.stdout.splitlines() if line.startswith("txn-cli-open"))
    assert row[1] == "1" and row[3] == "Ongoing", listed.stdout
    assert described.returncode == 0, described.stderr
    header, values = (line.split() for line in described.stdout.strip().splitlines()[:2])
    info = dict(zip(header, values, strict=False))
    assert info["TransactionState"] == "Ongoing" and info["TransactionalId"] == "txn-cli-open"
    assert "txn-cli-1" in described.stdout
    assert producers.returncode == 0, producers.stderr
    assert row[2] in producers.stdout, "the producer id, with its open transaction's start offset"
    p.commit_transaction(30)
    (described,) = kafka_cli.run_batch("kafka-transactions", [
        ["--bootstrap-server", bootstrap, "describe", "--transactional-id", "txn-cli-open"]])
    assert "CompleteCommit" in described.stdout


def test_sigkill_inside_a_transaction_is_aborted_by_the_timeout_after_restart(engine_factory: Any) -> None:
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KTopicPartition

    eng = engine_factory(transaction_abort_timed_out_transaction_cleanup_interval_ms="200")
    create_topic(eng.bootstrap, "txn-kill")
    p = txn_producer(eng.bootstrap, "txn-kill-id", **{"transaction.timeout.ms": 3000})
    p.begin_transaction()
    p.produce("txn-kill", value=b"committed", partition=0)
    p.commit_transaction(30)
    p.begin_transaction()
    p.produce("txn-kill", value=b"in flight", partition=0)
    p.flush(30)  # AddPartitionsToTxn and the records are on the broker; EndTxn never comes
    eng.kill()
    del p
    eng.start()
    consumer = KafkaConsumer(bootstrap_servers=eng.bootstrap, isolation_level="read_committed",
                             enable_auto_commit=False)
    tp = KTopicPartition("txn-kill", 0)
    try:
        assert consumer.end_offsets([tp])[tp] == 2, "the open transaction holds the last stable offset"
        wait_until(lambda: consumer.end_offsets([tp])[tp] == 4, 30,
                   "the transaction timeout to abort it (marker at 3, LSO 4)")
    finally:
        consumer.close()
    rc = read_all(eng.bootstrap, "txn-kill", 1, "read_committed", 1)
    ru = read_all(eng.bootstrap, "txn-kill", 1, "read_uncommitted", 2)
    assert [v for _p, _o, v in rc] == [b"committed"]
    assert [v for _p, _o, v in ru] == [b"committed", b"in flight"]
    q = txn_producer(eng.bootstrap, "txn-kill-id")  # the id goes on, with a new epoch
    q.begin_transaction()
    q.produce("txn-kill", value=b"after", partition=0)
    q.commit_transaction(30)
    assert [v for _p, _o, v in read_all(eng.bootstrap, "txn-kill", 1, "read_committed", 2)] == [b"committed",
                                                                                                  b"after"]
