"""Run the benchmarks, each in its own subprocess, and collect their JSON figures.

Run: ``.venv/bin/python -m bench.run [--quick] [--only NAME ...] [--out bench/out]``.
Each benchmark prints one JSON object on stdout (its logs go to stderr); this runner prints
them all as one JSON object keyed by name and writes ``<out>/<name>.json``. Benchmarks are
never assertions: a benchmark that fails is reported with its exit code and stderr tail.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# name -> module; the order puts the quick, CPU-only ones first.
BENCHMARKS: dict[str, str] = {
    "rules": "bench.rules_bench",
    "export": "bench.export_bench",
    "store": "bench.store_bench",
    "bot": "bench.bot_bench",
    "delivery": "bench.delivery_bench",
    "console": "bench.console_bench",
    "priority": "bench.priority_bench",
    "workers": "bench.workers_bench",
}
# Generous ceilings so that a hung benchmark cannot hold the runner forever.
TIMEOUT_S = {"quick": 180.0, "full": 3600.0}


def machine() -> dict[str, object]:
    """Describe the machine the figures come from."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def run_one(name: str, *, quick: bool) -> dict[str, object]:
    """Run one benchmark in a subprocess; return its JSON (or what went wrong)."""
    cmd = [sys.executable, "-m", BENCHMARKS[name]]
    if quick:
        cmd.append("--quick")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S["quick" if quick else "full"],
        )
    except subprocess.TimeoutExpired as exc:
        return {"name": name, "error": f"timed out after {exc.timeout:.0f} s"}
    wall = round(time.perf_counter() - started, 1)
    if proc.returncode != 0:
        return {
            "name": name,
            "error": f"exit code {proc.returncode}",
            "wall_s": wall,
            "stderr_tail": proc.stderr[-2000:],
        }
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    if not isinstance(result, dict):
        return {
            "name": name,
            "error": "stdout is not one JSON object",
            "wall_s": wall,
            "stdout_head": proc.stdout[:2000],
        }
    result["wall_s"] = wall
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the selected benchmarks and print and write their figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes: under two minutes in all")
    ap.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable)",
    )
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="where to write JSON")
    args = ap.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}
    started = time.perf_counter()
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        result = run_one(name, quick=args.quick)
        result["mode"] = "quick" if args.quick else "full"
        result["date"] = time.strftime("%Y-%m-%d")
        results[name] = result
        (args.out / f"{name}.json").write_text(
            json.dumps(result, indent=2) + "\n", encoding="utf-8"
        )
        print(f"bench: {name} done in {result.get('wall_s', '?')} s", file=sys.stderr, flush=True)
    summary = {
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "total_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
