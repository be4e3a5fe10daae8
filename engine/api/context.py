"""What a handler receives besides its request: the broker, the request header, and helpers."""

from __future__ import annotations

import dataclasses

from engine.broker import Broker
from engine.protocol.codec import RequestHeader


class CloseConnection(Exception):
    """Raised by a handler when Kafka would close the connection instead of answering."""


@dataclasses.dataclass
class RequestContext:
    broker: Broker
    header: RequestHeader
    peer: str

    @property
    def version(self) -> int:
        return self.header.api_version
