"""What the app is made of, for `kafka-workbench --version` and the About dialog: one list of (part, version)."""

from __future__ import annotations

import platform

import engine
import workbench

APP_NAME = "Kafka Workbench"
APP_ID = "io.github.kafka_workbench.KafkaWorkbench"  # the desktop entry's and the AppStream component's id


def versions() -> list[tuple[str, str]]:
    """The app, the bundled broker, Qt (and its Python binding), librdkafka and Python."""
    import confluent_kafka
    import PySide6
    from PySide6.QtCore import qVersion

    from engine.api.routes import ROUTES

    return [
        (APP_NAME, workbench.__version__),
        ("Bundled broker", f"{engine.__version__} (Kafka protocol, {len(ROUTES)} APIs)"),
        ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"),
        ("librdkafka", f"{confluent_kafka.libversion()[0]} (confluent-kafka {confluent_kafka.__version__})"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
    ]


def version_text() -> str:
    rows = versions()
    width = max(len(name) for name, _v in rows)
    return "\n".join(f"{name + ':':<{width + 1}} {value}" for name, value in rows)
