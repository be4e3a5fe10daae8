"""Entry point of the desktop app: `python -m workbench`, `kafka-workbench`, or the frozen app's executable.

The frozen app (PyInstaller) has no Python to run `-m engine` with, so the one
executable also serves the helper processes the app starts: its first argument
chooses the mode (services/launch.py builds these command lines).

    kafka-workbench [--version] [--help]          the app
    kafka-workbench --run-broker [args]           the bundled broker (as kafka-workbench-broker)
    kafka-workbench --run-scan-worker             a scan worker (reads its job on stdin)
    kafka-workbench --self-check                  starts a worker process as the app does, says whether it works
"""

from __future__ import annotations

import argparse
import sys

from workbench.services.launch import BROKER_MODE, SCAN_WORKER_MODE, SELF_CHECK_MODE


def parse_args(argv: list[str]) -> argparse.Namespace:
    from workbench import __version__

    parser = argparse.ArgumentParser(
        prog="kafka-workbench",
        description="Kafka Workbench: a desktop workbench for Apache Kafka, with its own bundled Kafka-compatible "
                    "broker (the \"Local\" connection, on 127.0.0.1:9092 when that port is free).",
        epilog="Settings, connection profiles and the Local broker's data live in the user's config and data "
               "directories, or under $KAFKA_WORKBENCH_HOME when it is set. The bundled broker also runs on its "
               "own: kafka-workbench --run-broker --help.")
    parser.add_argument("--version", action="store_true",
                        help="print the versions of the app, the bundled broker, Qt, librdkafka and Python")
    args = parser.parse_known_args(argv)[0]  # Qt's own options (-platform, -style, ...) pass through
    if args.version:
        from workbench.about import version_text

        print(f"{parser.prog} {__version__}\n{version_text()}")
    return args


def self_check() -> int:
    """For packagers: a spawned worker process (services/processes.py: in the frozen app, the executable started
    again through multiprocessing) parses JSON, as the messages pane has it do for large values."""
    import asyncio
    import json

    from workbench.services import processes

    async def check() -> object:
        try:
            return await processes.off_process(json.loads, '{"worker": "ok"}')
        finally:
            processes.shutdown()
    answer = asyncio.run(check())
    print(f"self-check: worker process answered {answer}")
    return 0 if answer == {"worker": "ok"} else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    mode, rest = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if mode == BROKER_MODE:
        from engine.__main__ import main as broker_main

        return broker_main(rest)
    if mode == SCAN_WORKER_MODE:
        from workbench.services.scan_worker import main as worker_main

        return worker_main()
    if mode == SELF_CHECK_MODE:
        return self_check()
    if parse_args(argv[1:]).version:
        return 0
    from workbench.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
