"""Claims by released detainees (``/claim``), and the staff who check them (``/claims``,
``/confirm_claim``, ``clm:`` buttons); staff alerts on or off (``/alerts``).

The staff see what the claimant gave next to the candidate held messages, tick what they
checked (a document seen, questions asked: carried in the buttons, so nothing is kept
between taps) and confirm or refuse. Two different staff members confirm before anything
is delivered.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.callbacks import cb, parse
from bot.context import Ctx
from bot.handlers.common import answer_error, edit_or_say, keyboard, person_of, say, services
from bot.handlers.delegate_render import delegate_error
from bot.handlers.guard import Staff, staff_button, staff_command
from bot.i18n.catalog import Translator
from bot.texts import input_error
from relay import alerts, claims
from relay.claims import ClaimDetails
from relay.errors import NotAllowed, RelayError
from relay.roles import ANY_STAFF, CONFIRMING

# A date in any digits and order (25.12.1980, 1980-12-25, ۱۳۵۹/۱۰/۰۴); relay reads it.
_DATE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")
_FLAGS = {"d": claims.Check.DOCUMENT, "q": claims.Check.QUESTIONS}


def claim_text(tr: Translator, found: ClaimDetails) -> str:
    """Return a claim and its candidate held messages, side by side."""
    _ = tr.gettext
    lines = [
        _("Request {id} · {n} of 2 confirmations").format(
            id=found.claim_id, n=found.confirmations
        ),
        _("The person says: {name} · number {number} · born {birth}").format(
            name=found.full_name or "—",
            number=found.detainee_number or "—",
            birth=found.birth_date or "—",
        ),
        "",
        _("Messages held for a released person that may be theirs:"),
    ]
    for c in found.candidates:
        mark = "✔" if c.matches else "✖"
        names = c.full_name + (f" ({c.latin_name})" if c.latin_name != c.full_name else "")
        lines.append(
            f"{mark} {c.reference} · {c.site_code} · {names} · "
            + _("number {number} · born {birth}").format(
                number=c.detainee_number or "—", birth=c.birth_date or "—"
            )
        )
    if not found.candidates:
        lines.append(_("None."))
    lines += ["", _("✔ would be delivered. Tick what you checked, then confirm or refuse.")]
    return "\n".join(lines)


def claim_buttons(tr: Translator, claim_id: str, flags: str) -> list[list[tuple[str, str]]]:
    """Return the check toggles (their state carried in the data), Confirm and Refuse."""
    _ = tr.gettext
    flags = "".join(f for f in "dq" if f in flags)

    def toggled(flag: str) -> str:
        return ("".join(f for f in "dq" if (f in flags) != (f == flag))) or "-"

    tick = {f: "☑ " if f in flags else "☐ " for f in "dq"}
    state = flags or "-"
    return [
        [(tick["d"] + _("Document seen"), cb("clm", "chk", f"{claim_id}.{toggled('d')}"))],
        [(tick["q"] + _("Questions asked"), cb("clm", "chk", f"{claim_id}.{toggled('q')}"))],
        [
            (_("✅ Confirm"), cb("clm", "ok", f"{claim_id}.{state}")),
            (_("✖ Refuse"), cb("clm", "no", f"{claim_id}.{state}")),
        ],
    ]


async def _show(update: Update, context: Ctx, who: Staff, claim_id: str, flags: str) -> None:
    store = services(context).store
    found = await claims.claim_details(store, staff_id=who.person_id, claim_id=claim_id)
    text = claim_text(who.tr, found)
    await edit_or_say(update, who.tr, text, keyboard(claim_buttons(who.tr, claim_id, flags)))


async def cmd_claims(update: Update, context: Ctx, who: Staff) -> None:
    """List the open claims, each with a button to open it."""
    found = await claims.open_claims(services(context).store, staff_id=who.person_id)
    if not found:
        await say(update, who.tr, who.tr.gettext("No request is waiting."))
        return
    rows = [[(f"{cid} · {n}/2", cb("clm", "show", f"{cid}.-"))] for cid, n, _at in found]
    await say(update, who.tr, who.tr.gettext("Requests waiting:"), keyboard(rows))


async def cmd_confirm_claim(update: Update, context: Ctx, who: Staff) -> None:
    """Show a claim with its candidate held messages, to check and confirm or refuse."""
    if not context.args:
        text = who.tr.gettext("Which request? For example: /confirm_claim c_1a2b3c4d")
        await say(update, who.tr, text)
        return
    try:
        await _show(update, context, who, context.args[0].strip(), "-")
    except RelayError as exc:
        await _fail(update, who.tr, exc)


async def on_button(update: Update, context: Ctx, who: Staff) -> None:
    """Handle ``clm:`` buttons: open, tick a check, confirm or refuse."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    await query.answer()
    claim_id, _dot, flags = (data.arg if data else "").partition(".")
    try:
        if data is None or data.verb not in ("show", "chk", "ok", "no"):
            await say(update, who.tr, who.tr.gettext("This button is no longer valid."))
        elif data.verb in ("show", "chk"):
            await _show(update, context, who, claim_id, flags)
        else:
            await _decide(update, context, who, claim_id, data.verb, flags)
    except RelayError as exc:
        await _fail(update, who.tr, exc)


