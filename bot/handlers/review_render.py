"""What a reviewer reads: the review card, its buttons, the queue, staff-side sentences.

Pure functions of the domain's records and a translator: no Telegram calls, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.callbacks import cb
from bot.handlers.common import Buttons
from bot.handlers.preview import printability_lines
from bot.i18n.catalog import Translator
from bot.texts import category_reason, photo_reason, relationship_name, return_reason, state_name
from relay.findings import Finding
from relay.models import MessageKind, MessageState, ReturnReason
from relay.review import QueueLine, ReviewItem
from relay.review_card import KEEP, CardDetails, PhotoReason
from words import codes

# Room left in a Telegram message (4096) for the header, legend and the cut notice.
TEXT_ROOM = 3000
LIMIT = 4000  # Telegram takes 4096; the right-to-left marks of directed() need a little room
OPEN, CLOSE = "⟦", "⟧"


def selection(item: ReviewItem, selected: Sequence[int] | None) -> list[int]:
    """Return the proposed spans (by number, from 1) the reviewer keeps; all by default."""
    count = len(item.proposed)
    if selected is None:
        return list(range(1, count + 1))
    return sorted(n for n in set(selected) if 1 <= n <= count)


def chosen_spans(
    item: ReviewItem, selected: Sequence[int] | None, extra: Sequence[Sequence[int]]
) -> tuple[tuple[int, int], ...]:
    """Return every span to redact: the kept proposals plus the passages typed by hand."""
    proposed = item.proposed
    spans = [proposed[n - 1] for n in selection(item, selected)]
    spans += [(int(a), int(b)) for a, b in extra]
    return tuple(sorted(set(spans)))


def marked_text(text: str, findings: Sequence[Finding]) -> str:
    """Wrap every finding in ⟦ ⟧ followed by its number(s); overlapping findings share one."""
    regions: list[tuple[int, int, list[int]]] = []
    ordered = sorted(enumerate(findings, start=1), key=lambda p: (p[1].start, p[1].end))
    for number, f in ordered:
        start, end = f.start, f.end
        if f.category == "length" or end <= start:
            continue  # the whole text: said in the legend, not marked
        if regions and start < regions[-1][1]:
            a, b, numbers = regions[-1]
            regions[-1] = (a, max(b, end), [*numbers, number])
        else:
            regions.append((start, end, [number]))
    out: list[str] = []
    pos = 0
    for start, end, numbers in regions:
        label = ",".join(str(n) for n in numbers)
        out.append(text[pos:start] + OPEN + text[start:end] + CLOSE + label)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def card_text(
    tr: Translator,
    item: ReviewItem,
    selected: Sequence[int] | None,
    extra: Sequence[Sequence[int]],
) -> str:
    """Return the review card: header, history, the text with findings marked, a legend."""
    _ = tr.gettext
    kind = _("reply") if item.kind == MessageKind.REPLY else _("message")
    lines = [
        # Translators: header of a review card: reference · site · language · kind
        _("{ref} · {site} · {lang} · {kind}").format(
            ref=item.reference, site=item.site_code, lang=item.lang, kind=kind
        )
    ]
    lines += who_to_whom(tr, item.details)
    waited = item.details.waited_days
    due = tr.ngettext("waiting {n} day", "waiting {n} days", waited).format(n=waited)
    if item.due_at:
        due += " · " + _("due {date}").format(date=tr.date(item.due_at))
    if item.overdue:
        due = "⚠ " + _("overdue") + " · " + due
    lines.append(due)
    if item.written_lang and item.written_lang != item.lang:
        # Translators: on a review card; {lang} is a language code such as "uk"
        lines.append(
            _("Written in {lang} (interface: {ui})").format(lang=item.written_lang, ui=item.lang)
        )
    if item.state == MessageState.ESCALATED:
        lines.append(_("Escalated. Note: {note}").format(note=item.escalation_note or "—"))
    if item.override_note:
        lines.append(
            _(
                "A senior reviewer proposes to leave the blocking finding in: {note}. "
                "A second senior reviewer decides (four eyes)."
            ).format(note=item.override_note)
        )
    if item.has_photo:
        lines.append(photo_line(tr, item.photo_verdict))
    lines += earlier_lines(tr, item.details)
    body = marked_text(item.text, item.findings)
    if len(body) > TEXT_ROOM:
        hidden = len(body) - TEXT_ROOM
        body = (
            body[:TEXT_ROOM]
            + "…\n"
            + tr.ngettext(
                "[cut: {n} more character not shown]",
                "[cut: {n} more characters not shown]",
                hidden,
            ).format(n=hidden)
        )
    lines += ["", body, ""]
    kept = set(selection(item, selected))
    proposal = 0
    for number, f in enumerate(item.findings, start=1):
        mark = ""
        if f.severity == "redact":
            proposal += 1
            mark = " ☑" if proposal in kept else " ☐"
        lines.append(
            f"{number}. {codes.name(_, codes.SEVERITIES, f.severity)}"
            f"{mark} — {category_reason(tr, f.category)}"
            + (f" ({f.detail})" if f.detail else "")  # a phone's country, E.164
        )
    for a, b in extra:
        lines.append("✂ " + _("you remove: «{passage}»").format(passage=item.text[a:b]))
    if not item.findings:
        lines.append(_("The rules found nothing."))
    lines += printability_lines(tr, item.text)
    return _fit(lines, _("… (more findings not shown)"))


def who_to_whom(tr: Translator, details: CardDetails) -> list[str]:
    """Return who writes to whom, names in both scripts, and how they are related."""
    _ = tr.gettext

    def both(name: str, latin: str) -> str:
        if latin and latin != name:
            return f"{name} ({latin})"
        return name or "—"

    relation = relationship_name(tr, details.relationship) if details.relationship else "—"
    return [
        _("From: {sender}").format(sender=both(details.sender_name, details.sender_latin)),
        # Translators: "To: <addressee name> · <relationship of the sender to them>"
        _("To: {addressee} · {relationship}").format(
            addressee=both(details.addressee_name, details.addressee_latin),
            relationship=relation,
        ),
    ]


def photo_line(tr: Translator, verdict: str | None) -> str:
    """Say what becomes of the photo (the reviewer must judge it before approving)."""
    _ = tr.gettext
    if verdict is None:
        return _("🖼 A photo comes with this message (shown above): keep it or remove it first.")
    if verdict == KEEP:
        return _("🖼 Photo: kept.")
    return _("🖼 Photo: removed ({reason}).").format(reason=photo_reason(tr, verdict))


def earlier_lines(tr: Translator, details: CardDetails) -> list[str]:
    """Return the sender's earlier messages in short: reference, state, date, first words."""
    if not details.earlier:
        return []
    lines = [tr.gettext("Earlier from this sender:")]
    for e in details.earlier:
        words = f": {e.excerpt}" if e.excerpt else ""
        lines.append(f"• {e.reference} ({state_name(tr, e.state)}, {tr.date(e.at)}){words}")
    return lines


