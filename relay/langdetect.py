"""The language a text is written in, detected offline, to route it to a reviewer who reads it.

A family may use the Russian interface and write in Ukrainian; the review queue should wait
for a Ukrainian reader, not a Russian one. The model is langid.py's (``py3langid``, a naive
Bayes model over byte n-grams shipped inside the package: nothing is fetched at run time),
restricted to the languages we route that it knows (``model_languages``: all but Tigrinya).
Where it is weak or silent, the script decides:

- Ethiopic: Amharic, or Tigrinya where the letters only Tigrinya uses appear (the model has
  no Tigrinya, so Tigrinya is never inferred from the model, only from those letters);
- Arabic script: Pashto where its own letters appear;
- Cyrillic: letters only Ukrainian (і ї є ґ) or only Russian (ы э ъ ё) has settle the pair
  the model confuses most on short texts.

Texts too short or without a clear answer (numbers, cipher groups) have no language (None):
the message then waits for a reader of the family's interface language, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

# Languages a text may be detected as: every language the bot speaks. A language missing
# here is never detected, and its texts are taken for the nearest one the model knows
# (Somali was read as Swahili and waited for a Swahili reader).
LANGUAGES = ("en", "fr", "es", "ar", "fa", "ru", "uk", "ps", "sw", "so", "am", "ti")
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5

_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъё")
# Pashto letters absent from Arabic and Persian (ټ ډ ړ ږ ښ ګ ڼ ۍ ې).
_PASHTO = frozenset("\u067c\u0689\u0693\u0696\u069a\u06ab\u06bc\u06cd\u06d0")
# Tigrinya's qhe series (ቐ..ቝ) and its usual alef ኣ, which Amharic writing does not use.
_TIGRINYA = frozenset([chr(c) for c in range(0x1250, 0x125E)] + ["\u12a3"])

_LOAD = threading.Lock()
_START = threading.Lock()  # never held while loading: callers must not wait on the load
_READY = threading.Event()
_loading: list[threading.Thread] = []


@cache
def _model() -> Any:
    """Load the model once per process (about 2 s), on first use."""
    with _LOAD:  # two first submits at once load it once (functools.cache does not lock)
        model = _load()
    _READY.set()
    return model


def load() -> None:
    """Load the model now (blocking): warm-up, tests."""
    _model()


def detect_if_ready(text: str) -> str | None:
    """Like ``detect``, but None at once while the model is still loading.

    The first call of a process starts loading the model in a background thread: a bot
    just (re)started keeps answering, and the texts submitted in its first seconds are
    routed by the interface language, as they were before languages were detected.
    """
    if not _READY.is_set():
        start_loading()
        return None
    return detect(text)


def start_loading() -> threading.Thread:
    """Start loading the model in a background thread (once) and return that thread.

    The bot calls it at start, so that only the texts of its first seconds wait for the
    model (they are detected when it is ready: see ``relay.written_langs``).
    """
    with _START:
        if not _loading:
            _loading.append(threading.Thread(target=_model, name="langdetect-load", daemon=True))
            _loading[0].start()
        return _loading[0]


def is_ready() -> bool:
    """Tell whether the model is loaded (``detect_if_ready`` detects)."""
    return _READY.is_set()


@cache
def _load() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(model_languages(ident.nb_classes)))
    return ident


def model_languages(known: Iterable[str]) -> tuple[str, ...]:
    """Return the languages of ``LANGUAGES`` the model ``known`` (its classes) can tell.

    The others are never guessed by the model: the model would answer the nearest language
    it knows. Tigrinya is recognised only by its own letters (see ``detect``).
    """
    classes = set(known)
    return tuple(lang for lang in LANGUAGES if lang in classes)


def _is_ethiopic(ch: str) -> bool:
    return 0x1200 <= ord(ch) <= 0x139F or 0x2D80 <= ord(ch) <= 0x2DDF


def _is_arabic(ch: str) -> bool:
    return 0x0600 <= ord(ch) <= 0x06FF or 0x0750 <= ord(ch) <= 0x077F


def detect(text: str) -> str | None:
    """Return the language ``text`` is written in (a code of ``LANGUAGES``), or None."""
    letters = [c for c in text.lower() if c.isalpha()]
    if len(letters) < MIN_LETTERS:
        return None
    ethiopic = sum(1 for c in letters if _is_ethiopic(c))
    if ethiopic * 2 > len(letters):
        return "ti" if _TIGRINYA.intersection(letters) else "am"
    arabic = sum(1 for c in letters if _is_arabic(c))
    if arabic * 2 > len(letters) and _PASHTO.intersection(letters):
        return "ps"
    lang, confidence = _model().classify(text)
    lang = str(lang)
    if lang in ("ru", "uk"):
        uk, ru = bool(_UK_ONLY.intersection(letters)), bool(_RU_ONLY.intersection(letters))
        if uk != ru:
            return "uk" if uk else "ru"
    if float(confidence) < MIN_CONFIDENCE:
        return None
    return lang
