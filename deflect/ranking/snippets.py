"""Snippets: about 200 characters of an article around the words a customer searched for.

The text is HTML-escaped and every matching word is wrapped in `<mark>`. Which words match is
decided by the caller (the search module knows the analyzer), through a `matches(word)` function.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable

from deflect.ranking.words import WORD

WIDTH = 200
LEAD = 40


def _best_start(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window with the most distinct matched words (then the most matches).

    One pass with two pointers (the spans are in text order and do not overlap), so an article
    section where the query's words appear thousands of times costs no more than reading it.
    """
    best, best_score = spans[0][0], (0, 0)
    keys: Counter[str] = Counter()
    end = 0
    for i, (start, _, _) in enumerate(spans):
        while end < len(spans) and spans[end][1] <= start + width - LEAD:
            keys[spans[end][2]] += 1
            end += 1
        score = (len(keys), end - i)
        if score > best_score:
            best, best_score = start, score
        if end > i:
            keys[spans[i][2]] -= 1
            if not keys[spans[i][2]]:
                del keys[spans[i][2]]
        else:
            end = i + 1
    return best


def _trim(text: str, start: int, width: int) -> tuple[int, int]:
    """Widen [start, start + width) to word boundaries within the text."""
    start = max(0, start)
    if start > 0 and not text[start - 1].isspace():
        word_start = text.rfind(" ", 0, start) + 1  # 0 when the text's first word is cut
        if start - word_start < 20:
            start = word_start
        else:  # a very long token: begin after it instead
            space = text.find(" ", start)
            start = space + 1 if space >= 0 else word_start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return start, end


def make_snippet(text: str, matches: Callable[[str], str | None], width: int = WIDTH) -> str:
    """Return an escaped snippet of `text` with the matched words in <mark>.

    `matches(word)` returns a key for a word that matches the query (words with the same key
    count once when choosing the window), or None.
    """
    text = " ".join(text.split())
    spans = [(m.start(), m.end(), key) for m in WORD.finditer(text) if (key := matches(m.group()))]
    if not spans:
        start, end = _trim(text, 0, width)
    else:
        start, end = _trim(text, _best_start(spans, width) - LEAD, width)
    parts, cursor = [], start
    for s, e, _ in spans:
        if s >= start and e <= end:
            parts.append(html.escape(text[cursor:s]))
            parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
            cursor = e
    parts.append(html.escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + "".join(parts).strip() + suffix
