"""Text normalisation for the search index, shared by both database backends.

The database never tokenises our text itself: Python turns a title or a
description into a string of space-separated tokens, and a query into terms
made of the same tokens. That keeps SQLite (FTS5, ``unicode61`` tokenizer) and
PostgreSQL (``tsvector``/``tsquery``) in agreement, and makes Chinese findable:

* Latin, Cyrillic, digits...: NFKC, case-folded, accents removed, split at
  anything that is not a letter or digit ("Café-Bar" -> ``cafe bar``).
* CJK runs (Han, kana, Hangul) have no spaces between words, so a run becomes
  its overlapping character pairs followed by its single characters:
  ``新鲜面包`` -> ``新鲜 鲜面 面包 新 鲜 面 包``. A query run of two or more
  characters becomes the *phrase* of its pairs (``面包`` -> the pair
  ``面包``; ``鲜面包`` -> ``鲜面`` followed by ``面包``), which matches exactly
  where the run occurs as a substring; a single character matches the single
  character tokens. The single characters written after each run's pairs also
  keep two runs from joining into one phrase.

Every token is made of letters and digits only, so a token can never carry
query syntax; the backends still quote each one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 80
MAX_TERMS = 12
MIN_PREFIX = 2  # a single letter matches only itself, not every word it starts

# Han (with extensions and compatibility ideographs), kana, Hangul syllables.
_CJK = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0002fa1f\U00030000-\U0003134f"
)
_SEGMENT = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_CJK_START = re.compile(rf"[{_CJK}]")


@dataclass(frozen=True)
class Term:
    """One search term: all of its tokens must appear, in order and adjacent.

    Attributes:
        tokens: the tokens of the term (one for a word, the pairs of a CJK run).
        prefix: the last token may be the start of a longer token.
    """

    tokens: tuple[str, ...]
    prefix: bool


def _fold(text: str) -> str:
    """NFKC, case-fold, then strip combining accents (é -> e, ü -> u)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def _is_cjk(segment: str) -> bool:
    return _CJK_START.match(segment) is not None


def _segments(text: str) -> list[str]:
    """Letter/digit runs of ``text``, with CJK runs split from the rest."""
    folded = _fold(text)
    if folded.isascii():
        return _ASCII_WORD.findall(folded)
    return _SEGMENT.findall(folded)


def _cjk_pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(text: str) -> list[str]:
    """The tokens a title or description is indexed as.

    Args:
        text: raw text as the seller wrote it.

    Returns:
        Tokens in text order (CJK runs as pairs, then single characters).
    """
    out: list[str] = []
    for segment in _segments(text):
        if _is_cjk(segment):
            out.extend(_cjk_pairs(segment))
            out.extend(segment)
        else:
            out.append(segment)
    return out


def index_text(text: str) -> str:
    """:func:`index_tokens` joined by spaces: what the FTS5 table stores."""
    return " ".join(index_tokens(text))


def query_terms(text: str) -> list[Term]:
    """Search terms from what a user typed (cut to 80 characters, at most 12 terms).

    Anything that is not a letter or digit (quotes, ``*``, ``-``, brackets,
    emoji, operators) only separates terms, so no input can change the query's
    structure. Words of two or more characters match as prefixes ("bicy"
    finds "bicycle").

    Args:
        text: the query as typed.

    Returns:
        The terms, all of which a listing must contain; empty when nothing
        searchable was typed.
    """
    terms: list[Term] = []
    seen: set[Term] = set()
    for segment in _segments(text[:MAX_QUERY_CHARS]):
        if _is_cjk(segment):
            term = Term(tuple(_cjk_pairs(segment)) or (segment,), prefix=False)
        else:
            term = Term((segment,), prefix=len(segment) >= MIN_PREFIX)
        if term not in seen:
            seen.add(term)
            terms.append(term)
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term]) -> str:
    """An FTS5 MATCH expression: every term, each token double-quoted.

    Args:
        terms: from :func:`query_terms` (must not be empty).

    Returns:
        e.g. ``"bicy"* AND "面包"`` (a CJK phrase is ``"鲜面 面包"``).
    """
    parts = []
    for term in terms:
        phrase = " ".join(term.tokens).replace('"', '""')
        parts.append(f'"{phrase}"' + ("*" if term.prefix else ""))
    return " AND ".join(parts)


def _tsquote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(terms: list[Term]) -> str:
    """A PostgreSQL ``tsquery`` literal (cast with ``CAST(:q AS tsquery)``).

    Args:
        terms: from :func:`query_terms` (must not be empty).

    Returns:
        e.g. ``'bicy':* & ('鲜面' <-> '面包')``.
    """
    parts = []
    for term in terms:
        quoted = [_tsquote(t) for t in term.tokens]
        if term.prefix:
            quoted[-1] += ":*"
        parts.append(quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts)


MAX_TS_POSITION = 16383


def tsvector(title: str, description: str) -> str:
    """A PostgreSQL ``tsvector`` literal: title tokens weighted A, description D.

    Args:
        title: the listing's title.
        description: the listing's description.

    Returns:
        e.g. ``'honey':1A 'jar':2A 'pairs':4`` (positions keep phrases working).
    """
    entries: list[str] = []
    position = 0
    for tokens, weight in ((index_tokens(title), "A"), (index_tokens(description), "")):
        position += 1  # a gap, so a phrase never spans title and description
        for token in tokens:
            position = min(position + 1, MAX_TS_POSITION)
            entries.append(f"{_tsquote(token)}:{position}{weight}")
    return " ".join(entries)
