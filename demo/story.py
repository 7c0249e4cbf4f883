"""``rcm demo``: the whole story offline, against the sandbox Bot API, with the real bot.

Three families write in Arabic, Ukrainian and Spanish; the rules flag a phone number; a
reviewer redacts it and approves, returns a message that is too long, approves it once
edited; a delegate exports the site's batch PDF, records a hand-over and a transfer; a reply
photo comes back, is reviewed and reaches the family. Every step is narrated as it happens.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.app import RunningBot, start_bot
from bot.i18n.catalog import translator
from bot.texts import category_reason, state_name
from bot.transport import address_of
from demo.people import (
    ADMIN_ID,
    DELEGATE_ID,
    FATHER,
    MOTHER,
    REVIEWER_ID,
    SISTER,
    SISTER_SHORT,
    Family,
    reply_sheet,
)
from demo.simulate import REF, ScriptedUser, Transcript, button_with
from relay import audit, messages, people
from relay.files import write_private
from relay.findings import FindingLike
from relay.settings import Settings
from sandbox import SandboxClient, SandboxServer, TranscriptEntry

BOT_ID = 100_000
TOKEN = f"{BOT_ID}:DEMO"


@dataclass
class Narrator:
    """Prints each step with the time since the start, and keeps them for the summary."""

    stream: TextIO = sys.stdout
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def __call__(self, who: str, what: str) -> None:
        line = f"[{time.monotonic() - self.started:5.1f}s] {who:<28} {what}"
        self.lines.append(line)
        print(line, file=self.stream, flush=True)


@dataclass
class Story:
    client: SandboxClient
    running: RunningBot
    say: Narrator
    refs: dict[int, str] = field(default_factory=dict)

    def user(self, user_id: int, lang: str, name: str, timeout: float = 30.0) -> ScriptedUser:
        return ScriptedUser(self.client, user_id, name, lang, timeout=timeout)

    async def message_id(self, family: Family) -> str:
        person = await people.find(self.running.services.store, address_of(family.user_id))
        assert person is not None
        return await messages.find_reference(
            self.running.services.store, person.id, self.refs[family.user_id]
        )

    # -- families ---------------------------------------------------------------------------
    async def write(self, family: Family) -> None:
        user = self.user(family.user_id, family.lang, family.name)
        await user.onboard(family.name, family.latin)
        self.say(family.who, f"/start, read the notice in {family.lang}, agreed, gave a name")
        findings = self.running.services.checker.check(
            family.text,
            lang=family.lang,
            site_code=family.to.site_code,
            word_limit=self.running.services.sites[family.to.site_code].word_limit,
        )
        ref = await user.write(family.to, family.text)
        self.refs[family.user_id] = ref
        seen = ", ".join(_flagged(f) for f in findings) or "nothing"
        self.say(
            family.who,
            f"sent {ref} to {family.to.latin_name or family.to.full_name} "
            f"at {family.to.site_code}; the preview flagged: {seen}",
        )

    # -- staff ------------------------------------------------------------------------------
    async def grant(self, admin: ScriptedUser, *args: str) -> None:
        mark = await admin.say("/grant " + " ".join(args))
        await admin.wait_text(r"granted to user", mark, edited_ok=False)
        self.say("Amina, admin", "/grant " + " ".join(args))

    async def review(self, reviewer: ScriptedUser, plan: dict[str, str]) -> None:
        """Take messages with /next until none is left, deciding by reference per ``plan``."""
        while True:
            mark = await reviewer.say("/next")

            def card_or_none(entries: Transcript, mark: int = mark) -> TranscriptEntry | None:
                # A message's photo comes just before its card: the card is what answers.
                fresh = [
                    e for e in entries if e.from_bot and e.message_id > mark and e.kind != "photo"
                ]
                return fresh[0] if fresh else None

            card = await reviewer.wait_until(card_or_none)
            if not button_with(card, "rev:ok:"):
                self.say("Rana, reviewer", "/next: nothing left to review")
                return
            found = REF.search(card.text or "")
            ref = found.group(0) if found else "?"
            action = plan.get(ref, "approve")
            if button_with(card, "rev:pk:"):  # a photo is judged before the text
                card = await reviewer.press_then(card, "rev:pk:", "rev:ok:")
                self.say("Rana, reviewer", f"{ref}: looked at the photo and kept it")
            if action == "redact":
                confirm = await reviewer.press_then(card, "rev:red:", "rev:red2:")
                await reviewer.press_then(confirm, "rev:red2:", "rev:next:")
                self.say("Rana, reviewer", f"{ref}: approved with the phone number removed")
            elif action == "return":
                mid = (button_with(card, "rev:ok:") or "").split(":")[2]
                reasons = await reviewer.press_then(card, "rev:ret:", "rev:rr:")
                confirm = await reviewer.press_then(reasons, f"rev:rr:{mid}.too_long", "rev:ret2:")
                await reviewer.press_then(confirm, "rev:ret2:", "rev:next:")
                self.say("Rana, reviewer", f"{ref}: returned for editing (too long for the site)")
            else:
                await reviewer.press_then(card, "rev:ok:", "rev:next:")
                self.say("Rana, reviewer", f"{ref}: approved as it is")

    async def sister_edits(self) -> None:
        sister = self.user(SISTER.user_id, SISTER.lang, SISTER.name)
        returned = await sister.wait_button("msg:edit:", 0)
        self.say(SISTER.who, "was told why, in Spanish: " + (returned.text or "").splitlines()[1])
        mark = await sister.press(returned, "msg:edit:")
        await sister.wait_button("new:cancel", mark)
        mark = await sister.say(SISTER_SHORT)
        preview = await sister.wait_button("new:send", mark)
        mark = await sister.press(preview, "new:send")
        await sister.wait_text(REF.pattern + r"[\s\S]*/status", mark)
        self.say(SISTER.who, f"shortened it and sent {self.refs[SISTER.user_id]} again")

    async def deliver(self, delegate: ScriptedUser, out_dir: Path) -> Path:
        mark = await delegate.say("/export ALP")

        def sent(suffix: str) -> Callable[[Transcript], TranscriptEntry | None]:
            def found(entries: Transcript) -> TranscriptEntry | None:
                return next(
                    (
                        e
                        for e in entries
                        if e.from_bot
                        and e.message_id > mark
                        and e.kind == "document"
                        and (e.file_name or "").endswith(suffix)
                    ),
                    None,
                )

            return found

        doc = await delegate.wait_until(sent(".pdf"))
        assert doc.file_id is not None
        assert doc.file_name is not None
        pdf = await self.client.file_bytes(doc.file_id)
        path = out_dir / doc.file_name
        write_private(path, pdf)
        # The signature the bot sends next, kept beside the PDF as /export's delegate would:
        # `rcm verify` then tells this batch genuine.
        sig = await delegate.wait_until(sent(".sig"))
        assert sig.file_id is not None
        write_private(out_dir / f"{doc.file_name}.sig", await self.client.file_bytes(sig.file_id))
        self.say(
            "Dan, delegate",
            f"/export ALP: received {doc.file_name} ({len(pdf) // 1024} KB) and its signature"
            f" {doc.file_name}.sig",
        )
        batch_id = doc.file_name.removeprefix("batch-ALP-").removesuffix(".pdf")
        mark = await delegate.say(f"/handover {batch_id}")
        checklist = await delegate.wait_button("del:ok:", mark)
        mother_mid, father_mid = await self.message_id(MOTHER), await self.message_id(FATHER)
        await delegate.press(checklist, f"del:ok:{mother_mid}")
        await self.user(MOTHER.user_id, "ar", "m").wait_text(
            re.escape(self.refs[MOTHER.user_id]) + ".*\n?.*", 0
        )
        self.say("Dan, delegate", f"{self.refs[MOTHER.user_id]}: handed over to Ahmad")
        checklist = await delegate.wait_button(f"del:tr:{father_mid}", 0)
        picker = await delegate.press_then(checklist, f"del:tr:{father_mid}", "del:to:")
        await delegate.press(picker, f"del:to:{father_mid}.BRV")
        self.say(
            "Dan, delegate",
            f"{self.refs[FATHER.user_id]}: Andrii was transferred to BRV;"
            " the message goes back to the queue for Bravo",
        )
        photo = reply_sheet(self.refs[MOTHER.user_id])
        mark = await self.client.send_photo(DELEGATE_ID, photo, caption="reply\n" + _reply())
        await delegate.wait_text("received", mark, edited_ok=False)
        self.say(
            "Dan, delegate",
            f"sent the photo of Ahmad's reply; the QR code read {self.refs[MOTHER.user_id]}",
        )
        return path


def _flagged(finding: FindingLike) -> str:
    """Say a finding as the family's preview does: the English reason, then the passage."""
    reason = category_reason(translator("en"), str(finding.category))
    if str(finding.category) == "length":
        return reason  # the passage is the whole overflow: the reason says it all
    return f"«{clip(finding.matched, 40)}»: {reason}"


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` characters at a word boundary, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" /,;") + "…"


def _reply() -> str:
    from demo.people import REPLY_TEXT

    return REPLY_TEXT


async def _timelines(story: Story) -> list[dict[str, object]]:
    en = translator("en")
    result: list[dict[str, object]] = []
    for family in (MOTHER, FATHER, SISTER):
        person = await people.find(story.running.services.store, address_of(family.user_id))
        assert person is not None
        for view in reversed(await messages.list_for(story.running.services.store, person.id)):
            steps = [state_name(en, e.state, view.kind) for e in view.timeline]
            story.say(family.who, f"{view.reference} ({view.kind}): " + " → ".join(steps))
            result.append(
                {
                    "family": family.who,
                    "reference": view.reference,
                    "kind": view.kind.value,
                    "state": view.state.value,
                    "timeline": [e.state.value for e in view.timeline],
                }
            )
    return result


async def run_story(story: Story, out_dir: Path) -> dict[str, object]:
    """Play the whole loop; return the summary."""
    admin = story.user(ADMIN_ID, "en", "Amina")
    reviewer = story.user(REVIEWER_ID, "en", "Rana")
    delegate = story.user(DELEGATE_ID, "en", "Dan", timeout=60.0)
    for staff in (admin, reviewer, delegate):
        await staff.setup()
    await asyncio.gather(*(story.write(f) for f in (MOTHER, FATHER, SISTER)))
    await story.grant(admin, str(REVIEWER_ID), "reviewer", "ar,uk,es,en")
    await story.grant(admin, str(DELEGATE_ID), "delegate")
    plan = {story.refs[MOTHER.user_id]: "redact", story.refs[SISTER.user_id]: "return"}
    await story.review(reviewer, plan)
    mother = story.user(MOTHER.user_id, "ar", "m")
    told = await mother.wait_text(re.escape(story.refs[MOTHER.user_id]), 0, edited_ok=False)
    told_text = (told.text or "").replace("\n", " / ")
    story.say(MOTHER.who, "was told in Arabic: " + clip(told_text, 90))
    await story.sister_edits()
    await story.review(reviewer, {})
    pdf = await story.deliver(delegate, out_dir)
    await story.review(reviewer, {})
    story.running.services.wake_outbox()

    def reply_photo(entries: Transcript) -> TranscriptEntry | None:
        return next((e for e in entries if e.from_bot and e.kind == "photo"), None)

    photo = await mother.wait_until(reply_photo)
    story.say(MOTHER.who, "received Ahmad's reply: the photo and its transcription")
    assert photo.caption is not None
    timelines = await _timelines(story)
    entries = await audit.verify(story.running.services.store)
    story.say("system", f"audit chain verified: {entries} entries")
    return {
        "pdf": str(pdf),
        "references": story.refs,
        "messages": timelines,
        "audit_entries": entries,
    }


async def run_demo(
    out_dir: Path,
    data_dir: Path,
    *,
    interactive: bool = False,
    database_url: str | None = None,
    vault_url: str | None = None,
) -> int:
    """Start the sandbox and the bot, play the story, write the summary (``out_dir`` exists)."""
    say = Narrator()
    async with SandboxServer(port=0) as sandbox:
        settings = Settings(
            bot_token=TOKEN,
            telegram_api_url=sandbox.api_root,
            data_dir=data_dir,
            admin_ids=(ADMIN_ID,),
            requests_per_minute=600,
            database_url=database_url,
            vault_url=vault_url,
        )
        running = await start_bot(settings, poll_timeout_s=1)
        say("system", f"sandbox Bot API on {sandbox.api_root}; bot started; data in {data_dir}")
        try:
            async with SandboxClient(sandbox.api_root, bot_id=BOT_ID) as client:
                await client.ensure_bot(BOT_ID)
                summary = await run_story(Story(client, running, say), out_dir)
                summary["seconds"] = round(time.monotonic() - say.started, 1)
                # Summaries name people and quote messages: private like any export.
                write_private(
                    out_dir / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False)
                )
                write_private(out_dir / "summary.txt", "\n".join(say.lines) + "\n")
                say(
                    "system",
                    f"done in {summary['seconds']} s; wrote {summary['pdf']} and its .sig"
                    f" (check it: rcm verify {summary['pdf']}), "
                    f"{out_dir / 'summary.json'} and {out_dir / 'summary.txt'}",
                )
                if interactive:
                    from demo.repl import repl, settler

                    await repl(client, sandbox.api_root, settler(sandbox, running))
        finally:
            await running.stop()
    return 0
