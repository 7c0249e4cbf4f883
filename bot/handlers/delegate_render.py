"""What delegates read: batch lists, the hand-over checklist and its buttons, error sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.callbacks import cb
from bot.handlers.common import Buttons
from bot.i18n.catalog import Translator
from bot.texts import undeliverable_reason
from relay.delivery import BatchInfo
from relay.handover import ChecklistLine
from relay.models import MessageState, Site
from relay.print_held import HeldBack

CHECKLIST_ROWS = 20  # five buttons a row, and Telegram allows 100 buttons a message
CHECKLIST_LINES = 60  # keep the text well under Telegram's 4096 characters

# Callback verbs of the checklist (``del:<verb>:<message id>``).
OUTCOME_VERBS = {
    "ok": "handed_over",
    "rel": "released",
    "unk": "unknown",
    "ref": "refused",
}


def batches_text(tr: Translator, batches: Sequence[BatchInfo]) -> str:
    """List recent batches with how many outcomes are still to record."""
    _ = tr.gettext
    if not batches:
        return _("No batches yet. Use /export SITE to print the approved messages of a site.")
    lines = [_("Recent batches:")]
    for b in batches:
        lines.append(
            # Translators: one batch: id, site code, date, messages, how many still open
            _("{id} · {site} · {date} · {count} messages, {open} to record").format(
                id=b.id,
                site=b.site_code,
                date=tr.date(b.created_at),
                count=b.message_count,
                open=b.open_count,
            )
        )
    lines.append(_("Record outcomes with /handover BATCH."))
    return "\n".join(lines)


def _outcome_word(tr: Translator, line: ChecklistLine) -> str:
    _ = tr.gettext
    if line.state == MessageState.PRINTED:
        return _("to record")
    if line.state == MessageState.DELIVERED:
        return _("handed over")
    if line.moved_to:
        # Translators: on the hand-over checklist; site is a site code such as BRV
        return _("transferred to {site}").format(site=line.moved_to)
    if line.outcome:
        return undeliverable_reason(tr, line.outcome)
    return line.state.value


def checklist_text(tr: Translator, batch_id: str, lines: Sequence[ChecklistLine]) -> str:
    """The checklist: one numbered line per message of the batch."""
    _ = tr.gettext
    out = [_("Batch {id}: record what happened to each message.").format(id=batch_id)]
    for n, line in enumerate(lines[:CHECKLIST_LINES], start=1):
        out.append(f"{n}. {line.reference} · {line.latin_name} · {_outcome_word(tr, line)}")
    if len(lines) > CHECKLIST_LINES:
        out.append(_("… and {n} more.").format(n=len(lines) - CHECKLIST_LINES))
    if not any(line.state == MessageState.PRINTED for line in lines):
        out.append(_("Every outcome of this batch is recorded."))
    return "\n".join(out)


def checklist_buttons(tr: Translator, lines: Sequence[ChecklistLine]) -> Buttons:
    """One row of outcome buttons per message still to record (numbered like the text)."""
    _ = tr.gettext
    rows: list[list[tuple[str, str]]] = []
    for n, line in enumerate(lines, start=1):
        if line.state != MessageState.PRINTED:
            continue
        mid = line.message_id
        rows.append(
            [
                # Translators: button, message number n was handed over
                (_("{n} ✓").format(n=n), cb("del", "ok", mid)),
                # Translators: short button, the addressee was released
                (_("released"), cb("del", "rel", mid)),
                # Translators: short button, the addressee was transferred elsewhere
                (_("moved"), cb("del", "tr", mid)),
                # Translators: short button, the addressee is unknown at the site
                (_("unknown"), cb("del", "unk", mid)),
                # Translators: short button, the addressee refused the message
                (_("refused"), cb("del", "ref", mid)),
            ]
        )
        if len(rows) >= CHECKLIST_ROWS:
            break
    return rows


def site_picker(
    tr: Translator, message_id: str, reference: str, here: str, sites: Mapping[str, Site]
) -> tuple[str, Buttons]:
    """Ask where the addressee was transferred to."""
    _ = tr.gettext
    text = _("{ref}: where was the person transferred to?").format(ref=reference)
    rows: Buttons = [
        [(f"{s.code} · {s.name}", cb("del", "to", f"{message_id}.{s.code}"))]
        for s in sites.values()
        if s.code != here
    ]
    return text, [*rows, [(_("Not known"), cb("del", "to", f"{message_id}.-"))]]


def held_text(tr: Translator, held: Sequence[HeldBack]) -> str:
    """Say which messages an export held back, and why (the rest was printed)."""
    lines = [
        tr.ngettext(
            "{n} message was held back: it has letters no font can print. It was "
            "returned to its family to be written again, and the reviewer who approved it "
            "is told.",
            "{n} messages were held back: they have letters no font can print. They were "
            "returned to their families to be written again, and the reviewers who "
            "approved them are told.",
            len(held),
        ).format(n=len(held))
    ]
    lines += [f"• {h.reference} ({h.codes})" for h in held]
    return "\n".join(lines)


def nothing_printable_text(tr: Translator, held: Sequence[HeldBack]) -> str:
    """Say that no message of an export could be printed, which, and what became of them."""
    lines = [
        tr.gettext(
            "No message of this batch can be printed: each has letters that no font can "
            "print. Nothing was printed; they were returned to their families to be "
            "written again."
        )
    ]
    lines += [f"• {h.reference} ({h.codes})" for h in held]
    return "\n".join(lines)


def delegate_error(tr: Translator, code: str, **params: object) -> str | None:
    """A delegate-side refusal in plain words, or None for the common answers."""
    _ = tr.gettext
    texts = {
        "nothing_to_export": _("No approved message is waiting to be printed for this site."),
        "unprintable": _(
            "No message of this batch can be printed: {ref} and any others have letters "
            "that no font can print ({chars}). Nothing was marked printed."
        ),
        "not_printed": _("That message has not been printed, so no reply can be attached."),
        "bad_site": _("Unknown site."),
        "claim_needs_number_or_birth_date": _(
            "Please give your detainee number or your date of birth, then your full name, "
            "for example: /claim A-1234 Karim Haddad"
        ),
    }
    text = texts.get(code)
    return text.format(**params) if text is not None else None
