"""The authorization matrix: every staff command and button of every role, tried by every other
role and by a stranger, on real objects and made-up ones. Each is refused with the one
sentence, on the spot (a command: once, in the chat; a button: its answer), each refusal is
audited, and nothing moves. A delegate of another site passes the role guard but learns
nothing either: the answers for a real and a made-up object are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.i18n.catalog import translator
from bot.transport import address_of
from demo.simulate import AddresseeForm, ScriptedUser, Transcript
from relay import claims, delivery, handover, messages, people, review, roles
from relay.models import Role, Site
from relay.reference import new_reference
from relay.roles import ADMINISTERING, ANY_STAFF, CONFIRMING, DELEGATING, REVIEWING
from relay.store import Store
from sandbox import SandboxClient, TranscriptEntry
from tests.e2e.conftest import BotStarter
from tests.e2e.staff import ADMIN_ID
from tests.e2e.test_staff_auth import answer_of
from tests.quiet import drained
from tests.relay.delivery_helpers import approve_all

FAMILY_A, FAMILY_B, STRANGER, RELEASED = 7_100_000_001, 7_100_000_002, 7_100_000_003, 7_100_4
REVIEWER, SENIOR, DELEGATE_ALP, DELEGATE_BRV = 7_200_001, 7_200_002, 7_200_003, 7_200_004
FAKE_MID = "m_00000000deadbeef"
FAKE_CLAIM = "c_deadbeef"
REV_VERBS = [
    "ok", "red", "red2", "ret", "ret2", "esc", "esc2", "ovr2", "rel", "add", "card", "pk", "px",
]  # fmt: skip


@dataclass(frozen=True)
class Objects:
    """Real objects every forbidden action is tried on (and made-up twins)."""

    printed: str  # a printed message (delegate buttons)
    held: str  # a message held by the reviewer (review buttons)
    reference: str
    batch: str
    claim: str


def actions(o: Objects) -> dict[frozenset[Role], tuple[list[str], list[str]]]:
    """Return, per set of roles that may act, the commands and buttons to try."""
    review_buttons = [
        "rev:next:",
        *[f"rev:{verb}:{mid}" for verb in REV_VERBS for mid in (o.held, FAKE_MID)],
        *[f"rev:tog:{mid}.1" for mid in (o.held, FAKE_MID)],
        *[f"rev:rr:{mid}.other" for mid in (o.held, FAKE_MID)],
        *[f"rev:pr:{mid}.writing" for mid in (o.held, FAKE_MID)],
    ]
    delegate_buttons = [
        f"del:{verb}:{mid}"
        for verb in ("ok", "rel", "unk", "ref", "tr")
        for mid in (o.printed, FAKE_MID)
    ] + [f"del:to:{mid}.BRV" for mid in (o.printed, FAKE_MID)]
    claim_buttons = [
        f"clm:{verb}:{cid}.{flags}"
        for verb, flags in (("show", "-"), ("chk", "d"), ("ok", "dq"), ("no", "q"))
        for cid in (o.claim, FAKE_CLAIM)
    ]
    return {
        REVIEWING: (["/queue", "/next", "/release"], review_buttons),
        ADMINISTERING: (
            ["/grant 4242 reviewer en", f"/grant {ADMIN_ID} admin", "/revoke 4242 reviewer",
             "/staff", "/stats"],
            [f"adm:rvk:{ADMIN_ID}.admin.", "adm:rvk:4242.reviewer.", "adm:stats:", "adm:no:"],
        ),
        DELEGATING: (
            ["/export ALP", "/export", "/batches", f"/handover {o.batch}", "/handover B00000000",
             f"/reply {o.reference}", f"/reply {new_reference()}", "/reply"],
            delegate_buttons,
        ),
        CONFIRMING: (
            ["/claims", f"/confirm_claim {o.claim}", f"/confirm_claim {FAKE_CLAIM}"],
            claim_buttons,
        ),
        ANY_STAFF: (["/alerts off", "/alerts", "/console"], []),
    }  # fmt: skip


async def snapshot(store: Store) -> list[tuple[object, ...]]:
    async with store.tx() as tx:
        rows = await tx.all("SELECT id, state, claimed_by, batch_id FROM messages ORDER BY id")
        grants = await tx.all("SELECT person_id, role, site_code, languages FROM roles")
        claim_rows = await tx.all("SELECT id, state, confirmations FROM claims")
        muted = await tx.all("SELECT person_id, muted FROM staff_alerts")
        sent = await tx.one("SELECT COUNT(*) AS n FROM outbox")
    assert sent is not None
    return [
        *[tuple(r) for r in rows],
        *sorted(tuple(g) for g in grants),
        *[tuple(c) for c in claim_rows],
        *[tuple(m) for m in muted],
        ("outbox", sent["n"]),
    ]


async def refused_count(store: Store) -> int:
    async with store.tx() as tx:
        row = await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'refused'")
    assert row is not None
    return int(row["n"])


async def setup(store: Store, client: SandboxClient, sites: Mapping[str, Site]) -> Objects:
    """A printed message, a held one, a batch and an open claim; every staff role."""

    async def give(user: int, role: Role, site: str = "", langs: tuple[str, ...] = ()) -> str:
        return await roles.grant(
            store, actor_id="config", target=address_of(user), role=role, site_code=site,
            languages=langs, bootstrap=True,
        )  # fmt: skip

    reviewer = await give(REVIEWER, Role.REVIEWER, langs=("en",))
    await give(SENIOR, Role.SENIOR, langs=("en",))
    delegate = await give(DELEGATE_ALP, Role.DELEGATE, "ALP")
    await give(DELEGATE_BRV, Role.DELEGATE, "BRV")
    family = ScriptedUser(client, FAMILY_A, "Mary", "en")
    await family.onboard("Mary Smith")
    form = AddresseeForm(full_name="John Smith", site_code="ALP")
    ref = await family.write(form, "All well.")
    person = await people.find(store, address_of(FAMILY_A))
    assert person is not None
    printed = await messages.find_reference(store, person.id, ref)
    await approve_all(store, reviewer)
    batch = await delivery.export_batch(store, actor_id=delegate, site="ALP", sites=sites)
    # (the family's "approved" and "printed" notices land first: a notice arriving while the
    # family writes would be read as the next step's prompt)
    await drained(store)
    await family.write(form, "All well again.")
    held = await review.claim_next(store, reviewer_id=reviewer, lease_s=3600)
    assert held is not None
    await handover.batch_of(store, printed)
    released = await people.ensure(store, address_of(RELEASED), "en")
    claim = await claims.open_claim(
        store, person_id=released.id, full_name="John Smith", detainee_number="X1"
    )
    return Objects(printed, held.message_id, ref, batch.id, claim)


async def bot_answers(user: ScriptedUser, after: int) -> list[TranscriptEntry]:
    return [e for e in await user.transcript() if e.from_bot and e.message_id > after]


async def try_commands(user: ScriptedUser, commands: Iterable[str]) -> list[tuple[str, str]]:
    """Type each command; return (command, the one answer), checking there is only one."""
    said: list[tuple[str, str]] = []
    for command in commands:
        mark = await user.say(command)

        def first(entries: Transcript, mark: int = mark) -> TranscriptEntry | None:
            return next((e for e in entries if e.from_bot and e.message_id > mark), None)

        said.append((command, (await user.wait_until(first)).text or ""))
    return said


async def test_every_staff_action_of_every_role_by_everyone_else(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given every staff role, and a stranger, a family, in several languages
    running = await bot()
    store = running.services.store
    objects = await setup(store, client, running.services.sites)
    actors = {
        "stranger": (ScriptedUser(client, STRANGER, "S", "fr"), set()),
        "family": (ScriptedUser(client, FAMILY_B, "B", "ar"), set()),
        "reviewer": (ScriptedUser(client, REVIEWER, "R", "en"), {Role.REVIEWER}),
        "senior": (ScriptedUser(client, SENIOR, "P", "en"), {Role.SENIOR}),
        "delegate": (ScriptedUser(client, DELEGATE_ALP, "D", "en"), {Role.DELEGATE}),
        "admin": (ScriptedUser(client, ADMIN_ID, "A", "en"), {Role.ADMIN}),
    }
    await actors["family"][0].onboard("Eve Jones")
    before, refused_before = await snapshot(store), await refused_count(store)
    attempts = 0
    for who, (user, held) in actors.items():
        await user.setup()
        person = await people.find(store, address_of(user.user_id))
        sentence = translator(person.lang if person else user.lang).gettext(
            "Sorry, you are not allowed to do this."
        )
        anchor = await user.mark()
        for needs, (commands, buttons) in actions(objects).items():
            if held & needs:
                continue
            # When they type each command of a role they lack
            said = await try_commands(user, commands)
            # Then each is answered with the one sentence (in their language)
            directed = translator(person.lang if person else user.lang).directed(sentence)
            assert said == [(c, directed) for c in commands], who
            # When they forge each button of that role, on real and made-up objects
            for data in buttons:
                query = await client.press(user.user_id, anchor, data, force=True)
                # Then the button's answer is the one sentence
                assert (who, data, await answer_of(client, query)) == (who, data, sentence)
            attempts += len(commands) + len(buttons)
        # And the chat holds exactly one answer per command, nothing more
        count = sum(len(c) for n, (c, _b) in actions(objects).items() if not held & n)
        assert len(await bot_answers(user, anchor)) == count, who
    # And every attempt was audited as refused, and nothing moved
    assert await refused_count(store) - refused_before == attempts
    assert await snapshot(store) == before


async def button_answer(
    client: SandboxClient, user: ScriptedUser, query_id: str, mark: int
) -> str:
    """Return what a button press was answered: its alert, or else a chat message."""
    answer = await answer_of(client, query_id)
    if answer:
        return answer
    return (await user.wait_reply(mark)).text or ""


async def test_a_delegate_of_another_site_learns_nothing(
    bot: BotStarter, client: SandboxClient
) -> None:
    # Given an ALP batch and a delegate of BRV
    running = await bot()
    store = running.services.store
    o = await setup(store, client, running.services.sites)
    before = await snapshot(store)
    user = ScriptedUser(client, DELEGATE_BRV, "D", "en")
    await user.setup()
    # When they try each delegate action on the real ALP objects and on made-up ones
    pairs = [
        (f"/handover {o.batch}", "/handover B00000000"),
        (f"/reply {o.reference}", f"/reply {new_reference()}"),
    ]
    for real, fake in pairs:
        answers = [text for _c, text in await try_commands(user, [real, fake])]
        # Then the answers are the same, and say nothing of the message
        assert answers[0] == answers[1], (real, answers)
        assert o.reference not in answers[0]
    said = await try_commands(user, ["/export ALP"])
    assert said == [("/export ALP", "Sorry, you are not allowed to do this.")]
    anchor = await user.mark()
    for verb in ("ok", "rel", "tr"):
        answers = []
        for mid in (o.printed, FAKE_MID):
            mark = await user.mark()
            query = await client.press(user.user_id, anchor, f"del:{verb}:{mid}", force=True)
            answers.append(await button_answer(client, user, query, mark))
        assert answers[0] == answers[1], (verb, answers)
    # And nothing moved
    assert await snapshot(store) == before
    # While the ALP delegate does see the difference (the check above could fail)
    allowed = ScriptedUser(client, DELEGATE_ALP, "A", "en")
    await allowed.setup()
    both = [f"/handover {o.batch}", "/handover B00000000"]
    seen = [t for _c, t in await try_commands(allowed, both)]
    assert seen[0] != seen[1]
    assert o.reference in seen[0]


async def test_a_family_cannot_act_on_another_familys_message(
    bot: BotStarter, client: SandboxClient
) -> None:
    running = await bot()
    store = running.services.store
    owner = ScriptedUser(client, FAMILY_A, "Mary", "en")
    other = ScriptedUser(client, FAMILY_B, "Eve", "en")
    await owner.onboard("Mary Smith")
    await other.onboard("Eve Jones")
    ref = await owner.write(AddresseeForm(full_name="John Smith", site_code="ALP"), "All well.")
    person = await people.find(store, address_of(FAMILY_A))
    assert person is not None
    mid = await messages.find_reference(store, person.id, ref)
    before = await snapshot(store)
    anchor = await other.mark()
    for verb in ("cancel2", "edit", "cancel"):
        answers = []
        for target in (mid, FAKE_MID):
            mark = await other.mark()
            await client.press(FAMILY_B, anchor, f"msg:{verb}:{target}", force=True)
            answers.append((await other.wait_reply(mark)).text or "")
        assert answers[0] == answers[1], (verb, answers)
        assert ref not in answers[0]
    # And the other family's /status shows nothing of it (updates are handled in order: once
    # it is answered, the presses above are done)
    mark = await other.say("/status")
    assert ref not in ((await other.wait_reply(mark)).text or "")
    assert await snapshot(store) == before
