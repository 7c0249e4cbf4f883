"""Staff side, administrators: /grant, /revoke (two taps), /staff, /stats.

The role guard (``bot.handlers.guard``) checks the role first: a refusal is audited and
says nothing. Roles are granted by Telegram user id; the lists show internal
person ids only, never chat ids or names.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram import Update
from telegram.ext import Application

from bot.callbacks import cb, parse
from bot.context import Ctx
from bot.handlers.common import answer_error, edit_or_say, keyboard, say, services
from bot.handlers.guard import Staff, staff_button, staff_command
from bot.i18n.catalog import Translator
from bot.texts import state_name
from bot.transport import address_of
from relay import roles
from relay.errors import InvalidInput, RelayError
from relay.figures import Figures, collect_figures
from relay.models import Role, Site
from relay.roles import ADMINISTERING


def usage(tr: Translator) -> str:
    _ = tr.gettext
    return "\n".join(
        [
            # Translators: keep the command words and the role names in English
            _("Usage:"),
            "/grant <telegram_user_id> <reviewer|senior|delegate|admin> [SITE] [ar,fa]",
            "/revoke <telegram_user_id> <role> [SITE]",
        ]
    )


def parse_grant(
    args: list[str], sites: Mapping[str, Site]
) -> tuple[int, Role, str, tuple[str, ...]]:
    """Parse ``<id> <role> [site] [langs]``; the site is a known code, langs like ar,fa.

    A word that is neither a known site nor a list of language codes is refused: a grant
    limited to a site that does not exist would silently mean something else.
    """
    if len(args) < 2 or not args[0].isdigit() or args[1].lower() not in set(Role):
        raise InvalidInput("usage")
    site = ""
    langs: tuple[str, ...] = ()
    for extra in args[2:4]:
        if extra.upper() in sites:
            site = extra.upper()
        elif extra in ("*", "all"):
            site = ""
        elif "," in extra or (len(extra) == 2 and extra.islower()):
            langs = roles.parse_languages(extra)
        else:
            raise InvalidInput("unknown_site", extra)
    return int(args[0]), Role(args[1].lower()), site, langs


def _error(tr: Translator, exc: InvalidInput, sites: Mapping[str, Site]) -> str:
    _ = tr.gettext
    what = str(exc).split(": ", 1)[-1]
    if exc.code == "unknown_site":
        return _("There is no site {site}. Sites: {codes}.").format(
            site=what, codes=", ".join(sorted(sites))
        )
    if exc.code == "unknown_language":
        return _("Unknown language: {what}. Languages: {codes}.").format(
            what=what, codes=",".join(sorted(roles.LANG_CODES))
        )
    return usage(tr)


async def cmd_grant(update: Update, context: Ctx, who: Staff) -> None:
    """Give a Telegram user a staff role."""
    pid, tr = who.person_id, who.tr
    svc = services(context)
    try:
        tid, role, site, langs = parse_grant(list(context.args or []), svc.sites)
        person = await roles.grant(
            svc.store,
            actor_id=pid,
            target=address_of(tid),
            role=role,
            site_code=site,
            languages=langs,
            known_sites=svc.sites,
        )
    except InvalidInput as exc:
        await say(update, tr, _error(tr, exc, svc.sites))
        return
    except RelayError as exc:
        await answer_error(update, tr, exc)
        return
    _ = tr.gettext
    text = _("{role} granted to user {id} (person {person}).").format(
        role=role.value, id=tid, person=person
    )
    text += "\n" + _("Site: {site}. Languages: {langs}.").format(
        site=site or _("every site"), langs=",".join(langs) or "—"
    )
    await say(update, tr, text)


async def cmd_revoke(update: Update, context: Ctx, who: Staff) -> None:
    """Ask for the second tap before taking a role away."""
    _pid, tr = who.person_id, who.tr
    args = list(context.args or [])
    sites = services(context).sites
    if len(args) < 2 or not args[0].isdigit() or args[1].lower() not in set(Role):
        await say(update, tr, usage(tr))
        return
    site = args[2].upper() if len(args) > 2 and args[2].upper() in sites else ""
    role = args[1].lower()
    rows = [
        [(tr.gettext("Confirm"), cb("adm", "rvk", f"{args[0]}.{role}.{site}"))],
        [(tr.gettext("No"), cb("adm", "no"))],
    ]
    text = tr.gettext("Take the role {role} ({site}) away from user {id}?").format(
        role=role, site=site or tr.gettext("every site"), id=args[0]
    )
    await say(update, tr, text, keyboard(rows))


async def cmd_staff(update: Update, context: Ctx, who: Staff) -> None:
    """List every role held, by person id."""
    pid, tr = who.person_id, who.tr
    grants = await roles.all_grants(services(context).store, actor_id=pid)
    lines = [tr.gettext("Staff roles:")]
    for g in grants:
        where = g.site_code or tr.gettext("every site")
        lines.append(f"{g.person_id} · {g.role.value} · {where} · {','.join(g.languages) or '—'}")
    await say(update, tr, "\n".join(lines))


def stats_text(tr: Translator, figures: Figures) -> str:
    """Return the counts by state, by site, and of the outbox."""
    _ = tr.gettext
    lines = [_("Messages by state:")]
    lines += [f"  {state_name(tr, s)}: {n}" for s, n in sorted(figures.by_state.items())]
    lines.append(_("Overdue: {n}").format(n=figures.overdue))
    lines.append(_("By site:"))
    for site, counts in sorted(figures.by_site.items()):
        lines.append(f"  {site}: " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())))
    lines.append(_("Notifications (outbox):"))
    lines += [f"  {s}: {n}" for s, n in sorted(figures.outbox.items())]
    return "\n".join(lines)


async def cmd_stats(update: Update, context: Ctx, who: Staff) -> None:
    """Show counts by state, by site, and of the outbox."""
    pid, tr = who.person_id, who.tr
    figures = await collect_figures(services(context).store, staff_id=pid)
    rows = [[(tr.gettext("Refresh"), cb("adm", "stats"))]]
    await say(update, tr, stats_text(tr, figures), keyboard(rows))


async def on_button(update: Update, context: Ctx, who: Staff) -> None:
    """Handle ``adm:`` buttons (the guard checked the role): the verb."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    pid, tr = who.person_id, who.tr
    await query.answer()
    svc = services(context)
    if data is not None and data.verb == "stats":
        figures = await collect_figures(svc.store, staff_id=pid)
        rows = [[(tr.gettext("Refresh"), cb("adm", "stats"))]]
        await edit_or_say(update, tr, stats_text(tr, figures), keyboard(rows))
        return
    parts = data.arg.split(".") if data is not None else []
    if data is None or data.verb != "rvk" or len(parts) != 3 or not parts[0].isdigit():
        await edit_or_say(update, tr, tr.gettext("Nothing was changed."))
        return
    try:
        held = await roles.revoke(
            svc.store,
            actor_id=pid,
            target=address_of(int(parts[0])),
            role=Role(parts[1]),
            site_code=parts[2],
        )
    except (RelayError, ValueError):
        await edit_or_say(update, tr, tr.gettext("Nothing was changed."))
        return
    text = tr.gettext("Role taken away.") if held else tr.gettext("This role was not held.")
    await edit_or_say(update, tr, text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the admin handlers (group 0)."""
    staff_command(app, "grant", ADMINISTERING, cmd_grant)
    staff_command(app, "revoke", ADMINISTERING, cmd_revoke)
    staff_command(app, "staff", ADMINISTERING, cmd_staff)
    staff_command(app, "stats", ADMINISTERING, cmd_stats)
    staff_button(app, "adm", ADMINISTERING, on_button)
