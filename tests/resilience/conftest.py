"""Resilience harness: the bot as a real process (killable) or in-process, families that
tolerate a bot that comes and goes, a reviewer on its own connection, transcript counting."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n.catalog import translator
from bot.transport import address_of
from demo.simulate import REF, ScriptedUser, button_with
from relay import people, roles
from relay.crypto import KeyRing
from relay.models import Role
from relay.review import Decision, Verdict, claim_next, decide
from relay.store import Store
from sandbox import SandboxClient, TranscriptEntry

# The e2e fixtures (sandbox, client, in-process bot) serve these tests too.
from tests.e2e.conftest import BOT_ID, TOKEN, bot, client, sandbox  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]
LONG = os.environ.get("RCM_LONG") == "1"
ERROR_SENTENCE = "Something went wrong on our side. Please try again later."


def bot_env(api_root: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of `rcm run` against the sandbox, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCM_")}
    env.update(
        RCM_TELEGRAM_API_URL=api_root,
        RCM_BOT_TOKEN=TOKEN,
        RCM_DATA_DIR=str(data_dir),
        RCM_REQUESTS_PER_MINUTE="6000",
        RCM_MESSAGES_PER_DAY="500",
        **extra,
    )
    return env


@dataclass
class BotProcess:
    """`python -m rcm run` as a child process that can be killed and started again."""

    api_root: str
    data_dir: Path
    log_dir: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0
    # Extra command-line arguments of `run` (webhook mode) and environment (database).
    run_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    name: str = "bot"

    async def start(self) -> None:
        assert self.proc is None or self.proc.returncode is not None
        self.starts += 1
        # A file, not a pipe: nobody drains a pipe between kills.
        with (self.log_dir / f"{self.name}-{self.starts:03d}.log").open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "rcm",
                "--env-file",
                os.devnull,
                "run",
                *self.run_args,
                env=bot_env(self.api_root, self.data_dir, **self.env),
                cwd=REPO,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def kill(self) -> int:
        """SIGKILL the process (nothing runs after it); return its exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        code = await self.proc.wait()
        self.kills += 1
        return code

    async def ready(self, within: float = 30.0) -> None:
        """Wait until the current process has logged that the bot started."""
        deadline = time.monotonic() + within
        while "bot started" not in self.log():
            assert self.proc is not None
            assert self.proc.returncode is None, self.log()[-3000:]
            assert time.monotonic() < deadline, "the bot did not start"
            await asyncio.sleep(0.05)

    async def stop(self) -> int:
        """SIGTERM once the bot is up (its handler is installed then), wait for a clean exit."""
        assert self.proc is not None
        if self.proc.returncode is None:
            await self.ready()
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=30)

    async def cleanup(self) -> None:
        """Kill whatever is still running (a failed test must not leave a bot behind)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def log(self, start: int | None = None) -> str:
        n = start or self.starts
        return (self.log_dir / f"{self.name}-{n:03d}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "".join(self.log(n) for n in range(1, self.starts + 1))


async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def open_store(data_dir: Path, env: dict[str, str] | None = None) -> Store:
    """A second connection to the bot's database, with the same key file."""
    keys = KeyRing.load_or_create(data_dir / "keys" / "master.json")
    env = env or {}
    return await Store.open(
        data_dir / "rcm.sqlite3",
        keys,
        url=env.get("RCM_DATABASE_URL"),
        vault_url=env.get("RCM_VAULT_URL"),
    )


async def make_reviewer(store: Store, telegram_id: int, langs: Iterable[str]) -> str:
    return await roles.grant(
        store,
        actor_id="test",
        target=address_of(telegram_id),
        role=Role.REVIEWER,
        languages=tuple(langs),
        bootstrap=True,
    )


async def approve_waiting(store: Store, reviewer_id: str) -> list[str]:
    """Approve every message in the queue; return their ids."""
    done: list[str] = []
    while (item := await claim_next(store, reviewer_id=reviewer_id, lease_s=600)) is not None:
        await decide(
            store,
            reviewer_id=reviewer_id,
            message_id=item.message_id,
            decision=Decision(Verdict.APPROVE),
        )
        done.append(item.reference)
    return done


@dataclass(frozen=True)
class StoredMessage:
    reference: str
    text: str
    state: str


async def family_messages(store: Store, telegram_id: int) -> list[StoredMessage]:
    """Every message of the family with this Telegram id, decrypted."""
    person = await people.find(store, address_of(telegram_id))
    if person is None:
        return []
    out: list[StoredMessage] = []
    async with store.tx() as tx:
        rows = await tx.all("SELECT * FROM messages WHERE family_id = ?", (person.id,))
        for row in rows:
            ref = await tx.open_for(person.id, "messages", "ref", row["id"], row["ref_enc"])
            body = await tx.open_json_for(
                person.id, "messages", "body", row["id"], row["body_enc"]
            )
            out.append(StoredMessage(ref.decode(), str(body["text"]), str(row["state"])))
    return out


def approved_sentence(lang: str, reference: str) -> str:
    return translator(lang).gettext("Your message {ref} was approved.").format(ref=reference)


def bot_texts(entries: Iterable[TranscriptEntry]) -> list[str]:
    return [e.text or e.caption or "" for e in entries if e.from_bot]


