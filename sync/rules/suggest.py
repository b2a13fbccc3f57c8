"""'did you mean K-101?': the one existing value that a value matching nothing most likely stands for.

A suggestion is only made when it is close and there is no other as close: a wrong guess sends
someone to change a right cell. Close means, first, the same once capitals, spaces, hyphens,
underscores and dots are ignored and the look-alike letters O, I and l are read as the digits 0
and 1 (`k 1O1` is K-101); else a difflib ratio of at least CUTOFF on those folded forms (one
letter wrong, missing or swapped in a word: `Developmnet` is Development). Sequential codes such
as K-00012 are each that close to several others (K-00013, K-00021, ...): a tie, so no suggestion.

Callers pass the distinct values that matched nothing (a few, whatever the size of the tab), so
the cost is per distinct value, never per row.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import pandas as pd

CUTOFF = 0.8
# difflib compares each unknown value with every known one; past this many comparisons only the
# folded forms are compared (one dictionary look-up each), so a book with a great many IDs and
# many unknown ones stays fast.
MAX_COMPARISONS = 2_000_000
_SEPARATORS = re.compile(r"[\s\-_.]+")
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def folded(text: str) -> str:
    """A value as compared: casefolded, without separators, look-alike letters as digits."""
    return _SEPARATORS.sub("", text.casefold()).translate(_LOOKALIKES)


def did_you_mean(unknown: pd.Series, known: Iterable[str]) -> pd.Series:
    """'; did you mean X?' for each unknown value with one close known value, NA for the others."""
    by_fold: dict[str, list[str]] = {}
    for value in dict.fromkeys(known):
        if isinstance(value, str):  # a blank ID (NA) of a row in error names nothing
            by_fold.setdefault(folded(value), []).append(value)
    compare = len(unknown) * len(by_fold) <= MAX_COMPARISONS
    found = [closest(value, by_fold, compare) if isinstance(value, str) else None for value in unknown]
    return pd.Series(
        [f"; did you mean {value}?" if value else pd.NA for value in found], index=unknown.index, dtype=object
    )


def closest(value: str, by_fold: dict[str, list[str]], compare: bool = True) -> str | None:
    """The one known value close to `value` (by_fold: folded form -> the known values folding so)."""
    key = folded(value)
    same = by_fold.get(key, [])
    if same:
        return same[0] if len(same) == 1 else None
    if not compare or not key:
        return None
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(key)  # difflib works out its second sequence once: the candidates go first
    scores = []
    for candidate in by_fold:
        matcher.set_seq1(candidate)
        if (
            matcher.real_quick_ratio() >= CUTOFF
            and matcher.quick_ratio() >= CUTOFF
            and (score := matcher.ratio()) >= CUTOFF
        ):
            scores.append((score, candidate))
    scores.sort(reverse=True)
    if not scores or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    values = by_fold[scores[0][1]]
    return values[0] if len(values) == 1 else None
