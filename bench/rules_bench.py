"""Benchmark of RuleEngine.check against a naive one-regex-per-term baseline.

Run: ``.venv/bin/python -m bench.rules_bench [--quick]``. Prints one JSON object. Messages
are built from the labelled corpus (tests/relay/rules/corpus): realistic mixed-language
family news, some joined into longer letters, so that lengths vary like real RCMs.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import sys
import time
from pathlib import Path

from relay import langdetect
from relay.rules import RuleEngine
from relay.rules.lexicon import ALLOW, load_default_terms
from relay.rules.normalize import normalize

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "relay" / "rules" / "corpus"


def _messages(n: int, seed: int = 7) -> list[str]:
    texts = [
        json.loads(line)["text"]
        for p in sorted(CORPUS.glob("*.jsonl"))
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        # one to four corpus sentences, mostly from one language but mixed at random
        out.append(" ".join(rnd.choice(texts) for _ in range(rnd.randint(1, 4))))
    return out


def _baseline_patterns() -> list[re.Pattern[str]]:
    """One compiled regex per lexicon term, with word boundaries (the obvious approach)."""
    pats = []
    for core, term in load_default_terms():
        if term.category == ALLOW:
            continue
        tail = r"\w*" if term.stem else ""
        pats.append(re.compile(r"(?<!\w)" + re.escape(core) + tail + r"(?!\w)"))
    return pats


def _rate(fn: object, messages: list[str], min_seconds: float) -> float:
    """Messages per second of this process's CPU time (other engineers share the cores)."""
    assert callable(fn)
    done = 0
    start = time.process_time()
    while True:
        for m in messages:
            fn(m)
        done += len(messages)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main(argv: list[str] | None = None) -> None:
    """Measure and print the JSON figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer messages, shorter runs")
    args = ap.parse_args(argv)
    n = 500 if args.quick else 5000
    secs = 0.5 if args.quick else 3.0
    messages = _messages(n)
    engine = RuleEngine.load(None)
    for m in messages[:200]:  # warm the per-character normalisation cache
        engine.check(m)

    patterns = _baseline_patterns()
    # The baseline gets the same normalised text for free (normalisation is not timed),
    # and only does the lexicon part: it is an upper bound of what the naive way costs.
    normalised = [normalize(m).text for m in messages]
    base_msgs = normalised[: max(50, n // 20)]

    def naive(text: str) -> int:
        return sum(1 for p in patterns if p.search(text))

    # The two are measured in alternating rounds and the best round of each is kept: on a
    # shared machine a burst of load in one long phase would otherwise decide the ratio.
    rounds = 3 if args.quick else 5
    rate = base_rate = 0.0
    for _ in range(rounds):
        rate = max(rate, _rate(engine.check, messages, secs / rounds))
        base_rate = max(base_rate, _rate(naive, base_msgs, secs / 2 / rounds))
    # The written language is detected at submit, outside the engine (relay/langdetect.py):
    # its own figure, on the same messages.
    langdetect.detect(messages[0])  # load the model outside the timing
    lang_rate = _rate(langdetect.detect, messages, secs / rounds)
    print(
        json.dumps(
            {
                "name": "rules",
                "messages_per_s": round(rate, 1),
                "baseline_messages_per_s": round(base_rate, 1),
                "ratio": round(rate / base_rate, 1),
                "langdetect_messages_per_s": round(lang_rate, 1),
                "terms": engine.terms,
                "messages": len(messages),
                "mean_chars": round(sum(map(len, messages)) / len(messages), 1),
                "python": sys.version.split()[0],
                "machine": {
                    "platform": platform.platform(),
                    "processor": platform.machine(),
                    "python_implementation": platform.python_implementation(),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
