"""The preview before sending: laid out like the printed form, with the rules' findings."""

from __future__ import annotations

from bot.callbacks import cb
from bot.context import Services
from bot.handlers.common import Buttons, nav_row
from bot.handlers.compose_state import AddresseeDraft, ComposeState
from bot.handlers.steps import shown
from bot.i18n.catalog import Translator
from bot.texts import category_reason, relationship_name
from relay import messages, people
from relay.export import printable
from relay.models import Site
from relay.text_input import word_count


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
    lines: list[str] = []
    if found.symbols:
        lines.append(
            tr.gettext(
                "🖨 These signs cannot be printed and will be left out of the paper letter: {chars}"
            ).format(chars=" ".join(found.symbols))
        )
    if found.letters:
        lines.append(
            tr.gettext(
                "🖨 These letters cannot be printed: {chars}. Please write those words in "
                "another script, or the letter will wait until it can be printed."
            ).format(chars=" ".join(found.letters))
        )
    return lines


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
    svc: Services, tr: Translator, person_id: str, draft: ComposeState
) -> tuple[str, Buttons]:
    """Return the preview text and its buttons."""
    _ = tr.gettext
    person = await people.get(svc.store, person_id)
    profile = await people.load_profile(svc.store, person_id)
    ad = await _addressee(svc, person_id, draft)
    site_code = ad.site_code or draft.site_code
    site = svc.sites.get(site_code)
    text = draft.text
    lines = [_("RED CROSS MESSAGE: preview"), "────────────"]
    lines += _addressee_lines(tr, ad, site)
    if profile is not None:
        lines.append(
            _("From: {name} ({latin})").format(name=profile.full_name, latin=profile.latin_name)
        )
    if ad.relationship:
        relationship = relationship_name(tr, ad.relationship)
        lines.append(
            _("Your relationship to them: {relationship}").format(relationship=relationship)
        )
    lines += ["────────────", text, "────────────"]
    limit = site.word_limit if site else 0
    lines.append(_("{count} of {limit} words").format(count=word_count(text), limit=limit))
    if draft.photo:
        lines.append(_("With one family photo."))
    lines += _findings(svc, tr, text, site_code, person.lang)
    lines += printability_lines(tr, text)
    return "\n".join(lines), _buttons(tr, draft)


async def _addressee(svc: Services, person_id: str, draft: ComposeState) -> AddresseeDraft:
    """Return the addressee as the preview shows it: a known one as kept, a new as typed."""
    if draft.addressee_id:
        for known in await messages.addressees(svc.store, person_id):
            if known.id == draft.addressee_id:
                return AddresseeDraft(
                    full_name=known.full_name,
                    latin_name=known.latin_name,
                    father_name=known.father_name,
                    birth_date=known.birth_date,
                    detainee_number=known.detainee_number,
                    relationship=known.relationship,
                    site_code=known.site_code,
                )
    return draft.ad


def _addressee_lines(tr: Translator, ad: AddresseeDraft, site: Site | None) -> list[str]:
    _ = tr.gettext
    lines: list[str] = []
    if ad.full_name:
        lines.append(_("To: {name} ({latin})").format(name=ad.full_name, latin=ad.latin_name))
        if ad.father_name:
            lines.append(_("Father's name: {name}").format(name=ad.father_name))
        if ad.birth_date:
            born = tr.birth_date(ad.birth_date, site.country_code if site else None)
            lines.append(_("Born: {date}").format(date=born))
        if ad.detainee_number:
            lines.append(_("Detainee number: {number}").format(number=ad.detainee_number))
    if site is not None:
        lines.append(_("Place: {site}").format(site=site.local_name(tr.lang)))
    return lines


def _buttons(tr: Translator, draft: ComposeState) -> Buttons:
    _ = tr.gettext
    rows: list[list[tuple[str, str]]] = [
        [(_("✔ Send"), cb("new", "send", shown(draft)))],
        [(_("✎ Change the text"), cb("new", "edit"))],
        nav_row(tr),
    ]
    if printable.check(draft.text).symbols:
        rows.insert(1, [(_("🖨 Remove the signs that cannot be printed"), cb("new", "strip"))])
    return rows
