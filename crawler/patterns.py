"""Editors' include/exclude patterns, matched by RE2: linear time, whatever the pattern.

A pattern comes from an editor and is searched in every URL a crawl discovers, some of which
a hostile site chooses. Python's ``re`` backtracks: ``(a+)+$`` against forty ``a`` and a ``!``
does not come back for minutes, which would stall a crawl. RE2 (google-re2) guarantees time
linear in the URL's length for every pattern it accepts, and refuses what it cannot do that
way (look-around, back-references) with a readable error at save time.

``tests/bench/bench_patterns.py`` measured the choice: all patterns of a source matched at
once through an ``RE2::Set`` cost about what Python's ``re`` costs for typical patterns
(some microseconds per URL), while one ``re2`` object per pattern would cost several times
more (the binding's per-call overhead); hostile patterns take RE2 a fraction of a millisecond
and ``re`` more than the benchmark's limit of seconds.
"""

from __future__ import annotations

from collections.abc import Iterable

import re2

MAX_PATTERN_CHARS = 500
MAX_PATTERNS = 200
# RE2's memory budget per compiled pattern set; a pattern that needs more is refused.
MAX_MEMORY_BYTES = 8 << 20


class PatternError(ValueError):
    """A pattern RE2 cannot take; the message says why, for the editor."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors are reported to the editor, not to stderr
    options.max_mem = MAX_MEMORY_BYTES
    return options


def _reason(error: Exception) -> str:
    message = error.args[0] if error.args else str(error)
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def check_pattern(pattern: str) -> None:
    """Raise :class:`PatternError` unless RE2 can search ``pattern`` in linear time."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        re2.compile(pattern, options=_options())
    except re2.error as exc:
        raise PatternError(_reason(exc)) from None


def check_patterns(patterns: Iterable[str]) -> None:
    patterns = list(patterns)
    if len(patterns) > MAX_PATTERNS:
        raise PatternError(f"more than {MAX_PATTERNS} patterns")
    for pattern in patterns:
        check_pattern(pattern)


class PatternSet:
    """Patterns searched in a text all at once; ``matches`` is True when any of them is found."""

    def __init__(self, patterns: Iterable[str]):
        self.patterns = tuple(patterns)
        check_patterns(self.patterns)
        self._set = None
        if self.patterns:
            self._set = re2.Set.SearchSet(_options())
            try:
                for pattern in self.patterns:
                    self._set.Add(pattern)
                self._set.Compile()
            except re2.error:
                raise PatternError(
                    "the patterns need more memory than RE2 allows together"
                ) from None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PatternSet) and other.patterns == self.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __repr__(self) -> str:
        return f"PatternSet({list(self.patterns)!r})"

    def matches(self, text: str) -> bool:
        return self._set is not None and bool(self._set.Match(text))
