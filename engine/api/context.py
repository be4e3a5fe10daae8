"""What a handler receives besides its request: the broker, the request header, and helpers."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from engine.broker import Broker
from engine.protocol.codec import RequestHeader

if TYPE_CHECKING:
    from engine.security.broker_security import BrokerSecurity
    from engine.security.channel import Channel


class CloseConnection(Exception):
    """Raised by a handler when Kafka would close the connection instead of answering."""


@dataclasses.dataclass
class RequestContext:
    broker: Broker
    header: RequestHeader
    peer: str
    channel: Channel | None = None  # who the client is (engine/security); None for in-process callers
    security: BrokerSecurity | None = None

    @property
    def version(self) -> int:
        return self.header.api_version

    @property
    def endpoint(self) -> tuple[str, int]:
        """The broker's advertised host and port on the listener this request came in on."""
        if self.channel is not None:
            return self.channel.advertised
        _name, host, port = self.broker.config.advertised[0]
        return host, port
