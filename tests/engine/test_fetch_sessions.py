"""Fetch sessions (KIP-227): the session cache's rules, and real consumers of many partitions sending incremental
fetches through the engine (seen by a recording proxy between them and the broker)."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kio.schema.errors import ErrorCode

from engine.fetch_session import FetchPartition, FetchSessionCache
from engine.protocol.codec import decode_request
from tests.components.process import free_port, wait_until
from tests.engine.test_client_confluent import create_topic


def _data(hw: int, records: int = 0, error: int = 0, start: int = 0) -> dict[str, Any]:
    return {"high_watermark": hw, "log_start_offset": start, "error_code": error, "records_size": records}


def _want(offset: int = 0) -> FetchPartition:
    return FetchPartition(offset, 1 << 20)


def test_full_fetch_makes_a_session_and_incremental_fetches_return_only_news() -> None:
    cache = FetchSessionCache(seed=1)
    keys = [("t", i) for i in range(3)]
    ctx = cache.new_context(0, 0, [(k, _want()) for k in keys], [], False, 0)
    assert ctx.kind == "full"
    sid, sent = cache.respond(ctx, [(k, _data(5)) for k in keys], 0)
    assert sid != 0 and len(sent) == 3
    ctx = cache.new_context(sid, 1, [], [], False, 10)
    assert ctx.kind == "incremental" and [k for k, _ in ctx.partitions] == keys
    _sid, sent = cache.respond(ctx, [(keys[0], _data(5)), (keys[1], _data(6, records=100)), (keys[2], _data(5))], 10)
    assert [k for k, _ in sent] == [keys[1]]
    ctx = cache.new_context(sid, 2, [(keys[1], _want(6))], [keys[2]], False, 20)
    assert [k for k, _ in ctx.partitions] == [keys[0], keys[1]]
    assert dict(ctx.partitions)[keys[1]].fetch_offset == 6
    _sid, sent = cache.respond(ctx, [(keys[0], _data(5, error=3)), (keys[1], _data(6))], 20)
    assert [k for k, _ in sent] == [keys[0]], "errors are always sent"


def test_session_errors_and_closing() -> None:
    cache = FetchSessionCache(seed=2)
    assert cache.new_context(12345, 1, [], [], False, 0).error is ErrorCode.fetch_session_id_not_found
    ctx = cache.new_context(0, 0, [(("t", 0), _want())], [], False, 0)
    sid, _ = cache.respond(ctx, [(("t", 0), _data(1))], 0)
    assert cache.new_context(sid, 5, [], [], False, 0).error is ErrorCode.invalid_fetch_session_epoch
    assert cache.new_context(sid, 1, [], [], True, 0).error is ErrorCode.fetch_session_topic_id_error
    assert cache.new_context(sid, 1, [], [], False, 0).kind == "incremental"
    final = cache.new_context(sid, -1, [(("t", 0), _want())], [], False, 0)
    assert final.kind == "sessionless" and len(cache) == 0
    assert cache.respond(final, [(("t", 0), _data(1))], 0)[0] == 0


def test_a_full_cache_evicts_only_idle_sessions() -> None:
    cache = FetchSessionCache(max_sessions=1, eviction_ms=1000, seed=3)
    first, _ = cache.respond(cache.new_context(0, 0, [(("t", 0), _want())], [], False, 0), [(("t", 0), _data(1))], 0)
    blocked, _ = cache.respond(cache.new_context(0, 0, [(("t", 1), _want())], [], False, 500),
                               [(("t", 1), _data(1))], 500)
    assert first and blocked == 0, "no room: the new fetch runs without a session"
    second, _ = cache.respond(cache.new_context(0, 0, [(("t", 1), _want())], [], False, 2000),
                              [(("t", 1), _data(1))], 2000)
    assert second and list(cache.sessions) == [second]


class RecordingProxy:
    """Forwards one client's connections to the broker and records (version, session id, epoch, partitions) of
    every Fetch request and the session id of every Fetch response."""

    def __init__(self, port: int, target: str) -> None:
        host, _, target_port = target.rpartition(":")
        self.target = (host, int(target_port))
        self.port = port
        self.requests: list[tuple[int, int, int, int]] = []
        self.response_sessions: list[int] = []
        self._fetch_ids: dict[int, int] = {}
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for src, dst, inbound in ((client, upstream, True), (upstream, client, False)):
                t = threading.Thread(target=self._pump, args=(src, dst, inbound), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket, inbound: bool) -> None:
        buf = b""
        src.settimeout(0.2)
        while not self._stop.is_set():
            try:
                chunk = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">i", buf[:4])[0]:
                size = struct.unpack(">i", buf[:4])[0]
                frame, buf = buf[4 : 4 + size], buf[4 + size :]
                self._record(frame, inbound)
            try:
                dst.sendall(chunk)
            except OSError:
                break
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def _record(self, frame: bytes, inbound: bool) -> None:
        if inbound:
            key, version, cid = struct.unpack_from(">hhi", frame)
            if key == 1:
                _h, req = decode_request(frame)
                parts = sum(len(t.partitions) for t in req.topics)
                self.requests.append((version, int(req.session_id), int(req.session_epoch), parts))
                self._fetch_ids[cid] = version
            return
        (cid,) = struct.unpack_from(">i", frame)
        version = self._fetch_ids.pop(cid, None)
        if version is not None and version >= 7:
            pos = 4 + (1 if version >= 12 else 0) + 4 + 2
            self.response_sessions.append(struct.unpack_from(">i", frame, pos)[0])

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self._server.close()
        for s in self._sockets:
            s.close()


@pytest.fixture
def proxied_engine(engine_factory: Any) -> Iterator[tuple[Any, RecordingProxy]]:
    proxy_port = free_port()
    eng = engine_factory(advertised_listeners=f"PLAINTEXT://127.0.0.1:{proxy_port}",
                         group_initial_rebalance_delay_ms="0")
    proxy = RecordingProxy(proxy_port, eng.bootstrap)
    yield eng, proxy
    proxy.close()


PARTITIONS = 24


def _fill(bootstrap: str, topic: str) -> None:
    from confluent_kafka import Producer

    create_topic(bootstrap, topic, partitions=PARTITIONS)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(PARTITIONS * 10):
        p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS)
    assert p.flush(30) == 0


def _assert_incremental(proxy: RecordingProxy) -> None:
    sessions = [r for r in proxy.requests if r[2] > 0]
    assert sessions, f"no incremental fetch among {proxy.requests[:5]}"
    assert any(parts < PARTITIONS for _v, _s, _e, parts in sessions), "incremental fetches list only changes"
    assert any(s != 0 for s in proxy.response_sessions), "the broker made a session"
    epochs = [e for _v, sid, e, _p in proxy.requests if sid == sessions[0][1] and e > 0]
    assert epochs == sorted(epochs) and len(epochs) > 2


def test_kafka_python_consumer_sends_incremental_fetches(proxied_engine: Any) -> None:
    from kafka import KafkaConsumer

    _eng, proxy = proxied_engine
    _fill(f"127.0.0.1:{proxy.port}", "sessions-kpy")
    consumer = KafkaConsumer("sessions-kpy", bootstrap_servers=f"127.0.0.1:{proxy.port}", group_id="s-kpy",
                             auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100)
    got = 0
    try:
        deadline = time.monotonic() + 60
        while got < PARTITIONS * 10 and time.monotonic() < deadline:
            got += sum(len(v) for v in consumer.poll(timeout_ms=500).values())
        for _ in range(5):  # a few fetches with nothing new: incremental and empty
            consumer.poll(timeout_ms=200)
    finally:
        consumer.close()
    assert got == PARTITIONS * 10
    _assert_incremental(proxy)


def test_java_consumer_sends_incremental_fetches(proxied_engine: Any, kafka_cli: Any) -> None:
    _eng, proxy = proxied_engine
    bootstrap = f"127.0.0.1:{proxy.port}"
    _fill(bootstrap, "sessions-java")
    # No --max-messages: the consumer reads everything, then idles until 4 s pass without a message.
    done = kafka_cli.run("kafka-console-consumer", "--bootstrap-server", bootstrap, "--topic", "sessions-java",
                         "--from-beginning", "--timeout-ms", "4000", "--consumer-property", "fetch.max.wait.ms=100",
                         check=False)
    assert len(done.stdout.splitlines()) == PARTITIONS * 10, done.stderr[-2000:]
    wait_until(lambda: any(r[0] >= 13 for r in proxy.requests), 5, "a fetch by topic id")
    _assert_incremental(proxy)
