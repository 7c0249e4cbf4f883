"""``rcm export``, ``rcm handover import`` and ``rcm purge`` (picked up by bot.cli).

The command line acts as ``admin-cli``: whoever runs it on the machine holds the keys anyway.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli_args import (
    CliError,
    add_verb,
    check_writable,
    one_of,
    open_store,
    readable_file,
)
from relay.errors import NotFound
from relay.settings import Settings


def _progress(done: int, total: int) -> None:
    print(f"\rrendering {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Print the approved messages of a site (or render a batch again with --batch)."""
    from bot.cli_pack import sign_export
    from bot.delegate_labels import label_gettext, print_language
    from relay import delivery, handover
    from relay.export.worker import set_label_translator_factory
    from relay.sites import load_sites

    set_label_translator_factory(label_gettext)
    sites = load_sites(settings.sites_file)
    code = args.site.upper()
    if code not in sites:
        raise CliError(f"unknown site {code}; valid codes: {one_of(sites)}")
    lang = print_language(sites[code])
    if args.out:
        check_writable(Path(args.out), "--out")  # before the batch marks messages printed
    store = await open_store(settings)
    try:
        if args.batch:
            batch = await _again(store, args.batch, code, sites=sites, _=label_gettext(lang))
        else:
            batch = await delivery.export_batch(
                store,
                actor_id=delivery.CLI_ACTOR,
                site=code,
                sites=sites,
                page_size="A5" if args.a5 else None,  # None: the site's own paper
                language=lang,
                progress=_progress,
                _=label_gettext(lang),
            )
        out = Path(args.out) if args.out else settings.exports_dir / batch.filename
        _write_private(out, batch.pdf)
        print(f"{out} batch={batch.id} messages={batch.message_count} sha256={batch.sha256}")
        for held in batch.held:
            print(
                f"held back: {held.reference} ({held.codes}): characters no font can print; "
                "returned to the family to write again, the reviewer is told",
                file=sys.stderr,
            )
        pack = [out]
        if args.manifest:
            lines = await handover.checklist(store, actor_id=delivery.CLI_ACTOR, batch_id=batch.id)
            text = io.StringIO()
            csv.writer(text).writerows(handover.manifest_rows(lines))
            manifest = out.with_suffix(".csv")
            _write_private(manifest, text.getvalue().encode("utf-8"))
            pack.append(manifest)
            print(
                f"{manifest}: manifest with names and detainee numbers (personal data, mode "
                "0600): fill the outcome column, then `rcm handover import` it and delete it",
                file=sys.stderr,
            )
        signature = sign_export(settings, pack, batch=batch.id, site=batch.site_code)
        print(f"{signature}: signature of the pack (check it with `rcm verify {out.name}`)")
    finally:
        await store.close()
    return 0


async def _again(store: Any, batch_id: str, code: str, **kwargs: Any) -> Any:
    """Render ``batch_id`` again; an unknown id is refused with the batches that exist."""
    from relay import delivery

    try:
        return await delivery.export_again(store, batch_id, **kwargs)
    except NotFound:
        known = [
            b.id
            for b in await delivery.recent_batches(store, actor_id=delivery.CLI_ACTOR)
            if b.site_code == code
        ]
        hint = f"recent batches of {code}: {one_of(known)}" if known else f"{code} has none yet"
        raise CliError(f"no batch {batch_id!r}; {hint} (ids look like B56626413)") from None


async def cmd_handover_import(args: argparse.Namespace, settings: Settings) -> int:
    """Apply a filled-in manifest; report each line; exit 1 if any line was refused."""
    from relay import handover
    from relay.sites import load_sites

    sites = load_sites(settings.sites_file)
    # A manifest is a few hundred lines: reading it at once is fine for a CLI verb.
    try:
        lines = args.file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise CliError(f"{args.file}: not a UTF-8 text file (expected a manifest CSV)") from None
    _check_columns(args.file, lines)
    if not any(line.strip() for line in lines[1:]):
        raise CliError(
            f"{args.file}: no lines under the header: nothing to record"
            " (give the manifest `rcm export --manifest` wrote, its outcome column filled)"
        )
    store = await open_store(settings)
    try:
        results = await handover.import_outcomes(store, lines, sites=sites)
    finally:
        await store.close()
    for r in results:
        if r.result == "recorded":
            tail = f"recorded: {r.state}"
        elif r.result == "skipped":
            tail = "no outcome yet, left as it is"
        else:
            tail = f"refused: {_why_refused(r.error, sites)}"
        print(f"line {r.line}: {r.reference or '-'} {tail}")
    errors = sum(1 for r in results if r.result == "error")
    recorded = sum(1 for r in results if r.result == "recorded")
    skipped = sum(1 for r in results if r.result == "skipped")
    print(
        f"{recorded} recorded, {errors} refused, {skipped} without an outcome yet",
        file=sys.stderr,
    )
    return 1 if errors else 0


