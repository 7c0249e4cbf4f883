"""The preview before sending: laid out like the printed form, with the rules' findings."""

from __future__ import annotations

from typing import Any

from bot.callbacks import cb
from bot.context import Services
from bot.handlers.common import Buttons, nav_row
from bot.handlers.steps import shown
from bot.i18n.catalog import Translator
from bot.texts import category_reason, relationship_name
from relay import messages, people
from relay.export import printable
from relay.text_input import word_count
from words.printability import printability_lines as words_printability


def too_long(tr: Translator, count: int, limit: int) -> str:
    """Say how long the text is against the site's limit, in numbers."""
    # Translators: {count} words written, {limit} the most this place of detention allows
    return tr.ngettext(
        "You wrote {count} word; this place allows {limit}.",
        "You wrote {count} words; this place allows {limit}.",
        count,
    ).format(count=count, limit=limit)


def printability_lines(tr: Translator, text: str) -> list[str]:
    """Say which characters of `text` cannot be printed (the family's preview, the card)."""
    found = printable.check(text)
    return words_printability(tr.gettext, found.symbols, found.letters)


def _findings(svc: Services, tr: Translator, text: str, site_code: str, lang: str) -> list[str]:
    site = svc.sites.get(site_code)
    found = svc.checker.check(
        text, lang=lang, site_code=site_code, word_limit=site.word_limit if site else None
    )
    _ = tr.gettext
    lines: list[str] = []
    for f in found:
        sign = {"block": "⛔", "redact": "✂", "flag": "⚠"}.get(str(f.severity), "•")
        if str(f.category) == "length" and site is not None:
            lines.append(f"{sign} {too_long(tr, word_count(text), site.word_limit)}")
            continue
        snippet = text[f.start : f.end]
        if len(snippet) > 40:
            snippet = snippet[:40] + "…"
        lines.append(f"{sign} «{snippet}»: {category_reason(tr, str(f.category))}")
    if lines:
        lines.insert(0, _("Before you send, please check:"))
        lines.append(
            _("⛔ will be returned to you, ✂ will be removed, ⚠ a reviewer will look at it.")
        )
    return lines


async def render_preview(
    svc: Services, tr: Translator, person_id: str, draft: dict[str, Any]
) -> tuple[str, Buttons]:
    """Return the preview text and its buttons."""
    _ = tr.gettext
    person = await people.get(svc.store, person_id)
    profile = await people.load_profile(svc.store, person_id)
    ad = dict(draft.get("ad", {}))
    if draft.get("addressee_id"):
        for known in await messages.addressees(svc.store, person_id):
            if known.id == draft["addressee_id"]:
                ad = {
                    "full_name": known.full_name,
                    "latin_name": known.latin_name,
                    "father_name": known.father_name,
                    "birth_date": known.birth_date,
                    "detainee_number": known.detainee_number,
                    "relationship": known.relationship,
                    "site_code": known.site_code,
                }
    site_code = ad.get("site_code") or draft.get("site_code", "")
    site = svc.sites.get(site_code)
    text = draft.get("text", "")
    limit = site.word_limit if site else 0
    lines = [_("RED CROSS MESSAGE: preview"), "────────────"]
    if ad:
        lines.append(
            _("To: {name} ({latin})").format(
                name=ad.get("full_name", ""), latin=ad.get("latin_name", "")
            )
        )
        if ad.get("father_name"):
            lines.append(_("Father's name: {name}").format(name=ad["father_name"]))
        if ad.get("birth_date"):
            lines.append(
                _("Born: {date}").format(
                    date=tr.birth_date(ad["birth_date"], site.country_code if site else None)
                )
            )
        if ad.get("detainee_number"):
            lines.append(_("Detainee number: {number}").format(number=ad["detainee_number"]))
    if site is not None:
        lines.append(_("Place: {site}").format(site=site.local_name(tr.lang)))
    if profile is not None:
        lines.append(
            _("From: {name} ({latin})").format(name=profile.full_name, latin=profile.latin_name)
        )
    if ad.get("relationship"):
        lines.append(
            _("Your relationship to them: {relationship}").format(
                relationship=relationship_name(tr, ad["relationship"])
            )
        )
    lines += ["────────────", text, "────────────"]
    lines.append(_("{count} of {limit} words").format(count=word_count(text), limit=limit))
    if draft.get("photo"):
        lines.append(_("With one family photo."))
    lines += _findings(svc, tr, text, site_code, person.lang)
    lines += printability_lines(tr, text)
    rows: list[list[tuple[str, str]]] = [
        [(_("✔ Send"), cb("new", "send", shown(draft)))],
        [(_("✎ Change the text"), cb("new", "edit"))],
        nav_row(tr),
    ]
    if printable.check(text).symbols:
        rows.insert(1, [(_("🖨 Remove the signs that cannot be printed"), cb("new", "strip"))])
    return "\n".join(lines), rows
