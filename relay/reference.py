"""Message references: short, printable, typeable, with a check character.

Format ``RCM-7K3F-9Q2V``: seven random characters and one check character from a 31-symbol
alphabet (Crockford's base 32 without Z; no I, L, O, U, so nothing reads as 0/1/V). With a
prime modulus and distinct position weights, the check catches every single mistyped
character and every swap of two characters.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
_MOD = len(ALPHABET)  # 31, a prime
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type for a character that is not in the alphabet.
_READ_AS = {"O": "0", "I": "1", "L": "1", "U": "V", "Z": "2"}
_BODY_LEN = 7
PATTERN = re.compile(r"RCM-[0-9A-Y]{4}-[0-9A-Y]{4}")


def _check_char(body: str) -> str:
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(body))
    # Choose c so that total + 8c == 0 (mod 31); 8 is invertible mod a prime.
    inv8 = pow(_BODY_LEN + 1, -1, _MOD)
    return ALPHABET[(-total * inv8) % _MOD]


def _format(chars: str) -> str:
    return f"RCM-{chars[:4]}-{chars[4:]}"


def new_reference() -> str:
    """Return a fresh random reference with its check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY_LEN))
    return _format(body + _check_char(body))


def parse_reference(text: str) -> str | None:
    """Return the canonical reference typed in ``text``, or None if it is not a valid one.

    Accepts lower case, missing dashes or prefix, spaces, and the usual look-alike letters.
    """
    cleaned = re.sub(r"[\s\-_.]", "", text.strip().upper())
    # Strip the prefix only when it is one: a body may itself start with R, C, M.
    if cleaned.startswith("RCM") and len(cleaned) == _BODY_LEN + 4:
        cleaned = cleaned[3:]
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) != _BODY_LEN + 1 or any(ch not in _VALUE for ch in cleaned):
        return None
    if _check_char(cleaned[:_BODY_LEN]) != cleaned[_BODY_LEN]:
        return None
    return _format(cleaned)
