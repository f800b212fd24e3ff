"""Request forms as the app uses them: forms, fields, options, and the chooser's contact links.

Read from `kb/forms/*.yml` (GitHub issue-forms syntax plus the extensions listed in
`kb/forms/README.md`) by `deflect.forms.load`; this module only holds what was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Option:
    """One choice of a dropdown or one box of a checkboxes field."""

    value: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class Field:
    """One input, textarea, dropdown or checkboxes element, with its validations."""

    id: str
    type: str
    label: str
    description: str = ""
    placeholder: str = ""
    default: str = ""
    options: tuple[Option, ...] = ()
    multiple: bool = False
    required: bool = False
    min_length: int = 0
    max_length: int = 5000
    pattern: str = ""
    pattern_message: str = ""
    format: str = ""
    min_steps: int = 0
    differs_from: str = ""
    show_when: tuple[str, tuple[str, ...]] | None = None
    prefill: str = ""
    guard: bool = True
    options_from: str = ""
    render: str = ""

    @property
    def free_text(self) -> bool:
        """True for the fields a customer types into (input and textarea)."""
        return self.type in ("input", "textarea")

    def option(self, value: str) -> Option | None:
        """Return the option whose value or label matches `value` (case-insensitive)."""
        wanted = str(value).strip().lower()
        return next((o for o in self.options if wanted in (o.value.lower(), o.label.lower())), None)


@dataclass(frozen=True)
class Markdown:
    """Text shown between the fields (not submitted)."""

    value: str
    type: str = "markdown"


@dataclass(frozen=True)
class Form:
    """One request form: its id (the file name), texts, allowed subject tags and elements."""

    id: str
    name: str
    description: str
    tags: tuple[str, ...]
    default_tag: str
    body: tuple[Field | Markdown, ...]
    show_escalation: bool = False
    order: int = 100
    path: Path | None = None

    @property
    def fields(self) -> list[Field]:
        """The elements that take input, in form order."""
        return [e for e in self.body if isinstance(e, Field)]

    def field(self, field_id: str) -> Field | None:
        """Return the field with this id, or None."""
        return next((f for f in self.fields if f.id == field_id), None)

    def field_from(self, source: str) -> Field | None:
        """Return the dropdown filled from `plans` or `regions`, or None."""
        return next((f for f in self.fields if f.options_from == source), None)

    @property
    def summary_field(self) -> Field | None:
        """The field that is the request's summary (`prefill: summary`): asked once, as the subject's summary."""
        return next((f for f in self.fields if f.prefill == "summary"), None)

    def condition(self, field: Field) -> str:
        """When a `show_when` field is asked, in the customer's words: "Learning platform is Moodle or Canvas"."""
        if not field.show_when:
            return ""
        other = self.field(field.show_when[0])
        if other is None:
            return ""
        names = [(other.option(v).label if other.option(v) else v) for v in field.show_when[1]]
        choices = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        verb = "includes" if other.type == "checkboxes" or other.multiple else "is"
        return f"{other.label} {verb} {choices}"


@dataclass(frozen=True)
class ContactLink:
    """A chooser entry that sends the customer elsewhere (docs, community), as in GitHub's config."""

    name: str
    url: str
    about: str


@dataclass(frozen=True)
class FormSet:
    """Every form of a knowledge base, in chooser order, and the chooser's contact links."""

    forms: tuple[Form, ...]
    contact_links: tuple[ContactLink, ...] = ()

    def get(self, form_id: str) -> Form | None:
        """Return the form with this id, or None."""
        return next((f for f in self.forms if f.id == form_id), None)
