"""The bundled Kafka-compatible broker: Kafka wire protocol over asyncio, Kafka's log format on disk."""

__version__ = "0.1.0"
