"""The pace of chat requests: answers to people go ahead of bulk notifications."""

from __future__ import annotations

import asyncio

import pytest

from bot.pacing import PriorityPacer


async def _order(pacer: PriorityPacer, bulk: int) -> tuple[list[str], int]:
    """Queue ``bulk`` notifications, then one answer once the first notification went out."""
    order: list[str] = []
    handed_before_answer: list[int] = []

    async def take(name: str, *, interactive: bool) -> None:
        if interactive:
            handed_before_answer.append(len(order))
        await pacer.acquire(interactive=interactive)
        order.append(name)

    # (the bucket's first second is spent at once; the rest of the bulk waits)
    tasks = [asyncio.create_task(take(f"b{n}", interactive=False)) for n in range(bulk)]
    while len(order) < pacer.capacity:  # noqa: ASYNC110 - the pacer's slots, not an event
        await asyncio.sleep(0)
    tasks.append(asyncio.create_task(take("answer", interactive=True)))
    await asyncio.gather(*tasks)
    await pacer.close()
    return order, handed_before_answer[0]


async def test_an_answer_takes_the_next_slot_ahead_of_waiting_notifications() -> None:
    order, before = await _order(PriorityPacer(50.0), bulk=120)
    # the answer took the next slot (one may have been on its way), not after the rest
    assert 50 <= before < 119
    assert order.index("answer") <= before + 1
    assert sorted(order) == sorted([*(f"b{n}" for n in range(120)), "answer"])


async def test_without_priority_the_answer_waits_its_turn() -> None:
    order, _ = await _order(PriorityPacer(50.0, priority=False), bulk=120)
    assert order[-1] == "answer"


@pytest.mark.parametrize("priority", [True, False])
async def test_a_cancelled_request_gives_its_slot_to_the_next(priority: bool) -> None:
    pacer = PriorityPacer(1.0, priority=priority)
    await pacer.acquire(interactive=False)  # takes the bucket's one token at once
    waiting = asyncio.create_task(pacer.acquire(interactive=False))
    await asyncio.sleep(0)
    waiting.cancel()
    await pacer.acquire(interactive=True)  # would hang if the cancelled one kept the slot
    await pacer.close()
    assert waiting.cancelled()
