"""The figures as tables: the dashboard's tables, their CSV exports and `deflect report`'s text.

Each table is (columns, rows) from the one figures object, so every door shows the same numbers.
CSV cells that a spreadsheet would run as a formula (starting with = + - @ or a tab) are prefixed
with an apostrophe: descriptions and comments are what anonymous customers typed.
"""

from __future__ import annotations

import csv
import io

RATE_COLUMNS = ("filed", "deflections", "failed_deflections", "provisional_deflections", "deflection_rate")
TARGET_COLUMNS = ("in_time", "late", "not_due", "unknown")
ARTICLE_COLUMNS = ("title", "url", "shown", "opened", "solved", "confirmed", "failed_deflections", "filed_anyway")
ARTICLE_COLUMNS += ("helpful", "not_helpful")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _summary(found: dict) -> list[list]:
    period = found["period"]
    row = [period["since"], period["until"], *(found[c] for c in RATE_COLUMNS)]
    return [row + [found["searches"], found["searches_without_results"], *found["targets"].values()]]


def _gaps(found: dict) -> list[list]:
    rows = []
    for kind, groups in found["content_gaps"].items():
        for number, group in enumerate(groups, start=1):
            rows += [[kind, number, group["count"], d["text"], d["count"]] for d in group["descriptions"]]
    return rows


def _comments(found: dict) -> list[list]:
    return [
        [a["url"], c["at"], "yes" if c["helpful"] else "no", c["comment"]]
        for a in found["articles"]
        for c in a["comments"]
    ]


TABLES = {
    "summary": (
        ("since", "until", *RATE_COLUMNS, "searches", "searches_without_results", *TARGET_COLUMNS),
        _summary,
    ),
    "over_time": (
        ("start", *RATE_COLUMNS),
        lambda f: [[r["start"], *(r[c] for c in RATE_COLUMNS)] for r in f["over_time"]],
    ),
    "by_form": (("form", *RATE_COLUMNS), lambda f: [[r["form"], *(r[c] for c in RATE_COLUMNS)] for r in f["by_form"]]),
    "by_tag": (("tag", *RATE_COLUMNS), lambda f: [[r["tag"], *(r[c] for c in RATE_COLUMNS)] for r in f["by_tag"]]),
    "filed": (
        ("form", "tag", "filed", *TARGET_COLUMNS),
        lambda f: [
            [r["form"], r["tag"], r["filed"], *(r[c] for c in TARGET_COLUMNS)] for r in f["filed_by_form_and_tag"]
        ],
    ),
    "articles": (ARTICLE_COLUMNS, lambda f: [[a[c] for c in ARTICLE_COLUMNS] for a in f["articles"]]),
    "comments": (("url", "at", "helpful", "comment"), _comments),
    "gaps": (("kind", "group", "group_count", "description", "count"), _gaps),
    "delivery": (
        ("status", "count", "oldest_age_seconds"),
        lambda f: [[s, v["count"], v["oldest_age_seconds"]] for s, v in f["delivery"].items()],
    ),
}


def table(found: dict, name: str) -> tuple[tuple, list[list]]:
    """One table of the figures: its columns and rows."""
    columns, rows = TABLES[name]
    return columns, rows(found)


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA) else text


def as_csv(found: dict, name: str) -> str:
    """One table as CSV, with its header row."""
    columns, rows = table(found, name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()


def percent(rate: float | None) -> str:
    """A rate as people read it: `50 %`, or `n/a` when there was nothing to divide."""
    return "n/a" if rate is None else f"{rate * 100:.0f} %"


def as_text(found: dict, limit: int = 20) -> str:
    """The report for a person: the period, the rate with its counts, then each table."""
    period = found["period"]
    lines = [f"Period: {period['since']} to {period['until']} ({period['days']} days, UTC)"]
    if found["no_data"]:
        return "\n".join(lines + [found["message"]]) + "\n"
    lines.append(
        f"Deflection rate {percent(found['deflection_rate'])}: {found['deflections']} deflections "
        f"({found['provisional_deflections']} provisional, their {period['window_hours']:g} h window still open) "
        f"and {found['filed']} filed requests; {found['failed_deflections']} failed deflections "
        f'("solved it", then filed within {period["window_hours"]:g} h)'
    )
    for name in ("by_form", "by_tag", "filed", "articles", "gaps", "delivery"):
        columns, rows = table(found, name)
        lines += [
            "",
            f"{name.replace('_', ' ').capitalize()} ({len(rows)} rows{', first ' + str(limit) if len(rows) > limit else ''})",
        ]
        lines += ["  " + "  ".join(map(str, columns))] + [
            "  " + "  ".join(_cell(v) for v in row) for row in rows[:limit]
        ]
    return "\n".join(lines) + "\n"
