"""Reads one form file (or `config.yml`), collecting every mistake with its line, key and fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from deflect.forms.model import Field, Form, Markdown, Option
from deflect.kb.problems import InvalidFile, Problem
from deflect.kb.yaml_source import YamlSource
from deflect.policy.model import Policy

GUIDE = "see kb/forms/README.md"
ID_SHAPE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# Names the app's own fields use: a form field may not take them.
RESERVED = set(
    "subject tag summary email name description deflect_token from website csrf_token confirm_guard form fields".split()
)
TOP_KEYS = set(
    "name description title labels assignees projects type body tags default_tag order show_escalation".split()
)
ELEMENT_KEYS = {"type", "id", "attributes", "validations", "show_when", "prefill", "guard"}
ATTRIBUTES = {
    "markdown": {"value"},
    "input": {"label", "description", "placeholder", "value"},
    "textarea": {"label", "description", "placeholder", "value", "render"},
    "dropdown": {"label", "description", "multiple", "options", "default", "options_from"},
    "checkboxes": {"label", "description", "options"},
}
VALIDATIONS = set("required min_length max_length pattern pattern_message format min_steps differs_from".split())
LIMITS = {"input": (200, 500), "textarea": (5000, 10000)}
FORMATS = ("email", "case_number", "url")
SOURCES = ("plans", "regions")
PREFILLS = ("description", "summary")


class FormReader:
    """Walks one form file; problems go to the shared list, named by file, line and key."""

    def __init__(self, source: YamlSource, policy: Policy, problems: list[Problem]):
        self.source, self.policy, self.problems = source, policy, problems

    def fail(self, path: tuple, message: str) -> None:
        self.problems.append(self.source.problem(path, message))

    def known(self, mapping: dict, allowed: set[str], path: tuple) -> None:
        """Report keys of the mapping at `path` not in `allowed`, suggesting the closest one."""
        self.source.known(path, allowed, self.problems, GUIDE)

    def value(self, mapping: dict, key: str, path: tuple, kind: type | tuple, default: Any = None) -> Any:
        """Return the value of `key` in the mapping at `path` when it has the right type; report it otherwise."""
        return self.source.get(path + (key,), kind, self.problems, default=default, guide=GUIDE)

    def form(self) -> Form | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.fail((), f"must be a mapping with name, description and body ({GUIDE})")
            return None
        self.known(data, TOP_KEYS, ())
        name = self.text(data, "name", (), required=True)
        body = self.value(data, "body", (), list, None)
        if not body:
            self.fail(("body",), f"missing: add `body:` with at least one input or textarea ({GUIDE})")
        elements = [self.element(item, ("body", i)) for i, item in enumerate(body or [])]
        elements = [e for e in elements if e]
        self.cross_check([e for e in elements if isinstance(e, Field)])
        tags, default_tag = self.tags(data)
        return Form(
            id=self.source.path.stem,
            name=name,
            description=self.text(data, "description", ()),
            tags=tags,
            default_tag=default_tag,
            body=tuple(elements),
            show_escalation=bool(self.value(data, "show_escalation", (), bool, False)),
            order=self.value(data, "order", (), int, 100),
            path=self.source.path,
        )

    def text(self, mapping: dict, key: str, path: tuple, required: bool = False) -> str:
        """Return the text of `key` in the mapping at `path` (stripped); report a missing or wrong one."""
        return self.source.text(path + (key,), self.problems, required, guide=GUIDE)

    def tags(self, data: dict) -> tuple[tuple[str, ...], str]:
        """The subject tags the form offers (all of support.yml's by default) and the preselected one."""
        all_tags = [t.tag for t in self.policy.tags]
        tags = [str(t) for t in self.value(data, "tags", (), list, []) or []]
        for index, tag in enumerate(tags):
            if tag not in all_tags:
                self.fail(("tags", index), f"unknown tag {tag!r}: use one of {', '.join(all_tags)} (support.yml tags)")
        tags = [t for t in tags if t in all_tags] or all_tags
        default = self.text(data, "default_tag", ())
        if default and default not in tags:
            self.fail(("default_tag",), f"{default!r} is not offered by this form: use one of {', '.join(tags)}")
            default = ""
        return tuple(tags), default

    def element(self, item: Any, path: tuple) -> Field | Markdown | None:
        if not isinstance(item, dict):
            self.fail(path, f"must be a mapping with `type:` and `attributes:` ({GUIDE})")
            return None
        self.known(item, ELEMENT_KEYS, path)
        kind = item.get("type")
        if kind not in ATTRIBUTES:
            self.fail(path + ("type",), f"must be one of {', '.join(ATTRIBUTES)}, not {kind!r}")
            return None
        attributes = self.value(item, "attributes", path, dict, {}) or {}
        self.known(attributes, ATTRIBUTES[kind], path + ("attributes",))
        if kind == "markdown":
            return Markdown(self.text(attributes, "value", path + ("attributes",), required=True))
        return self.field(item, kind, attributes, path)

    def field(self, item: dict, kind: str, attributes: dict, path: tuple) -> Field:
        field_id = self.text(item, "id", path, required=True)
        if field_id and (not ID_SHAPE.match(field_id) or field_id in RESERVED):
            why = "is used by the app itself" if field_id in RESERVED else "must be lower case letters, digits, _ or -"
            self.fail(path + ("id",), f"{field_id!r} {why}: choose another id, like steps_to_reproduce")
        at = path + ("attributes",)
        rules = self.value(item, "validations", path, dict, {}) or {}
        self.known(rules, VALIDATIONS, path + ("validations",))
        options, source = self.options(kind, attributes, at)
        low, high = self.lengths(kind, rules, path + ("validations",))
        return Field(
            id=field_id,
            type=kind,
            label=self.text(attributes, "label", at, required=True),
            description=self.text(attributes, "description", at),
            placeholder=self.text(attributes, "placeholder", at),
            default=self.default(kind, attributes, options, at),
            options=options,
            multiple=bool(self.value(attributes, "multiple", at, bool, False)),
            required=bool(self.value(rules, "required", path + ("validations",), bool, False)),
            min_length=low,
            max_length=high,
            pattern=self.pattern(rules, path + ("validations",)),
            pattern_message=self.text(rules, "pattern_message", path + ("validations",)),
            format=self.format(rules, path + ("validations",)),
            min_steps=self.value(rules, "min_steps", path + ("validations",), int, 0) if kind == "textarea" else 0,
            differs_from=self.text(rules, "differs_from", path + ("validations",)),
            show_when=self.show_when(item, path),
            prefill=self.prefill(item, path),
            guard=bool(self.value(item, "guard", path, bool, True)),
            options_from=source,
            render=self.text(attributes, "render", at),
        )

    def options(self, kind: str, attributes: dict, at: tuple) -> tuple[tuple[Option, ...], str]:
        """The choices of a dropdown (listed or `options_from`) or of checkboxes."""
        if kind not in ("dropdown", "checkboxes"):
            return (), ""
        source = self.text(attributes, "options_from", at)
        if source:
            if source not in SOURCES:
                self.fail(at + ("options_from",), f"must be one of {', '.join(SOURCES)}, not {source!r}")
                return (), ""
            items = self.policy.plans if source == "plans" else self.policy.regions
            return tuple(Option(i.id, i.name) for i in items), source
        raw = self.value(attributes, "options", at, list, None)
        if not raw:
            extra = " or use `options_from: plans`" if kind == "dropdown" else ""
            self.fail(at + ("options",), f"missing: list the choices under `options:`{extra}")
            return (), ""
        found = [self.one_option(kind, value, at + ("options", i)) for i, value in enumerate(raw)]
        labels = [o.label.lower() for o in found if o]
        if len(set(labels)) != len(labels):
            self.fail(at + ("options",), "two options have the same label: make each one different")
        return tuple(o for o in found if o), ""

    def one_option(self, kind: str, value: Any, path: tuple) -> Option | None:
        if kind == "checkboxes":
            if not isinstance(value, dict) or not str(value.get("label", "")).strip():
                self.fail(
                    path,
                    "must be `- label: I checked the troubleshooting guide` (with `required: true` if it must be ticked)",
                )
                return None
            self.known(value, {"label", "required"}, path)
            label = str(value["label"]).strip()
            return Option(label, label, bool(value.get("required", False)))
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
            self.fail(path, f"must be a text choice, not {value!r}")
            return None
        return Option(str(value).strip(), str(value).strip())

    def default(self, kind: str, attributes: dict, options: tuple[Option, ...], at: tuple) -> str:
        if kind in ("input", "textarea"):
            return self.text(attributes, "value", at)
        if kind == "dropdown" and "default" in attributes:
            index = self.value(attributes, "default", at, int, None)
            if index is not None and not 0 <= index < len(options):
                self.fail(at + ("default",), f"must be the position of an option, 0 to {len(options) - 1}")
            elif index is not None:
                return options[index].value
        return ""

    def lengths(self, kind: str, rules: dict, at: tuple) -> tuple[int, int]:
        default, cap = LIMITS.get(kind, (500, 500))
        low = self.value(rules, "min_length", at, int, 0)
        high = self.value(rules, "max_length", at, int, default)
        if not 0 < high <= cap:
            self.fail(at + ("max_length",), f"must be between 1 and {cap} for {kind} fields")
            high = default
        if not 0 <= low <= high:
            self.fail(at + ("min_length",), f"must be between 0 and max_length ({high})")
            low = 0
        return low, high

    def pattern(self, rules: dict, at: tuple) -> str:
        pattern = self.text(rules, "pattern", at)
        try:
            re.compile(pattern)
        except re.error as error:
            self.fail(at + ("pattern",), f"is not a valid regular expression ({error}); quote it in single quotes")
            return ""
        return pattern

    def format(self, rules: dict, at: tuple) -> str:
        value = self.text(rules, "format", at)
        if value and value not in FORMATS:
            self.fail(at + ("format",), f"must be one of {', '.join(FORMATS)}, not {value!r}")
            return ""
        return value

    def show_when(self, item: dict, path: tuple) -> tuple[str, tuple[str, ...]] | None:
        rule = self.value(item, "show_when", path, dict, None)
        if rule is None:
            return None
        self.known(rule, {"field", "equals"}, path + ("show_when",))
        field_id = self.text(rule, "field", path + ("show_when",), required=True)
        equals = rule.get("equals")
        values = tuple(str(v) for v in (equals if isinstance(equals, list) else [equals] if equals is not None else []))
        if not values:
            self.fail(path + ("show_when", "equals"), "missing: add `equals:` with the choice (or a list of choices)")
        return field_id, values

    def prefill(self, item: dict, path: tuple) -> str:
        value = self.text(item, "prefill", path)
        if value and value not in PREFILLS:
            self.fail(path + ("prefill",), "use `description` (step 1's text to start with) or `summary` (asked once)")
            return ""
        return value

    def cross_check(self, fields: list[Field]) -> None:
        """Checks between fields: unique ids, `differs_from` and `show_when` naming earlier fields, the summary."""
        seen: dict[str, Field] = {}
        for field in fields:
            path = self.path_of(field)
            if field.prefill == "summary":
                self.check_summary_field(field, seen, path)
            if field.id in seen:
                self.fail(path + ("id",), f"{field.id!r} appears twice: ids must be unique in a form")
            if field.differs_from and field.differs_from not in seen:
                self.fail(
                    path + ("validations", "differs_from"),
                    f"{field.differs_from!r} is not a field above this one: name an earlier field's id",
                )
            if field.show_when:
                self.check_show_when(field, seen.get(field.show_when[0]), path)
            seen[field.id] = field

    def check_summary_field(self, field: Field, seen: dict[str, Field], path: tuple) -> None:
        """`prefill: summary`: one per form, a text field always asked, long enough for any summary."""
        earlier, high = next((f.id for f in seen.values() if f.prefill == "summary"), None), self.policy.subject_max
        for key, message in (
            ("prefill", earlier and f"{earlier!r} is the summary already: a form has one summary field"),
            ("type", not field.free_text and "`prefill: summary` needs an input or textarea"),
            ("show_when", field.show_when and "the summary field is always asked: remove `show_when`"),
            ("validations", field.max_length < high and f"max_length: at least {high} (subject.max_length)"),
        ):
            if message:
                self.fail(path + (key,), message)

    def check_show_when(self, field: Field, other: Field | None, path: tuple) -> None:
        if other is None or other.type not in ("dropdown", "checkboxes"):
            self.fail(path + ("show_when", "field"), "must name a dropdown or checkboxes field above this one")
            return
        for value in field.show_when[1]:
            if other.option(value) is None:
                choices = ", ".join(o.label for o in other.options)
                self.fail(
                    path + ("show_when", "equals"), f"{value!r} is not a choice of {other.id!r}: use one of {choices}"
                )

    def path_of(self, field: Field) -> tuple:
        """The key path of a field's element in the body (for line numbers)."""
        for index, item in enumerate(self.source.data.get("body") or []):
            if isinstance(item, dict) and item.get("id") == field.id:
                return ("body", index)
        return ("body",)


def read_form(path: Path, policy: Policy, problems: list[Problem]) -> Form | None:
    """Read one form file; its problems are added to `problems`."""
    try:
        source = YamlSource.read(path)
    except InvalidFile as error:
        problems.extend(error.problems)
        return None
    return FormReader(source, policy, problems).form()
