"""Reading `support.yml`: every problem collected with its line, key and fix, not just the first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deflect.kb.problems import InvalidFile, Problem
from deflect.kb.yaml_source import YamlSource
from deflect.policy import hours
from deflect.policy.model import (
    CLOCKS,
    DURATION,
    GUARD_RULES,
    TAG_SHAPE,
    WEEKDAYS,
    Duration,
    Holiday,
    Plan,
    Policy,
    Priority,
    Region,
    Route,
    Tag,
    Target,
)

GUIDE = "see CONTRIBUTING.md, support.yml"


class PolicyReader:
    """Walks the YAML of a support.yml, collecting every problem instead of stopping at the first."""

    def __init__(self, source: YamlSource, problems: list[Problem]):
        self.source = source
        self.problems = problems

    def fail(self, path: tuple, message: str):
        self.problems.append(self.source.problem(path, message))

    def get(self, path: tuple, kind: type | tuple, required: bool = True, default=None):
        """Return the value at `path` if it has the right type; record a problem otherwise."""
        return self.source.get(path, kind, self.problems, required, default, GUIDE)

    def text(self, path: tuple, required: bool = True, default: str = "") -> str:
        return self.source.text(path, self.problems, required, default, GUIDE)

    def items(self, path: tuple, required: bool = True) -> list:
        return self.get(path, list, required, []) or []

    def policy(self) -> Policy:
        if not isinstance(self.source.data, dict):
            self.fail((), "must be a mapping with organisation, priorities, tags, plans and hours")
            self.source.data = {}
        org = self.organisation()
        priorities = self.priorities()
        ids = {p.id for p in priorities}
        tags = self.tags(ids)
        plans = self.plans(ids)
        regions, default_region, holidays = self.hours()
        self.targets_in_order(plans, priorities, regions)
        return Policy(
            organisation=org,
            case_prefix=self.text(("organisation", "case_number", "prefix"), False, "CASE"),
            case_digits=self.number(("organisation", "case_number", "digits"), 6, 3, 12),
            review_max_age_days=self.number(("review", "max_age_days"), 365, 1, 3650),
            subject_min=self.number(("subject", "min_length"), 10, 1, 200),
            subject_max=self.number(("subject", "max_length"), 120, 10, 500),
            subject_example=self.text(("subject", "example"), False, "Something does not work as expected"),
            priorities=priorities,
            tags=tags,
            plans=plans,
            regions=regions,
            default_region=default_region,
            holidays=holidays,
            channels=tuple(self.records(("channels",), ("name", "best_for"))),
            escalation=tuple(self.records(("escalation",), ("level", "name", "handles"))),
            not_covered=tuple(str(x) for x in self.items(("not_covered",), False)),
            routes=self.routes(),
            guard_advice=self.text(("guard", "advice"), False),
            guard_rules=self.guard(),
            path=self.source.path,
        )

    def number(self, path: tuple, default: int, low: int, high: int) -> int:
        value = self.get(path, int, False, default)
        if not low <= value <= high:
            self.fail(path, f"must be between {low} and {high}, not {value}")
            return default
        return value

    def organisation(self) -> dict:
        org = {key: self.text(("organisation", key)) for key in ("name", "support_email")}
        for key in ("product", "website"):
            org[key] = self.text(("organisation", key), False)
        if org["support_email"] and "@" not in org["support_email"]:
            self.fail(("organisation", "support_email"), "must be an email address like support@example.com")
        return org

    def records(self, path: tuple, keys: tuple[str, ...]) -> list[dict]:
        records = []
        for index, item in enumerate(self.items(path, False)):
            if not isinstance(item, dict):
                self.fail(path + (index,), f"must be a mapping with {', '.join(keys)}")
                continue
            for key in keys:
                self.text(path + (index, key))
            records.append(item)
        return records

    def priorities(self) -> tuple[Priority, ...]:
        found = []
        for index, _ in enumerate(self.items(("priorities",))):
            at = ("priorities", index)
            clock = self.text(at + ("clock",), False, "business")
            if clock not in CLOCKS:
                self.fail(at + ("clock",), f"must be `business` or `continuous`, not {clock!r}")
            examples = tuple(str(x) for x in self.get(at + ("examples",), list, False, []))
            found.append(
                Priority(
                    self.text(at + ("id",)), self.text(at + ("name",)), clock, self.text(at + ("definition",)), examples
                )
            )
        self.unique("priorities", [p.id for p in found])
        return tuple(found)

    def tags(self, priority_ids: set[str]) -> tuple[Tag, ...]:
        found = []
        for index, _ in enumerate(self.items(("tags",))):
            at = ("tags", index)
            tag = Tag(self.text(at + ("tag",)), self.text(at + ("priority",)), self.text(at + ("description",), False))
            if tag.tag and not TAG_SHAPE.match(tag.tag):
                self.fail(at + ("tag",), f"{tag.tag!r} must be 2 to 20 capital letters, digits, - or _ (like HIGH)")
            if tag.priority and tag.priority not in priority_ids:
                self.fail(at + ("priority",), f"unknown priority {tag.priority!r}: use one of {sorted(priority_ids)}")
            found.append(tag)
        self.unique("tags", [t.tag for t in found])
        return tuple(found)

    def plans(self, priority_ids: set[str]) -> tuple[Plan, ...]:
        found = []
        for index, _ in enumerate(self.items(("plans",))):
            at = ("plans", index)
            targets = {}
            raw = self.get(at + ("targets",), dict, True, {}) or {}
            for priority_id in priority_ids:
                if priority_id not in raw:
                    self.fail(
                        at + ("targets",),
                        f"no target for priority {priority_id!r}: add `{priority_id}: {{response: 8h, resolution: 24h}}`",
                    )
            for priority_id in raw:
                if priority_id not in priority_ids:
                    self.fail(at + ("targets", priority_id), f"unknown priority: use one of {sorted(priority_ids)}")
                    continue
                response = self.duration(at + ("targets", priority_id, "response"))
                resolution = self.duration(at + ("targets", priority_id, "resolution"))
                if response and resolution:
                    targets[priority_id] = Target(response, resolution)
            found.append(
                Plan(
                    self.text(at + ("id",)), self.text(at + ("name",)), self.text(at + ("description",), False), targets
                )
            )
        self.unique("plans", [p.id for p in found])
        return tuple(found)

    def targets_in_order(self, plans: tuple[Plan, ...], priorities: tuple[Priority, ...], regions) -> None:
        """A first response promised later than the resolution of the same priority and plan is a mistake."""
        clocks = {p.id: p.clock for p in priorities}
        for index, plan in enumerate(plans):
            for priority_id, target in plan.targets.items():
                clock = clocks.get(priority_id, "business")
                for region in regions:
                    response, resolution = (
                        hours.counted_minutes(t, clock, region) for t in (target.response, target.resolution)
                    )
                    if response > resolution:
                        counted = f", {resolution / 60:g} hours of support time" if clock == "business" else ""
                        self.fail(
                            ("plans", index, "targets", priority_id, "response"),
                            f"{target.response} is later than the resolution target ({target.resolution}{counted}) "
                            f"of {priority_id!r} in {plan.id!r}: shorten the response or lengthen the resolution",
                        )
                        break

    def duration(self, path: tuple) -> Duration | None:
        value = self.text(path)
        match = DURATION.match(value)
        if value and not match:
            self.fail(path, f"{value!r} is not a duration: write a number and m, h, d or w, like 30m, 8h or 1w")
        return Duration(int(match.group(1)), match.group(2)) if match else None

    def hours(self) -> tuple[tuple[Region, ...], str, tuple[Holiday, ...]]:
        regions = []
        for index, _ in enumerate(self.items(("hours", "regions"))):
            regions.append(self.region(("hours", "regions", index)))
        if not regions and not any("hours" in str(p.message) for p in self.problems):
            self.fail(("hours", "regions"), "add at least one region with timezone, days, open and close")
        ids = [r.id for r in regions]
        self.unique("hours.regions", ids)
        default = self.text(("hours", "default_region"), False, ids[0] if ids else "")
        if ids and default not in ids:
            self.fail(("hours", "default_region"), f"unknown region {default!r}: use one of {ids}")
        holidays = []
        for index, item in enumerate(self.items(("hours", "holidays"), False)):
            at = ("hours", "holidays", index)
            day = item.get("date") if isinstance(item, dict) else item
            if not isinstance(day, dt.date):
                self.fail(at, "must be `{ date: 2026-12-25, name: Christmas Day }` with an ISO date")
                continue
            holidays.append(Holiday(day, str(item.get("name", "")) if isinstance(item, dict) else ""))
        return tuple(regions), default, tuple(holidays)

    def region(self, at: tuple) -> Region:
        timezone = self.text(at + ("timezone",))
        try:
            ZoneInfo(timezone) if timezone else None
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(at + ("timezone",), f"unknown time zone {timezone!r}: use an IANA name like Europe/London")
            timezone = "UTC"
        days = tuple(str(d).lower()[:3] for d in self.get(at + ("days",), list, True, []) or [])
        if any(d not in WEEKDAYS for d in days):
            self.fail(at + ("days",), f"days must be among {', '.join(WEEKDAYS)}")
        opens, closes = self.clock_time(at + ("open",)), self.clock_time(at + ("close",))
        if opens >= closes:
            self.fail(at + ("close",), "must be later than `open` (support hours within one day)")
        return Region(
            id=self.text(at + ("id",)),
            name=self.text(at + ("name",)),
            timezone=timezone or "UTC",
            days=days,
            open=opens,
            close=closes,
            languages=tuple(str(x) for x in self.get(at + ("languages",), list, False, [])),
            covers=self.text(at + ("covers",), False),
            notes=self.text(at + ("notes",), False),
        )

    def clock_time(self, path: tuple) -> dt.time:
        value = self.text(path)
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            if value:
                self.fail(path, f'{value!r} is not a time: write it quoted as "09:00"')
            return dt.time(0, 0)

    def routes(self) -> tuple[Route, ...]:
        found = []
        for index, _ in enumerate(self.items(("routes",), False)):
            at = ("routes", index)
            to = self.text(at + ("to",))
            if to and "@" not in to:
                self.fail(at + ("to",), "must be an email address")
            when = self.get(at + ("when",), dict, False, {}) or {}
            for key in when:
                if key not in ("tag", "plan", "form"):
                    self.fail(at + ("when", key), "routes can match `tag`, `plan` and `form` only")
            found.append(Route(to, {k: str(v) for k, v in when.items()}))
        return tuple(found)

    def guard(self) -> dict[str, dict[str, bool]]:
        rules = {}
        for group, names in GUARD_RULES.items():
            raw = self.get(("guard", group), dict, False, {}) or {}
            for name in raw:
                if name not in names:
                    self.fail(("guard", group, name), f"unknown rule: use one of {', '.join(names)}")
            rules[group] = {name: bool(raw.get(name, True)) for name in names}
        return rules

    def unique(self, where: str, ids: list[str]) -> None:
        seen = set()
        for index, value in enumerate(ids):
            if value in seen:
                self.fail(tuple(where.split(".")) + (index,), f"{value!r} appears twice: ids must be unique")
            seen.add(value)


def load_policy(path: str | Path) -> Policy:
    """Read and check a support.yml; raise InvalidFile listing every problem with its line."""
    source = YamlSource.read(path)
    problems: list[Problem] = []
    policy = PolicyReader(source, problems).policy()
    if problems:
        raise InvalidFile(problems)
    return policy