def _fit(lines: list[str], more: str, limit: int = LIMIT) -> str:
    """Join lines, dropping the last ones (the legend) to stay under Telegram's limit."""
    text = "\n".join(lines)
    while len(text) > limit and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, more])
    return text[:limit]


def card_buttons(
    tr: Translator,
    item: ReviewItem,
    selected: Sequence[int] | None,
    extra: Sequence[Sequence[int]],
) -> Buttons:
    """Return the card's buttons (every callback under 64 bytes, area ``rev``)."""
    _ = tr.gettext
    mid = item.message_id
    rows: list[list[tuple[str, str]]] = [[(_("✅ Approve as it is"), cb("rev", "ok", mid))]]
    kept = set(selection(item, selected))
    toggles = [
        (("☑ " if n in kept else "☐ ") + str(n), cb("rev", "tog", f"{mid}.{n}"))
        for n in range(1, len(item.proposed) + 1)
    ]
    for i in range(0, len(toggles), 5):
        rows.append(toggles[i : i + 5])
    count = len(chosen_spans(item, selected, extra))
    if count:
        rows.append(
            [
                (
                    tr.ngettext(
                        "✂ Approve with {n} removal", "✂ Approve with {n} removals", count
                    ).format(n=count),
                    cb("rev", "red", mid),
                )
            ]
        )
    rows.append([(_("✂ Remove another passage"), cb("rev", "add", mid))])
    if item.has_photo:
        keep = "☑ " if item.photo_verdict == KEEP else ""
        drop = "☑ " if item.photo_verdict not in (None, KEEP) else ""
        rows.append(
            [
                (keep + _("🖼 Keep the photo"), cb("rev", "pk", mid)),
                (drop + _("🖼 Remove the photo"), cb("rev", "px", mid)),
            ]
        )
    row = [(_("↩ Return"), cb("rev", "ret", mid))]
    if item.state != MessageState.ESCALATED:
        row.append((_("⬆ Escalate"), cb("rev", "esc", mid)))
    rows.append(row)
    rows.append([(_("Put back in the queue"), cb("rev", "rel", mid))])
    return rows


