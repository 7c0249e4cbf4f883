"""Domain errors of RCM Relay.

Hierarchy (every error a caller may answer to a user derives from ``RelayError``):

- ``RelayError``
  - ``ConfigError``           settings or files are invalid; the message names the setting
  - ``NotFound``              an unknown reference or id (never says whether it exists elsewhere)
  - ``NotAllowed``            the actor's role does not allow the action
  - ``InvalidTransition``     the message is not in a state that allows the action
  - ``Conflict``              somebody else got there first (claim taken, lease lost)
    - ``StaleState``          a conversation state changed since it was read
  - ``InvalidInput``          user input refused (too long, bad characters, bad date ...)
  - ``CryptoError``           a ciphertext does not decrypt (tampered, moved, key destroyed)
  - ``KeyFileError``          the key file is missing, malformed or readable by others
  - ``AuditChainBroken``      ``audit verify`` found an altered, removed or inserted entry
  - ``UnprintableCharacters`` no available font can draw some characters of a message
  - ``RateLimited``           a per-user limit was reached

Each carries a machine-readable ``code`` so that the bot can pick a localized sentence; the
``str()`` of an error is for logs and operators and never contains personal data.
"""

from __future__ import annotations


class RelayError(Exception):
    """Base of every domain error."""

    code = "error"


class ConfigError(RelayError):
    code = "config"


class ReadOnly(RelayError):
    """A statement that writes ran in a transaction that only reads (``Store.read``)."""

    code = "read_only"


class NotFound(RelayError):
    code = "not_found"


class NotAllowed(RelayError):
    code = "not_allowed"


class InvalidTransition(RelayError):
    code = "invalid_transition"

    def __init__(self, message_id: str, current: str, wanted: str) -> None:
        super().__init__(f"message {message_id}: {current} -> {wanted} is not allowed")
        self.message_id = message_id
        self.current = current
        self.wanted = wanted

    def __reduce__(self) -> tuple[type[InvalidTransition], tuple[str, str, str]]:
        return (type(self), (self.message_id, self.current, self.wanted))


class Conflict(RelayError):
    code = "conflict"


class StaleState(Conflict):
    """A person's conversation state changed since it was read (another update got there)."""


class InvalidInput(RelayError):
    """User input refused; ``code`` says why (the bot turns it into a localized sentence)."""

    def __init__(self, code: str, detail: str = "", **params: object) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.params = params


class CryptoError(RelayError):
    code = "crypto"


class KeyFileError(RelayError):
    code = "key_file"


class AuditChainBroken(RelayError):
    code = "audit_chain"

    def __init__(self, seq: int, why: str) -> None:
        super().__init__(f"audit entry {seq}: {why}")
        self.seq = seq
        self.why = why

    def __reduce__(self) -> tuple[type[AuditChainBroken], tuple[int, str]]:
        return (type(self), (self.seq, self.why))


class UnprintableCharacters(RelayError):
    """A message holds characters no available font draws; the export stops."""

    code = "unprintable"

    def __init__(self, reference: str, chars: str) -> None:
        shown = " ".join(f"U+{ord(c):04X}" for c in chars)
        super().__init__(f"{reference}: no available font can draw {shown}")
        self.reference = reference
        self.chars = chars

    def __reduce__(self) -> tuple[type[UnprintableCharacters], tuple[str, str]]:
        # Rebuilt from its own arguments when it crosses back from the export worker process.
        return (type(self), (self.reference, self.chars))


class RateLimited(RelayError):
    code = "rate_limited"

    def __init__(self, what: str, retry_after_s: float) -> None:
        super().__init__(f"{what}: retry after {retry_after_s:.0f}s")
        self.what = what
        self.retry_after_s = retry_after_s

    def __reduce__(self) -> tuple[type[RateLimited], tuple[str, float]]:
        return (type(self), (self.what, self.retry_after_s))
