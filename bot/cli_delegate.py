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

from relay.settings import Settings


async def _open(settings: Settings) -> Any:
    from relay.crypto import KeyRing
    from relay.store import Store

    keys = KeyRing.load_or_create(settings.resolved_key_file)
    return await Store.open(
        settings.db_path, keys, url=settings.database_url, vault_url=settings.vault_url
    )


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
    from bot.delegate_labels import label_gettext, print_language
    from relay import delivery, handover
    from relay.export.worker import set_label_translator_factory
    from relay.sites import load_sites

    set_label_translator_factory(label_gettext)
    sites = load_sites(settings.sites_file)
    code = args.site.upper()
    if code not in sites:
        print(f"rcm: unknown site {code}", file=sys.stderr)
        return 2
    lang = print_language(sites[code])
    store = await _open(settings)
    try:
        if args.batch:
            batch = await delivery.export_again(
                store, args.batch, sites=sites, _=label_gettext(lang)
            )
        else:
            batch = await delivery.export_batch(
                store,
                actor_id=delivery.CLI_ACTOR,
                site=code,
                sites=sites,
                page_size="A5" if args.a5 else "A4",
                language=lang,
                progress=_progress,
                _=label_gettext(lang),
            )
        out = Path(args.out) if args.out else settings.exports_dir / batch.filename
        _write_private(out, batch.pdf)
        print(f"{out} batch={batch.id} messages={batch.message_count} sha256={batch.sha256}")
        if args.manifest:
            lines = await handover.checklist(store, actor_id=delivery.CLI_ACTOR, batch_id=batch.id)
            text = io.StringIO()
            csv.writer(text).writerows(handover.manifest_rows(lines))
            manifest = out.with_suffix(".csv")
            _write_private(manifest, text.getvalue().encode("utf-8"))
            print(
                f"{manifest}: manifest with names and detainee numbers (personal data, mode "
                "0600): fill the outcome column, then `rcm handover import` it and delete it",
                file=sys.stderr,
            )
    finally:
        await store.close()
    return 0


async def cmd_handover_import(args: argparse.Namespace, settings: Settings) -> int:
    """Apply a filled-in manifest; report each line; exit 1 if any line was refused."""
    from relay import handover
    from relay.sites import load_sites

    sites = load_sites(settings.sites_file)
    # A manifest is a few hundred lines: reading it at once is fine for a CLI verb.
    lines = Path(args.file).read_text(encoding="utf-8").splitlines()  # noqa: ASYNC240
    store = await _open(settings)
    try:
        results = await handover.import_outcomes(store, lines, sites=sites)
    finally:
        await store.close()
    for r in results:
        tail = r.state if r.result == "recorded" else r.error
        print(f"line {r.line}: {r.reference or '-'} {r.result} {tail}".rstrip())
    errors = sum(1 for r in results if r.result == "error")
    recorded = sum(1 for r in results if r.result == "recorded")
    print(f"{recorded} recorded, {errors} refused", file=sys.stderr)
    return 1 if errors else 0


async def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Delete finished messages past their site's retention, then empty families."""
    from relay import retention
    from relay.sites import load_sites

    store = await _open(settings)
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
    export = sub.add_parser("export", help="write the PDF batch of a site")
    export.add_argument("--site", required=True)
    export.add_argument("--out", help="PDF file (default: <data dir>/exports/batch-...pdf)")
    export.add_argument("--a5", action="store_true", help="A5 pages instead of A4")
    export.add_argument("--batch", help="render this existing batch again (same bytes)")
    export.add_argument(
        "--manifest",
        action="store_true",
        help="also write the manifest CSV next to the PDF (personal data, mode 0600)",
    )
    export.set_defaults(func=cmd_export)
    hand = sub.add_parser("handover", help="hand-over records")
    hand_sub = hand.add_subparsers(dest="handover_verb", required=True)
    imp = hand_sub.add_parser("import", help="apply a manifest CSV with its outcome column")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_handover_import)
    purge = sub.add_parser("purge", help="apply the retention of each site")
    purge.add_argument("--dry-run", action="store_true")
    purge.set_defaults(func=cmd_purge)
