"""The policy as Markdown: the tables the site's policy pages show, rendered from support.yml.

Writers place a directive line such as `<!-- deflect: response-times -->` in an article; the
site build replaces it with the table below, so no number is ever typed into Markdown by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deflect.policy.model import Policy

DIRECTIVE = re.compile(r"^<!--\s*deflect:\s*([a-z0-9-]+)\s*-->[ \t]*$", re.MULTILINE)
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}


def _cell(text: object) -> str:
    """Return text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def priorities(policy: Policy) -> str:
    rows = [[f"**{p.name}**", p.definition, "; ".join(p.examples)] for p in policy.priorities]
    return _table(["Priority", "What it means", "Examples"], rows)


def tags(policy: Policy) -> str:
    names = {p.id: p.name for p in policy.priorities}
    rows = [[f"`[{t.tag}]`", names.get(t.priority, t.priority), t.description] for t in policy.tags]
    return _table(["Subject tag", "Priority", "Use it for"], rows)


def response_times(policy: Policy) -> str:
    sections = []
    for plan in policy.plans:
        rows = []
        for priority in policy.priorities:
            target = plan.targets.get(priority.id)
            if target:
                clock = "around the clock" if priority.clock == "continuous" else "support hours"
                rows.append([priority.name, target.response, target.resolution, clock])
        title = f"### {plan.name}\n\n{plan.description}\n\n" if plan.description else f"### {plan.name}\n\n"
        sections.append(title + _table(["Priority", "Initial response", "Resolution target", "Counted in"], rows))
    return "\n\n".join(sections)


def hours(policy: Policy) -> str:
    rows = []
    for region in policy.regions:
        days = ", ".join(DAY_NAMES.get(d, d) for d in region.days)
        times = f"{days}, {region.open:%H:%M} to {region.close:%H:%M} ({region.timezone})"
        rows.append([region.name, region.covers, times, ", ".join(region.languages), region.notes])
    text = _table(["Region", "Time zones", "Support hours", "Languages", "Notes"], rows)
    if policy.holidays:
        text += "\n\nSupport is closed on these holidays:\n\n"
        text += "\n".join(f"- {h.date:%A %d %B %Y}: {h.name}" for h in policy.holidays)
    return text


def channels(policy: Policy) -> str:
    rows = []
    for channel in policy.channels:
        where = channel.get("url") or channel.get("address") or ""
        link = f"[{where}]({where})" if str(where).startswith("/") else (f"<{where}>" if "@" in str(where) else where)
        rows.append([f"**{channel['name']}**", link, channel["best_for"], channel.get("availability", "")])
    return _table(["Channel", "Where", "Best for", "Availability"], rows)


def escalation(policy: Policy) -> str:
    rows = [[level["level"], f"**{level['name']}**", level["handles"]] for level in policy.escalation]
    return _table(["Level", "Who", "Handles"], rows)


def not_covered(policy: Policy) -> str:
    return "\n".join(f"- {item}" for item in policy.not_covered)


DIRECTIVES: dict[str, Callable[[Policy], str]] = {
    "priorities": priorities,
    "tags": tags,
    "response-times": response_times,
    "hours": hours,
    "channels": channels,
    "escalation": escalation,
    "not-covered": not_covered,
}


def unknown_directives(markdown: str) -> list[tuple[int, str]]:
    """Return (line, name) of every directive that has no renderer."""
    found = []
    for match in DIRECTIVE.finditer(markdown):
        if match.group(1) not in DIRECTIVES:
            found.append((markdown.count("\n", 0, match.start()) + 1, match.group(1)))
    return found


def render(markdown: str, policy: Policy) -> str:
    """Replace every known directive line with its table; leave unknown ones for the check."""

    def replace(match: re.Match) -> str:
        renderer = DIRECTIVES.get(match.group(1))
        return renderer(policy) if renderer else match.group(0)

    return DIRECTIVE.sub(replace, markdown)