def _why_refused(code: str, sites: Any) -> str:
    """Say in words why a manifest line was refused and what it should hold instead."""
    why = {
        "bad_outcome": "the outcome must be handed_over, released, transferred:SITE, unknown"
        " or refused",
        "bad_site": f"transferred:SITE needs a known site code ({one_of(sites)})",
        "bad_date": "the date must be YYYY-MM-DD or DD.MM.YYYY, or empty for today",
        "bad_reference": "this is not a reference (they look like RCM-7K3F-9Q2V)",
        "not_found": "no printed message has this reference",
        "invalid_transition": "its outcome is already recorded, or it was never printed",
    }
    return why.get(code, code.replace("_", " "))


def _check_columns(path: Path, lines: list[str]) -> None:
    """Refuse a CSV that is not a manifest, naming the columns expected."""
    from relay.handover import MANIFEST_HEAD

    head = next(csv.reader(lines[:1]), [])
    missing = [c for c in ("reference", "outcome") if c not in (h.strip() for h in head)]
    if missing:
        found = one_of(head) if head else "nothing"
        raise CliError(
            f"{path}: not a manifest: expected the columns {','.join(MANIFEST_HEAD)}"
            f" (found {found}); `rcm export --site CODE --manifest` writes one"
        )


async def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Delete finished messages past their site's retention, then empty families."""
    from relay import retention
    from relay.sites import load_sites

    store = await open_store(settings)
    try:
        report = await retention.purge(
            store, sites=load_sites(settings.sites_file), dry_run=args.dry_run
        )
    finally:
        await store.close()
    sites = " ".join(f"{code}={n}" for code, n in sorted(report.by_site.items()))
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {report.messages} messages ({sites}) and {report.families} families")
    return 0


def add_verbs(sub: Any) -> None:
    """Add the delegate verbs to the ``rcm`` parser."""
    export = add_verb(
        sub,
        "export",
        "write the PDF batch of a site's approved messages",
        "rcm export --site ALP --manifest",
        "rcm export --site ALP --batch B56626413 --out again.pdf",
    )
    export.add_argument(
        "--site", required=True, metavar="CODE", help="the detention site (see `rcm sites`)"
    )
    export.add_argument(
        "--out", metavar="FILE", help="PDF file (default: <data dir>/exports/batch-...pdf)"
    )
    export.add_argument("--a5", action="store_true", help="A5 pages (default: the site's paper)")
    export.add_argument(
        "--batch", metavar="ID", help="render this existing batch again (same bytes)"
    )
    export.add_argument(
        "--manifest",
        action="store_true",
        help="also write the manifest CSV next to the PDF (personal data, mode 0600)",
    )
    export.set_defaults(func=cmd_export)
    hand = add_verb(
        sub, "handover", "hand-over records", "rcm handover import batch-ALP-B56626413.csv"
    )
    hand_sub = hand.add_subparsers(dest="handover_verb", required=True, metavar="VERB")
    imp = add_verb(
        hand_sub,
        "import",
        "record hand-over outcomes from a filled manifest CSV",
        "rcm handover import rcm-data/exports/batch-ALP-B56626413.csv",
    )
    imp.add_argument(
        "file",
        type=readable_file,
        metavar="FILE.csv",
        help="the manifest written by `rcm export --manifest`, its outcome column filled "
        "(handed_over, released, transferred:SITE, unknown, refused)",
    )
    imp.set_defaults(func=cmd_handover_import)
    purge = add_verb(
        sub,
        "purge",
        "erase what is finished past each site's retention",
        "rcm purge --dry-run",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="only count what would be erased; change nothing"
    )
    purge.set_defaults(func=cmd_purge)
