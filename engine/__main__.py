"""Command line of the bundled broker, like kafka-server-start.sh:

    python -m engine [server.properties] [--override key=value ...] [--add-scram 'SCRAM-SHA-256=[...]'] [@args]

An @file argument is read as more arguments, one per line (a way to pass credentials
without putting them on the command line).

With zookeeper.connect the broker joins a cluster coordinated by that ZooKeeper ensemble
(engine.cluster, inter-broker protocol 3.9-IV0); without it, it runs alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import faulthandler
import io
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import ConfigError, load_broker_config, parse_properties_text

if TYPE_CHECKING:
    from engine.config import BrokerConfig
    from engine.security.scram import ScramCredential

    ScramUpsert = tuple[dict[tuple[str, str], ScramCredential], list[tuple[str, str]]]

READY_MESSAGE = "Kafka Workbench broker started"


def parse_args(argv: list[str]) -> tuple[dict[str, str], argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="kafka-workbench-broker", fromfile_prefix_chars="@",  # @file: more arguments, one per line
        description="The Kafka Workbench broker: a Kafka-protocol broker with Kafka's on-disk log format.",
    )
    parser.add_argument("properties", nargs="?", help="a server.properties file (Kafka property names)")
    parser.add_argument("--override", action="append", default=[], metavar="key=value",
                        help="set a property, overriding the file (repeatable)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--add-scram", action="append", default=[], metavar="MECHANISM=[name=...,password=...]",
                        help="create or replace a SCRAM user at start, as kafka-storage format --add-scram does "
                             "(salt=, saltedpassword= and iterations= may be given instead of password=)")
    args = parser.parse_args(argv)
    settings: dict[str, str] = {}
    if args.properties:
        path = Path(args.properties)
        try:
            settings.update(parse_properties_text(path.read_text(encoding="utf-8"), str(path)))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    for item in args.override:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--override needs key=value, got {item!r}")
        settings[key.strip()] = value.strip()
    return settings, args


def parse_add_scram(item: str) -> ScramUpsert:
    """'SCRAM-SHA-256=[name=alice,password=alice-secret]' (or salt=<b64>,saltedpassword=<b64>,iterations=N)."""
    from engine.security.scram import MECHANISMS, credential_from_password, credential_from_salted

    mech_name, sep, rest = item.partition("=")
    mech = MECHANISMS.get(mech_name.strip().upper())
    if not sep or mech is None or not rest.strip().startswith("[") or not rest.strip().endswith("]"):
        raise ConfigError(f"--add-scram needs MECHANISM=[name=...,password=...] with SCRAM-SHA-256 or "
                          f"SCRAM-SHA-512, got {item!r}")
    fields: dict[str, str] = {}
    for part in rest.strip()[1:-1].split(","):
        key, _, value = part.partition("=")
        fields[key.strip().lower()] = value.strip().strip('"')
    name = fields.get("name", "")
    if not name:
        raise ConfigError(f"--add-scram {item!r} has no name=")
    iterations = int(fields.get("iterations", "4096"))
    if not mech.min_iterations <= iterations <= 16384:
        raise ConfigError(f"--add-scram: iterations must be between {mech.min_iterations} and 16384")
    if "password" in fields:
        credential = credential_from_password(mech, fields["password"], iterations)
    elif "saltedpassword" in fields and "salt" in fields:
        credential = credential_from_salted(mech, base64.b64decode(fields["salt"]),
                                            base64.b64decode(fields["saltedpassword"]), iterations)
    else:
        raise ConfigError(f"--add-scram {item!r} needs password= or salt= with saltedpassword=")
    return {(name, mech.name): credential}, []


def raise_open_files_limit() -> None:
    """Every partition keeps its active segment open: allow as many files as the system lets us."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
    except (ImportError, ValueError, OSError):
        pass


def _zookeeper_mode_security(config: BrokerConfig) -> None:
    """ZooKeeper mode speaks to other brokers in PLAINTEXT and keeps ACLs per broker, so it refuses what it cannot
    honour cluster-wide: a secured inter-broker listener and an authorizer."""
    from engine.security.listeners import parse_listeners

    listeners = {lst.name: lst for lst in parse_listeners(config)}
    listener = config["inter.broker.listener.name"] or next(iter(listeners), "PLAINTEXT")
    found = listeners.get(listener)
    if found is None or found.protocol != "PLAINTEXT":
        raise ConfigError(f"in ZooKeeper mode the inter-broker listener ({listener}) must be PLAINTEXT here: "
                          "brokers do not authenticate to each other yet")
    if str(config["authorizer.class.name"] or "").strip():
        raise ConfigError("authorizer.class.name is not supported in ZooKeeper mode yet: ACLs are kept per broker, "
                          "not in ZooKeeper")


