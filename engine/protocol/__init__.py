"""Sans-IO Kafka protocol: framing, and request/response codec over the kio schemas."""
