"""Kafka Workbench: the PySide6 desktop app."""
