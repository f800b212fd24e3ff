"""The subject-line rule: `[TAG] summary`, composed by the form and checked when typed or sent.

Every message says what to write instead; a tag in the wrong case or with a typo gets the right
one suggested (difflib), so `[high] x` and `[HIHG] Points missing` tell the customer the fix.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

EXAMPLE = "Points not awarded for quiz completions"  # support.yml `subject.example` overrides it
# Words that say how badly help is wanted, greet or point, but not what is wrong: a summary needs
# at least MIN_WORDS other words ("URGENT PLEASE HELP" and "help!!!!!!!!!" have none).
EMPTY_WORDS = frozenset(
    """urgent urgently asap emergency critical important immediately now quick quickly fast sos
    help helps helping please pls plz support assistance assist hi hello hey dear thanks thank thx
    problem problems issue issues question questions trouble something anything stuff
    i we me us my our you your a an the is are am it this that there here need needs needed have has
    got someone anyone with for to of and or""".split()
)
MIN_WORDS = 2
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Scripts written without spaces between words: two or more of their letters count as words.
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
ENCODED_WORD_FIX = 'without "=?" (mail programs read it as the start of encoded text): write "= ?" or other words'
SHAPE = re.compile(r"^\[(?P<tag>[^\[\]]*)\]\s*(?P<summary>.*)$", re.DOTALL)


@dataclass(frozen=True)
class SubjectError:
    """One problem with a subject: which part (`tag`, `summary` or `subject`) and the fix."""

    part: str
    message: str


def has_control_characters(text: str) -> bool:
    """True when `text` holds a line break, tab or another control or format character."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def has_encoded_word(text: str) -> bool:
    """True when `text` holds `=?`, how an RFC 2047 encoded word starts: mail software decodes such
    words in a header (the standard library too, even those this app writes), so one could hide a
    line break or another header there."""
    return "=?" in text


def compose(tag: str, summary: str) -> str:
    """Return the subject line `[TAG] summary` from the tag picker and the summary."""
    return f"[{tag.strip()}] {' '.join(summary.split())}"


def split(subject: str) -> tuple[str | None, str]:
    """Return (tag, summary) of a typed subject; the tag is None when there are no brackets."""
    match = SHAPE.match(subject.strip())
    if not match:
        return None, subject.strip()
    return match.group("tag").strip(), match.group("summary").strip()


def _example_tag(tags: list[str], example_tag: str | None) -> str:
    """The tag examples show: the form's default, else its last (least urgent) tag, never the outage tag."""
    return example_tag if example_tag in tags else tags[-1]


def tag_problem(
    tag: str | None, tags: list[str], summary: str, example: str = EXAMPLE, example_tag: str | None = None
) -> SubjectError | None:
    """Check the tag against the allowed tags; suggest the right spelling."""
    example = summary or example
    listed = ", ".join(f"[{t}]" for t in tags)
    if not tag:
        return SubjectError(
            "tag",
            f"Subject: start with a tag in brackets, one of {listed}, "
            f"like [{_example_tag(tags, example_tag)}] {example}",
        )
    if tag in tags:
        return None
    if len(tag) > 3 * max(map(len, tags)):  # too long to be a misspelling: difflib's ratio stays under 0.6
        return SubjectError("tag", f"Subject: unknown tag; use one of {listed}")
    if tag.upper() in tags:
        return SubjectError("tag", f"Subject: write the tag in capitals: [{tag.upper()}] {example}, not [{tag}]")
    close = difflib.get_close_matches(tag.upper(), tags, n=1, cutoff=0.6)
    if close:
        return SubjectError(
            "tag", f"Subject: unknown tag [{tag}]; did you mean [{close[0]}]? Write [{close[0]}] {example}"
        )
    return SubjectError("tag", f"Subject: unknown tag [{tag}]; use one of {listed}")


def summary_problem(summary: str, low: int, high: int, example: str = EXAMPLE) -> SubjectError | None:
    """Check the summary's length: long enough to mean something, short enough for a subject."""
    if has_control_characters(summary):
        return SubjectError(
            "summary", "Subject: write the summary on one line, without line breaks, tabs or control characters"
        )
    if has_encoded_word(summary):
        return SubjectError("summary", f"Subject: write the summary {ENCODED_WORD_FIX}")
    length = len(summary)
    counted = f"{length} character" + ("" if length == 1 else "s")
    if length < low:
        return SubjectError(
            "summary", f'Subject: the summary has {counted}; describe the problem in {low} to {high}, like "{example}"'
        )
    if length > high:
        return SubjectError(
            "summary",
            f"Subject: the summary has {counted}; shorten it to at most {high} and put the details in the form",
        )
    if not says_what_is_wrong(summary):
        return SubjectError(
            "summary",
            "Subject: the summary needs a few words that say what is wrong, not only capitals, "
            f'punctuation or words like "urgent" and "help": write it like "{example}"',
        )
    return None


def says_what_is_wrong(summary: str) -> bool:
    """True when the summary has at least MIN_WORDS different words besides urgency, greetings and fillers.

    A word is a run of letters (any script); one letter repeated ("aaaa") is no word. In scripts
    written without spaces (Chinese, Japanese, Korean, Thai) two letters count as a word.
    """
    words = set()
    for word in WORD.findall(summary.lower()):
        if UNSPACED.search(word):
            words.update(word[i : i + 2] for i in range(0, len(word) - 1, 2))
        elif len(word) > 1 and len(set(word)) > 1 and word not in EMPTY_WORDS:
            words.add(word)
    return len(words) >= MIN_WORDS


def check(
    subject: str, tags: list[str], low: int, high: int, example: str = EXAMPLE, example_tag: str | None = None
) -> list[SubjectError]:
    """Return every problem of a typed subject line (empty when it is well-formed)."""
    if has_control_characters(subject.strip()):
        return [
            SubjectError(
                "subject",
                "Subject: write it on one line, without line breaks, tabs or "
                f"control characters, like [{_example_tag(tags, example_tag)}] {example}",
            )
        ]
    tag, summary = split(subject)
    found = [tag_problem(tag, tags, summary, example, example_tag), summary_problem(summary, low, high, example)]
    return [error for error in found if error]


def check_parts(
    tag: str, summary: str, tags: list[str], low: int, high: int, example: str = EXAMPLE, example_tag: str | None = None
) -> list[SubjectError]:
    """Return the problems of a subject composed from the tag picker and the summary field."""
    found = [
        tag_problem(tag.strip() or None, tags, summary.strip(), example, example_tag),
        summary_problem(
            " ".join(summary.split()) if not has_control_characters(summary.strip()) else summary, low, high, example
        ),
    ]
    return [error for error in found if error]