def approvals_told(entries: list[TranscriptEntry], lang: str, refs: Iterable[str]) -> Counter[str]:
    """How many times each reference's approval reached the chat."""
    texts = bot_texts(entries)
    return Counter({ref: sum(approved_sentence(lang, ref) in t for t in texts) for ref in refs})


def refs_shown(entries: list[TranscriptEntry]) -> set[str]:
    """References the bot showed in the chat (confirmation, edit, or 'already sent')."""
    return {m.group(0) for t in bot_texts(entries) for m in REF.finditer(t)}


class Stuck(Exception):
    """The bot did not move the conversation on in time (it was down, or a step got lost)."""


@dataclass
class PatientFamily:
    """A family that keeps going while the bot is killed and restarted.

    It drives the compose flow by the buttons it sees; a step that gets no answer in time
    (the bot was down, or a kill interrupted it) is driven again from /new. A submission
    counts as confirmed only once the bot showed its reference.
    """

    client: SandboxClient
    user_id: int
    lang: str
    step_timeout: float = 12.0
    presses: Counter[str] = field(default_factory=Counter)  # send presses per text
    # the preview messages whose send was pressed, per text (the bot edits them to confirm)
    previews: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    confirmed: dict[str, str] = field(default_factory=dict)  # reference -> text
    redrives: int = 0

    @property
    def user(self) -> ScriptedUser:
        return ScriptedUser(
            self.client, self.user_id, f"F{self.user_id}", self.lang, timeout=self.step_timeout
        )

    async def onboard(self) -> None:
        u = self.user
        await u.onboard("Sara Lee")

    async def _latest(self, prefixes: tuple[str, ...], after: int) -> TranscriptEntry:
        deadline = time.monotonic() + self.step_timeout
        while time.monotonic() < deadline:
            entries = await self.client.transcript(self.user_id)
            for e in reversed(entries):
                if (
                    e.from_bot
                    and not e.deleted
                    and e.message_id > after
                    and any(button_with(e, p) for p in prefixes)
                ):
                    return e
            await asyncio.sleep(0.05)
        raise Stuck(f"user {self.user_id}: no {prefixes} after {after}")

    async def _press(self, entry: TranscriptEntry, prefix: str) -> int:
        data = button_with(entry, prefix)
        assert data is not None
        mark = (await self.client.transcript(self.user_id))[-1].message_id
        await self.client.press(self.user_id, entry.message_id, data)
        return mark

    async def _attempt(self, text: str) -> str:
        known = set(self.confirmed)
        mark = await self.client.send_text(self.user_id, "/new")
        pick = await self._latest(("new:to:",), mark)
        if button_with(pick, "new:to:a_"):
            mark = await self._press(pick, "new:to:a_")
        else:
            mark = await self._press(pick, "new:to:new")
            await self._latest(("new:cancel",), mark)
            mark = await self.client.send_text(self.user_id, "John Smith")
            for _ in range(3):  # father, birth date, detainee number
                step = await self._latest(("new:skip",), mark)
                mark = await self._press(step, "new:skip")
            rel = await self._latest(("new:rel:",), mark)
            mark = await self._press(rel, "new:rel:son")
            site = await self._latest(("new:site:",), mark)
            mark = await self._press(site, "new:site:ALP")
            confirm = await self._latest(("new:ok",), mark)
            mark = await self._press(confirm, "new:ok")
        await self._latest(("new:cancel",), mark)
        mark = await self.client.send_text(self.user_id, text)
        photo = await self._latest(("new:skip",), mark)
        mark = await self._press(photo, "new:skip")
        preview = await self._latest(("new:send",), mark)
        if text not in (preview.text or ""):
            # A careful family reads the preview: one that shows another letter (a step of an
            # earlier attempt answered late) is not pressed.
            raise Stuck(f"user {self.user_id}: the preview shows another text")
        self.presses[text] += 1
        self.previews[text].append(preview.message_id)
        await self._press(preview, "new:send")
        return await self._wait_new_ref(known, {preview.message_id})

    async def _wait_new_ref(self, known: set[str], previews: set[int]) -> str:
        """Wait for a new reference in one of ``previews`` (the bot edits the pressed preview
        into its confirmation). Binding it to the preview matters with several workers: an
        earlier letter's send, taken over when its worker's lease ends, may be confirmed late,
        in that earlier letter's preview, while this one waits."""
        deadline = time.monotonic() + self.step_timeout
        while time.monotonic() < deadline:
            fresh = self._refs_in(await self.client.transcript(self.user_id), previews) - known
            if fresh:
                return sorted(fresh)[0]
            await asyncio.sleep(0.05)
        raise Stuck(f"user {self.user_id}: no reference")

    @staticmethod
    def _refs_in(entries: list[TranscriptEntry], previews: set[int]) -> set[str]:
        return refs_shown([e for e in entries if e.message_id in previews])

    async def submit(self, text: str, *, attempts: int = 12) -> str | None:
        """Write ``text`` until the bot shows a reference for it; return it (None: gave up)."""
        for _ in range(attempts):
            try:
                ref = await self._attempt(text)
            except Stuck:
                self.redrives += 1
                # A reference may have come late (the send was replayed after a restart).
                entries = await self.client.transcript(self.user_id)
                late = self._refs_in(entries, set(self.previews[text])) - set(self.confirmed)
                if late and self.presses[text]:
                    self.confirmed[sorted(late)[0]] = text
                    return sorted(late)[0]
                continue
            self.confirmed[ref] = text
            return ref
        return None