async def _decide(
    update: Update, context: Ctx, who: Staff, claim_id: str, verb: str, flags: str
) -> None:
    svc, tr = services(context), who.tr
    checked = [_FLAGS[f] for f in flags if f in _FLAGS]
    act = claims.confirm_claim if verb == "ok" else claims.refuse_claim
    result = await act(svc.store, staff_id=who.person_id, claim_id=claim_id, checked=checked)
    svc.wake_outbox()
    if result.state == "confirmed":
        text = tr.ngettext(
            "Confirmed. {n} kept message was delivered.",
            "Confirmed. {n} kept messages were delivered.",
            result.delivered,
        ).format(n=result.delivered)
    elif result.state == "refused":
        text = tr.gettext("Refused. Nothing was delivered.")
    else:
        text = tr.gettext("Noted. A second staff member must confirm too.")
    await edit_or_say(update, tr, text)


async def _fail(update: Update, tr: Translator, exc: RelayError) -> None:
    if isinstance(exc, NotAllowed) and not str(exc).startswith("four eyes"):
        raise exc  # a role refusal: the guard audits it and answers the one sentence
    _ = tr.gettext
    texts = {
        "claim_unchecked": _("Tick what you checked first: a document, or questions asked."),
        "not_allowed": _("You cannot confirm your own request."),
        "conflict": _("This request is settled already, or you confirmed it already."),
    }
    text = texts.get(exc.code)
    if text is None:
        await answer_error(update, tr, exc)
    else:
        await say(update, tr, text)


def _claim_error(tr: Translator, code: str) -> str:
    return delegate_error(tr, code) or input_error(tr, code)


async def cmd_claim(update: Update, context: Ctx) -> None:
    """Ask for the messages written to oneself while detained (staff check the identity)."""
    person, tr = await person_of(update, context)
    args = list(context.args or [])
    if len(args) < 2 or not person.consented:
        await say(update, tr, _claim_error(tr, "claim_needs_number_or_birth_date"))
        return
    first, name = args[0], " ".join(args[1:])
    dob = first if _DATE.match(first) else None
    svc = services(context)
    try:
        claim_id = await claims.open_claim(
            svc.store,
            person_id=person.id,
            full_name=name,
            detainee_number=None if dob else first,
            birth_date=dob,
        )
    except RelayError as exc:
        await say(update, tr, _claim_error(tr, exc.code))
        return
    svc.wake_outbox()  # the admins are alerted
    await say(
        update,
        tr,
        tr.gettext(
            "Your request {id} was recorded. Two Red Cross staff members will check who you "
            "are; if messages were kept for you, they will arrive in this chat."
        ).format(id=claim_id),
    )


async def cmd_alerts(update: Update, context: Ctx, who: Staff) -> None:
    """Mute (``/alerts off``) or unmute (``/alerts on``) one's staff alerts."""
    tr, store = who.tr, services(context).store
    word = (context.args[0].lower() if context.args else "").strip()
    if word in ("on", "off"):
        await alerts.set_muted(store, person_id=who.person_id, muted=word == "off")
    muted = await alerts.is_muted(store, who.person_id)
    text = tr.gettext("Alerts are off.") if muted else tr.gettext("Alerts are on.")
    await say(update, tr, text + "\n" + tr.gettext("/alerts on · /alerts off"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /claim (anybody), the staff's claim checks, and /alerts (group 0)."""
    app.add_handler(CommandHandler("claim", cmd_claim))  # a released detainee, not staff
    staff_command(app, "claims", CONFIRMING, cmd_claims)
    staff_command(app, "confirm_claim", CONFIRMING, cmd_confirm_claim)
    staff_button(app, "clm", CONFIRMING, on_button)
    staff_command(app, "alerts", ANY_STAFF, cmd_alerts)