def reason_buttons(tr: Translator, message_id: str) -> Buttons:
    """Return one button per return reason, and Back."""
    rows = [
        [(return_reason(tr, r.value), cb("rev", "rr", f"{message_id}.{r.value}"))]
        for r in ReturnReason
    ]
    rows.append([(tr.gettext("« Back"), cb("rev", "card", message_id))])
    return rows


def photo_reason_buttons(tr: Translator, message_id: str) -> Buttons:
    """Return one button per reason to remove a photo, and Back."""
    rows = [
        [(photo_reason(tr, r.value), cb("rev", "pr", f"{message_id}.{r.value}"))]
        for r in PhotoReason
    ]
    rows.append([(tr.gettext("« Back"), cb("rev", "card", message_id))])
    return rows


def confirm_buttons(tr: Translator, verb: str, message_id: str) -> Buttons:
    """Return Confirm / Back for a destructive action (the second tap)."""
    _ = tr.gettext
    return [
        [(_("Confirm"), cb("rev", verb, message_id))],
        [(_("« Back"), cb("rev", "card", message_id))],
    ]


def next_buttons(tr: Translator) -> Buttons:
    return [[(tr.gettext("Next message"), cb("rev", "next"))]]


def queue_text(tr: Translator, lines: Sequence[QueueLine], now: dt.datetime) -> str:
    """Return the backlog by site and language."""
    _ = tr.gettext
    if not lines:
        return _("The queue is empty.")
    out = [_("Waiting for review:")]
    for line in lines:
        days = max(0, (now - line.oldest).days)
        parts = [
            tr.ngettext("{n} waiting", "{n} waiting", line.waiting).format(n=line.waiting),
            tr.ngettext("oldest {n} day", "oldest {n} days", days).format(n=days),
            tr.ngettext("{n} overdue", "{n} overdue", line.overdue).format(n=line.overdue),
            tr.ngettext("{n} reader", "{n} readers", line.readers).format(n=line.readers),
        ]
        warn = " ⚠" if line.readers == 0 else ""
        out.append(f"{line.site_code} · {line.lang}: " + ", ".join(parts) + warn)
    return "\n".join(out)


def staff_error(tr: Translator, code: str) -> str | None:
    """Return the sentence for a review-side refusal, or None when it is not one of them."""
    _ = tr.gettext
    errors = {
        "needs_senior": _(
            "This message has a blocking finding. Only a senior reviewer can approve it, "
            "with a note. Escalate it, remove the passage, or return it."
        ),
        "four_eyes": _(
            "You escalated this message, so another senior reviewer must decide on it "
            "(four eyes). Put it back in the queue for them."
        ),
        "note_required": _("Overriding a blocking finding needs a note. Type it now."),
        "already_escalated": _("This message is already with a senior reviewer."),
        "passage_not_found": _(
            "This passage is not in the message. Type it exactly, or give positions like 10-25."
        ),
        "passage_ambiguous": _(
            "This passage occurs more than once. Type a longer passage, or positions like 10-25."
        ),
        "bad_span": _("These positions are outside the text."),
        "conflict": _(
            "You no longer hold this message: it was put back in the queue, "
            "or held too long without a decision."
        ),
        "photo_unjudged": _(
            "Judge the photo first: keep it, or remove it with a reason the family reads."
        ),
        "nothing_left": _(
            "Without its photo this reply has no text left to send. Return it instead."
        ),
    }
    return errors.get(code)
