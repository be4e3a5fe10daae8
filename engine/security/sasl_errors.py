"""The failures a SASL mechanism reports to the client, worded as Kafka words them."""

from __future__ import annotations


class SaslFailure(Exception):
    """Authentication failed; `str(exc)` is the message sent to the client in SaslAuthenticate."""

    def __init__(self, client_message: str, cause: str = "") -> None:
        super().__init__(client_message)
        self.client_message = client_message
        self.cause = cause or client_message


def generic_failure(mechanism: str, reauthenticating: bool, cause: str) -> SaslFailure:
    """Kafka's answer to a SaslException: a fixed sentence that does not say whether the user exists."""
    doing = "re-authentication" if reauthenticating else "authentication"
    return SaslFailure(f"Authentication failed during {doing} due to invalid credentials with SASL mechanism "
                       f"{mechanism}", cause)
