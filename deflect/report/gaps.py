"""Content gaps: descriptions grouped when they share their words, each with a new-article template.

Two descriptions are in one group when their content words (lower case, without the most common
English words, plurals folded) overlap by at least half (Jaccard). The template is the writers'
troubleshooting skeleton of CONTRIBUTING.md, its `questions` the customers' own words; the link
opens it as a new file on the repository's host when mkdocs.yml names a GitHub `repo_url` and
`edit_uri`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections import Counter

WORD = re.compile(r"[^\W_]+")
SHARED = 0.5
QUESTIONS_MAX = 10
URL_TEXT_MAX = 6000  # a prefilled new-file link stays well under what browsers and hosts accept
STOP = frozenset(
    """a an and are as at be but by can cannot do does for from get got has have how i if in into is it its
    me my no not of on or our so that the their them there they this to up was we what when where which
    who why will with you your""".split()
)


def words(description: str) -> frozenset[str]:
    """The content words of a description: lower case, no stop words, a plural `s` folded."""
    found = set()
    for word in WORD.findall(description.lower()):
        if word in STOP:
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return frozenset(found)


def normalised(description: str) -> str:
    """A description as it is counted: lower case, single spaces."""
    return " ".join(description.lower().split())


def group(descriptions: Counter) -> list[dict]:
    """Groups of descriptions that share their words, the most frequent group first."""
    groups: list[dict] = []
    for text, count in sorted(descriptions.items(), key=lambda item: (-item[1], item[0])):
        own = words(text)
        home = next((g for g in groups if own and _overlap(own, g["key"]) >= SHARED), None)
        if home is None:
            home = {"key": own, "count": 0, "descriptions": []}
            groups.append(home)
        home["count"] += count
        home["descriptions"].append({"text": text, "count": count})
    groups.sort(key=lambda g: (-g["count"], g["descriptions"][0]["text"]))
    return [
        {"count": g["count"], "words": sorted(g["key"]), "descriptions": g["descriptions"], "slug": slug(g)}
        for g in groups
    ]


def _overlap(one: frozenset, other: frozenset) -> float:
    return len(one & other) / len(one | other)


def slug(found: dict) -> str:
    """A file name for the new article: the group's first description, lowercase-hyphenated."""
    text = "-".join(WORD.findall(found["descriptions"][0]["text"].lower()))[:60].strip("-")
    return text or "new-article"


def article_template(found: dict, today: dt.date) -> str:
    """A new troubleshooting article for a writer to finish, its questions the customers' descriptions."""
    questions = [d["text"] for d in found["descriptions"][:QUESTIONS_MAX]]
    title = questions[0][:1].upper() + questions[0][1:]
    lines = ["---", f"title: {json.dumps(title)}", 'description: "One sentence: what this article answers."']
    lines += ["tags: []  # 1 to 4, from kb/tags.yml", "questions:  # how customers asked (from the support form)"]
    lines += [f"  - {json.dumps(q)}" for q in questions]
    lines += ["owner: support-team", f"last_reviewed: {today.isoformat()}", "---", ""]
    for heading, hint in (
        ("Symptoms", "What the customer sees, in their words, with the exact error text in `code`."),
        ("Cause", "Why it happens."),
        ("Fix", "1. Numbered steps that fix it."),
        ("Still stuck?", "Which facts to put in a request (IDs, times, error text; never names or passwords)."),
    ):
        lines += [f"## {heading}", "", hint, ""]
    return "\n".join(lines)


def new_file_url(site_config: dict, filename: str, text: str) -> str | None:
    """A GitHub link that opens `text` as a new file in the docs folder, from mkdocs.yml's
    `repo_url` and `edit_uri` (`edit/<branch>/<docs path>/`); None when they do not say where."""
    repo = str(site_config.get("repo_url") or "").rstrip("/")
    edit = str(site_config.get("edit_uri") or "").strip("/").split("/")
    if not repo.startswith("https://github.com/") or len(edit) < 2 or edit[0] not in ("edit", "blob"):
        return None
    branch, folder = edit[1], "/".join(edit[2:])
    query = urllib.parse.urlencode({"filename": f"{filename}.md", "value": text[:URL_TEXT_MAX]})
    return "/".join(part for part in (repo, "new", branch, folder) if part) + "?" + query
