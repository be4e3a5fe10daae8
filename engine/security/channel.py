"""One connection's authentication state: who the client is, and which requests it may send yet.

Theory of operation (Kafka's SaslServerAuthenticator, as a table). A PLAINTEXT or SSL
connection is authenticated from the start (User:ANONYMOUS, or the client
certificate's name). A SASL connection starts in `initial`:

    state           accepts                          then
    initial         ApiVersions                      handshake
                    SaslHandshake v0 / v1+           raw / authenticate (unknown mechanism: failed)
    handshake       SaslHandshake                    as above (a second ApiVersions closes)
    authenticate    SaslAuthenticate                 complete when the mechanism is done
    raw             a bare SASL token (handshake v0) complete when the mechanism is done
    complete        everything                       a SaslHandshake after the session's first second
                                                     with connections.max.reauth.ms set: re-authentication
    failed          nothing: the answer is sent after connection.failed.authentication.delay.ms, then the
                    connection closes

Anything else closes the connection, as Kafka does ("Unexpected Kafka request of type
... during SASL handshake"); so does a request after the session expired. Failed
authentication ends the connection: one attempt per connection, and each failed
attempt costs its client the delay. Sans-IO: the server feeds it API keys and tokens,
and asks `frame_limit` (sasl.server.max.receive.size until authenticated).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from engine.security.sasl import ListenerSasl, SaslServer
from engine.security.sasl_errors import SaslFailure
from engine.security.scram import ScramCredential

log = logging.getLogger("engine.security")

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
NONE, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 0, 33, 34, 58
MIN_REAUTH_INTERVAL_S = 1.0


class AuthenticationClosed(Exception):
    """The connection must close now, without an answer."""


class Channel:
    def __init__(self, *, listener: str, protocol: str, advertised: tuple[str, int], peer_host: str,
                 principal: str, sasl: ListenerSasl | None,
                 scram_lookup: Callable[[str, str], ScramCredential | None], failure_delay_ms: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.listener = listener
        self.protocol = protocol
        self.advertised = advertised
        self.peer_host = peer_host
        self.principal = principal
        self.sasl = sasl
        self.scram_lookup = scram_lookup
        self.failure_delay_s = failure_delay_ms / 1000.0
        self.clock = clock
        self.state = "initial" if sasl is not None else "complete"
        self.mechanism: str | None = None
        self.server: SaslServer | None = None
        self.kafka_headers = True
        self.expires_at: float | None = None
        self.last_reauth_start = 0.0
        self.reauthenticating = False
        self.close_after_response = False  # a failed authentication: answer (late), then close

    # -- what the server asks --------------------------------------------------------

    @property
    def authenticated(self) -> bool:
        return self.state == "complete"

    @property
    def raw_tokens(self) -> bool:
        """The next frame is a bare SASL token (after SaslHandshake v0), not a Kafka request."""
        return self.state == "raw"

    def frame_limit(self, normal: int) -> int:
        return normal if self.authenticated or self.sasl is None else min(normal, self.sasl.max_receive_size)

    @property
    def response_delay(self) -> float:
        return self.failure_delay_s if self.close_after_response else 0.0

    def admit(self, api_key: int, supported: bool = True) -> None:
        """Whether a request of this API may be handled now; AuthenticationClosed if not. An ApiVersions of an
        unsupported version is answered with the supported range and leaves the state as it was."""
        state = self.state
        if state == "complete":
            now = self.clock()
            if api_key == SASL_HANDSHAKE and self.expires_at is not None and \
                    now - self.last_reauth_start >= MIN_REAUTH_INTERVAL_S:
                self.last_reauth_start = now
                self.reauthenticating = True
                self.state = "reauth"
                return
            if self.expires_at is not None and now >= self.expires_at:
                raise AuthenticationClosed(f"the SASL session of {self.principal} expired")
            return
        if state in ("initial", "handshake", "reauth"):
            if api_key == SASL_HANDSHAKE:
                return
            if api_key == API_VERSIONS and state == "initial":
                if supported:
                    self.state = "handshake"
                return
            raise AuthenticationClosed(f"Unexpected Kafka request of type {api_key} during SASL handshake.")
        if state == "authenticate":
            if api_key == SASL_AUTHENTICATE:
                return
            raise AuthenticationClosed(f"Unexpected Kafka request of type {api_key} during SASL authentication.")
        raise AuthenticationClosed(f"request of type {api_key} after failed authentication")

    # -- SaslHandshake and SaslAuthenticate ------------------------------------------

    def handshake(self, mechanism: str, version: int) -> tuple[int, list[str]]:
        """Error code and the enabled mechanisms. In `complete` (no re-authentication) it is ILLEGAL_SASL_STATE."""
        if self.sasl is None or self.state == "complete":
            return ILLEGAL_SASL_STATE, []
        enabled = list(self.sasl.mechanisms)
        if mechanism not in enabled:
            log.info("failed authentication from %s: unsupported SASL mechanism %r", self.peer_host, mechanism)
            self._fail()
            return UNSUPPORTED_SASL_MECHANISM, enabled
        if self.reauthenticating and mechanism != self.mechanism:
            self.state = "reauth_bad_mechanism"  # Kafka answers the handshake, then closes at the next token
            return NONE, enabled
        self.kafka_headers = version >= 1
        self.mechanism = mechanism
        self.server = self.sasl.server(mechanism, self.scram_lookup, self.reauthenticating)
        self.state = "authenticate" if self.kafka_headers else "raw"
        return NONE, enabled

    def authenticate(self, token: bytes) -> tuple[int, str | None, bytes, int]:
        """SaslAuthenticate: error code, error message, the server's token and the session lifetime (ms)."""
        if self.state != "authenticate" or self.server is None:
            return ILLEGAL_SASL_STATE, "SaslAuthenticate request received after successful authentication", b"", 0
        try:
            reply = self._evaluate(token)
        except SaslFailure as exc:
            self._fail()
            return SASL_AUTHENTICATION_FAILED, exc.client_message, b"", 0
        lifetime = self._finish() if self.server.complete else 0
        return NONE, None, reply, lifetime

    def raw_token(self, token: bytes) -> bytes:
        """A bare SASL token (SaslHandshake v0); the reply is sent size-prefixed. Failure closes at once."""
        if self.state == "reauth_bad_mechanism":
            raise AuthenticationClosed("re-authentication with another SASL mechanism")
        assert self.server is not None
        try:
            reply = self._evaluate(token)
        except SaslFailure as exc:
            self.state = "failed"
            raise AuthenticationClosed(f"failed authentication: {exc.cause}") from None
        if self.server.complete:
            self._finish()
        return reply

    def _evaluate(self, token: bytes) -> bytes:
        assert self.server is not None
        reply = self.server.evaluate(token)
        if self.server.complete:
            principal = f"User:{self.server.authorization_id}"
            if self.reauthenticating and principal != self.principal:
                old, new = self.principal.split(":", 1), principal.split(":", 1)
                raise SaslFailure(f"Cannot change principals during re-authentication from {old[0]}.{old[1]}: "
                                  f"{new[0]}.{new[1]}")
            self.principal = principal
        return reply

    def _finish(self) -> int:
        assert self.sasl is not None and self.mechanism is not None
        lifetime = self.sasl.reauth_ms.get(self.mechanism, 0)
        self.expires_at = self.clock() + lifetime / 1000.0 if lifetime > 0 else None
        self.state = "complete"
        if self.reauthenticating:
            log.info("%s re-authenticated as %s with %s", self.peer_host, self.principal, self.mechanism)
        else:
            log.debug("%s authenticated as %s with %s", self.peer_host, self.principal, self.mechanism)
        self.reauthenticating = False
        self.server = None
        return lifetime

    def _fail(self) -> None:
        self.state = "failed"
        self.close_after_response = True
