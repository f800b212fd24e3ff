"""The support policy of `kb/support.yml`: tags, priorities, plans and targets, hours, routes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNIT_NAMES = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TAG_SHAPE = re.compile(r"^[A-Z][A-Z0-9_-]{1,19}$")
CLOCKS = ("business", "continuous")
GUARD_RULES = {
    "personal_data": ("email", "phone", "date_of_birth", "street_address", "national_id"),
    "secrets": ("password", "api_key", "card_number"),
}


@dataclass(frozen=True)
class Duration:
    """A target such as `2h`: an amount of minutes, hours, days or weeks."""

    amount: int
    unit: str

    def __str__(self) -> str:
        name = UNIT_NAMES[self.unit]
        return f"{self.amount} {name}" + ("" if self.amount == 1 else "s")


@dataclass(frozen=True)
class Target:
    """The initial-response and resolution targets of one priority in one plan."""

    response: Duration
    resolution: Duration


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    clock: str
    definition: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tag:
    tag: str
    priority: str
    description: str


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    description: str
    targets: dict[str, Target]


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    timezone: str
    days: tuple[str, ...]
    open: dt.time
    close: dt.time
    languages: tuple[str, ...] = ()
    covers: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str


@dataclass(frozen=True)
class Route:
    """Send requests matching every condition of `when` (tag, plan, form) to `to`."""

    to: str
    when: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """Everything `kb/support.yml` says, checked."""

    organisation: dict
    case_prefix: str
    case_digits: int
    review_max_age_days: int
    subject_min: int
    subject_max: int
    subject_example: str
    priorities: tuple[Priority, ...]
    tags: tuple[Tag, ...]
    plans: tuple[Plan, ...]
    regions: tuple[Region, ...]
    default_region: str
    holidays: tuple[Holiday, ...]
    channels: tuple[dict, ...]
    escalation: tuple[dict, ...]
    not_covered: tuple[str, ...]
    routes: tuple[Route, ...]
    guard_advice: str
    guard_rules: dict[str, dict[str, bool]]
    path: Path | None = None

    def priority(self, priority_id: str) -> Priority:
        """Return the priority with this id."""
        return next(p for p in self.priorities if p.id == priority_id)

    def tag(self, name: str) -> Tag | None:
        """Return the subject tag spelled exactly `name`, or None."""
        return next((t for t in self.tags if t.tag == name), None)

    def plan(self, plan_id: str) -> Plan | None:
        """Return the plan with this id, or None."""
        return next((p for p in self.plans if p.id == plan_id), None)

    def region(self, region_id: str | None = None) -> Region:
        """Return the region with this id, else the default region."""
        wanted = region_id or self.default_region
        return next((r for r in self.regions if r.id == wanted), self.regions[0])

    def target(self, tag: str, plan_id: str) -> Target | None:
        """Return the targets for a subject tag under a plan, or None when either is unknown."""
        found, plan = self.tag(tag), self.plan(plan_id)
        if found is None or plan is None:
            return None
        return plan.targets.get(found.priority)

    def case_pattern(self) -> re.Pattern:
        """The shape of this organisation's case numbers, like OLR-2026-000123."""
        return re.compile(rf"^{re.escape(self.case_prefix.upper())}-\d{{4}}-\d{{{self.case_digits},}}$")

    def case_example(self, year: int | None = None) -> str:
        """An example case number: prefix, year (this year by default), sequence."""
        return f"{self.case_prefix}-{year or dt.date.today().year}-{123:0{self.case_digits}d}"

    def route(self, tag: str, plan: str, form: str) -> str:
        """Return the address of the first route whose conditions all match."""
        facts = {"tag": tag, "plan": plan, "form": form}
        for route in self.routes:
            if all(facts.get(key) == value for key, value in route.when.items()):
                return route.to
        return self.organisation["support_email"]
