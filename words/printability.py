"""What the family's preview, the reviewer's card and the console's review page say about
characters that cannot be printed, in the same words.

The check itself is the export's (``relay.export.printable.check``); the callers pass what it
found, since words/ depends on none of our packages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def printability_lines(
    _: Callable[[str], str], symbols: Sequence[str], letters: Sequence[str]
) -> list[str]:
    """Say which signs will be left out of the paper and which letters stop it printing."""
    lines: list[str] = []
    if symbols:
        lines.append(
            _(
                "🖨 These signs cannot be printed and will be left out of the paper letter: {chars}"
            ).format(chars=" ".join(symbols))
        )
    if letters:
        lines.append(
            _(
                "🖨 These letters cannot be printed: {chars}. Those words must be written in "
                "another script, or the letter will be returned to be written again."
            ).format(chars=" ".join(letters))
        )
    return lines