async def serve(settings: dict[str, str], scram_users: list[ScramUpsert] | None = None) -> int:
    from engine.broker import Broker, BrokerError
    from engine.security.broker_security import BrokerSecurity
    from engine.server import KafkaServer

    started = time.monotonic()
    raise_open_files_limit()
    config = load_broker_config(settings)
    log = logging.getLogger("engine")
    for name in config.ignored:
        log.info("property %s has no effect in this broker and is ignored", name)
    broker = Broker(config)
    node = None
    if config["zookeeper.connect"]:
        try:
            _zookeeper_mode_security(config)
        except ConfigError as exc:
            log.error("configuration error: %s", exc)
            return 2
        from engine.cluster.node import ZkNode
        from engine.cluster.zk import ZkError

        node = ZkNode(broker)
        try:
            broker.zk_cluster_id = await node.connect()
        except ZkError as exc:
            log.error("%s", exc)
            await node.zk.close()
            return 1
        broker.cluster = node
    try:
        broker.open()
    except BrokerError as exc:
        log.error("%s", exc.message)
        if node is not None:
            await node.zk.close()
        return 1
    try:
        security = BrokerSecurity.open(config, config.data_dir)
        for spec in scram_users or []:
            security.change_scram(*spec)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        broker.close()
        if node is not None:
            await node.zk.close()
        return 2
    server = KafkaServer(broker, security)
    try:
        bound = await server.start()
    except OSError as exc:
        log.error("cannot listen on %s: %s", ",".join(config["listeners"]), exc.strerror or exc)
        security.close()
        broker.close()
        if node is not None:
            await node.zk.close()
        return 1
    if node is not None:
        try:
            await node.start()
        except Exception as exc:
            log.error("joining the cluster at %s failed: %s", config["zookeeper.connect"], exc)
            await node.shutdown()
            await server.stop()
            broker.close()
            return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    retention = asyncio.create_task(_retention_loop(broker, config["log.retention.check.interval.ms"]))
    group_timers = asyncio.create_task(_group_timer_loop(broker))
    assert broker.log_manager is not None and broker.cleaner is not None
    log_tasks = asyncio.create_task(broker.log_manager.run())
    cleaner = asyncio.create_task(broker.cleaner.run())
    addrs = ", ".join(f"{h}:{p}" for h, p in bound)
    log.info("%s (node.id=%d, cluster.id=%s) on %s in %.0f ms, data in %s%s", READY_MESSAGE, broker.node_id,
             broker.cluster_id, addrs, (time.monotonic() - started) * 1000, config.data_dir,
             f", ZooKeeper {config['zookeeper.connect']}" if node is not None else "")
    log.info("security: %s", security.describe())
    await stop.wait()
    log.info("shutting down")
    watchdog = _shutdown_watchdog(loop, SHUTDOWN_REPORT_AFTER_S)
    if node is not None:
        await node.shutdown()
    for task in (retention, group_timers, log_tasks, cleaner):
        task.cancel()
    await server.stop()
    security.close()
    await broker.cleaner.stop()
    await broker.log_manager.drain()
    await loop.run_in_executor(None, broker.close)  # the shutdown sync, off the event loop
    watchdog.cancel()
    log.info("stopped cleanly")
    return 0


SHUTDOWN_REPORT_AFTER_S = 10.0


def _shutdown_watchdog(loop: asyncio.AbstractEventLoop, after_s: float) -> threading.Timer:
    """A shutdown that takes longer than after_s logs where it is stuck: every thread's stack, and (when the
    event loop still runs) every task's."""

    def report() -> None:
        log = logging.getLogger("engine")
        log.warning("shutdown still running after %.0f s; thread stacks follow", after_s)
        faulthandler.dump_traceback(all_threads=True)

        def tasks() -> None:
            for task in asyncio.all_tasks(loop):
                out = io.StringIO()
                task.print_stack(limit=12, file=out)
                log.warning("task %s:\n%s", task.get_name(), out.getvalue())

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(tasks)

    timer = threading.Timer(after_s, report)
    timer.daemon = True
    timer.start()
    return timer


async def _retention_loop(broker: object, interval_ms: int) -> None:
    from engine.broker import Broker

    assert isinstance(broker, Broker)
    while True:
        await asyncio.sleep(interval_ms / 1000)
        try:
            broker.apply_retention()
        except Exception:
            logging.getLogger("engine").exception("retention failed")


async def _group_timer_loop(broker: object) -> None:
    from engine.broker import Broker

    assert isinstance(broker, Broker) and broker.groups is not None and broker.txn is not None
    while True:
        await asyncio.sleep(0.05)
        try:
            broker.groups.tick()
            broker.txn.tick()
        except Exception:
            logging.getLogger("engine").exception("coordinator timers failed")


def main(argv: list[str] | None = None) -> int:
    try:
        settings, args = parse_args(sys.argv[1:] if argv is None else argv)
        level = getattr(logging, str(args.log_level).upper(), None)
        if not isinstance(level, int):
            raise ConfigError(f"unknown --log-level {args.log_level!r}")
        logging.basicConfig(level=level, format="[%(asctime)s] %(levelname)s %(message)s (%(name)s)")
        load_broker_config(settings)
        scram_users = [parse_add_scram(item) for item in args.add_scram]
    except ConfigError as exc:
        print(f"kafka-workbench-broker: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(settings, scram_users))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
