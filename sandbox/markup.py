"""parse_mode handling: turn HTML or Markdown into plain text and entities, refusing as Telegram.

Telegram stores plain text plus entities and rejects malformed markup with "can't parse
entities"; the sandbox does the same so that a bot which forgets to escape a user's name is
caught in tests rather than in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sandbox.state import JSON, SandboxError, utf16_len

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CHARREF_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def cant_parse(detail: str) -> SandboxError:
    """Build Telegram's answer to malformed markup."""
    return SandboxError(400, f"Bad Request: can't parse entities: {detail}")


def parse_text(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
    """Return (plain text, entities) for text sent with an optional parse_mode."""
    mode = (parse_mode or "").strip()
    if not mode:
        return text, list(entities) if isinstance(entities, list) else []
    if mode.lower() == "html":
        return _parse_html(text)
    if mode.lower() == "markdownv2":
        return _parse_markdown(text, v2=True)
    if mode.lower() == "markdown":
        return _parse_markdown(text, v2=False)
    raise SandboxError(400, f"Bad Request: unsupported parse_mode {mode}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


# One tokenizer loop, like Telegram's own parser, reads better than helpers passing state.
def _parse_html(text: str) -> tuple[str, list[JSON]]:  # noqa: PLR0912
    out: list[str] = []
    result: list[JSON] = []
    stack: list[tuple[str, int, JSON]] = []
    extra: JSON
    length = 0  # UTF-16 length of the plain text produced so far
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if m is None:
                raise cant_parse(f"Unsupported start tag at byte offset {_byte_offset(text, i)}")
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in _HTML_TAGS:
                word = "end" if closing else "start"
                raise cant_parse(
                    f'Unsupported {word} tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    raise cant_parse(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)},"
                        f' expected "</{stack[-1][0] if stack else name}>", found '
                        f'"</{name}>"'
                    )
                tag, start, extra = stack.pop()
                if length > start:
                    result.append(
                        {
                            "type": _HTML_TAGS[tag],
                            "offset": start,
                            "length": length - start,
                            **extra,
                        }
                    )
            else:
                attrs = {
                    a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or ""
                    for a in _ATTR_RE.finditer(m.group(3))
                }
                extra = {}
                if name == "a":
                    extra["url"] = attrs.get("href", "")
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise cant_parse(
                        'Tag "span" must have class "tg-spoiler" at byte offset '
                        f"{_byte_offset(text, i)}"
                    )
                stack.append((name, length, extra))
            i = m.end()
            continue
        if ch == "&":
            m = _CHARREF_RE.match(text, i)
            if m is not None:
                piece = html.unescape(m.group(0))
                out.append(piece)
                length += utf16_len(piece)
                i = m.end()
                continue
        out.append(ch)
        length += utf16_len(ch)
        i += 1
    if stack:
        raise cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), sorted(result, key=lambda e: (e["offset"], -e["length"]))


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[JSON]]:  # noqa: PLR0912, PLR0915
    out: list[str] = []
    result: list[JSON] = []
    stack: list[tuple[str, int, int]] = []  # marker, plain offset, byte offset in source
    length = 0
    link: tuple[int, int] | None = None
    i, n = 0, len(text)

    def emit(piece: str) -> None:
        nonlocal length
        out.append(piece)
        length += utf16_len(piece)

    while i < n:
        ch = text[i]
        if ch == "\\" and v2:
            if i + 1 >= n:
                raise cant_parse(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            emit(text[i + 1])
            i += 2
            continue
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            if end < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise cant_parse(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}"
                )
            body = text[i + len(fence) : end]
            entity: JSON = {"type": "code"}
            if fence == "```":
                entity = {"type": "pre"}
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    entity["language"], body = first, rest
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            start = length
            emit(body)
            if length > start:
                result.append({**entity, "offset": start, "length": length - start})
            i = end + len(fence)
            continue
        if ch == "[" and link is None:
            link = (length, i)
            i += 1
            continue
        if ch == "]" and link is not None and text.startswith("(", i + 1):
            close = text.find(")", i + 2)
            if close < 0:
                raise cant_parse(f"Can't find end of a URL at byte offset {_byte_offset(text, i)}")
            start = link[0]
            if length > start:
                result.append(
                    {
                        "type": "text_link",
                        "offset": start,
                        "length": length - start,
                        "url": text[i + 2 : close],
                    }
                )
            link = None
            i = close + 1
            continue
        marker = next((mk for mk in (("__", "||") if v2 else ()) if text.startswith(mk, i)), None)
        if marker is None and ch in ("*_~" if v2 else "*_"):
            marker = ch
        if marker is not None:
            open_at = next(
                (k for k in range(len(stack) - 1, -1, -1) if stack[k][0] == marker), None
            )
            if open_at is None:
                stack.append((marker, length, _byte_offset(text, i)))
            else:
                _, start, _ = stack.pop(open_at)
                if length > start:
                    name = _MDV2_NAMES[marker] if v2 else {"*": "bold", "_": "italic"}[marker]
                    result.append({"type": name, "offset": start, "length": length - start})
            i += len(marker)
            continue
        if v2 and ch == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # a quotation line: Telegram renders it as a blockquote; we keep the text
            continue
        if v2 and ch in _MDV2_RESERVED:
            raise cant_parse(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if link is not None:
        raise cant_parse(
            f"Can't find end of a TextUrl entity at byte offset {_byte_offset(text, link[1])}"
        )
    if stack:
        marker, _, byte_at = stack[-1]
        name = (_MDV2_NAMES[marker] if v2 else "the").title()
        raise cant_parse(f"Can't find end of {name} entity at byte offset {byte_at}")
    return "".join(out), sorted(result, key=lambda e: (e["offset"], -e["length"]))
