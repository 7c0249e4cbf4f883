"""Run the CPU-bound batch rendering in a worker process, off the bot's event loop.

The labels translator cannot cross a process boundary if it is a lambda or a bound
gettext method, so the worker receives a language code and builds its own translator with
the factory the application configured (`set_label_translator_factory`). The factory must
be picklable, i.e. a module-level function; the default gives English labels.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from relay.export.batch_pdf import render_batch
from relay.export.items import BatchHeader, PrintItem
from relay.export.labels import identity

log = logging.getLogger("relay.export")

TranslatorFactory = Callable[[str], Callable[[str], str]]


def identity_factory(language: str) -> Callable[[str], str]:
    """Return the identity translator whatever the language (English labels)."""
    del language
    return identity


_factory: TranslatorFactory = identity_factory
_progress_queue: Any = None  # set in the worker process by _init_worker


def set_label_translator_factory(fn: TranslatorFactory) -> None:
    """Configure how a worker turns a language code into a gettext function."""
    global _factory  # noqa: PLW0603 - one process-wide hook, set once by the composition root
    _factory = fn


def _init_worker(progress_queue: Any) -> None:
    global _progress_queue  # noqa: PLW0603 - per-process state of the worker
    _progress_queue = progress_queue


def _report(done: int, total: int) -> None:
    if _progress_queue is not None:
        _progress_queue.put((done, total))


def _render_in_worker(
    header: BatchHeader, items: Sequence[PrintItem], language: str, factory: TranslatorFactory
) -> bytes:
    return render_batch(
        header,
        items,
        _=factory(language),
        progress=_report,
        language=language,
        translator_for=factory,
    )


async def render_batch_async(
    header: BatchHeader,
    items: Sequence[PrintItem],
    *,
    language: str = "en",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Render a batch in a fresh spawned worker process; report progress per message."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue() if progress is not None else None
    # A fresh single-worker pool per batch: batches are rare, and a spawned process shares
    # no state (fonts, fpdf2 caches) with the bot; its start-up cost is well under a second.
    with ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=_init_worker, initargs=(progress_queue,)
    ) as pool:
        future = loop.run_in_executor(
            pool, _render_in_worker, header, list(items), language, _factory
        )
        if progress_queue is not None and progress is not None:
            while not future.done():
                await _pump(progress_queue, progress, wait_s=0.05)
            while await _pump(progress_queue, progress, wait_s=0.0):
                pass
        return await future


async def _pump(
    progress_queue: Any, progress: Callable[[int, int], None], *, wait_s: float
) -> bool:
    """Deliver one progress report if there is one; tell whether there was."""
    try:
        done, total = progress_queue.get_nowait()
    except queue.Empty:
        if wait_s:
            await asyncio.sleep(wait_s)
        return False
    progress(done, total)
    return True
