"""The words a reader sees: a page rendered as the site renders it, read into sections."""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.utils.yaml import yaml_load

from deflect.kb.links import anchors
from deflect.kb.render import EXTENSION_CONFIGS, SITE_EXTENSIONS, render_markdown
from deflect.kb.rendered_text import page_text

ROOT = Path(__file__).resolve().parent.parent

PAGE = """# Payments {: .lead }

Intro {% hint style="info" %}paid plans only{% endhint %} and {{ page.meta.owner }} here.

## Cards & invoices {#cards}

!!! warning "Expired cards"
    An expired card fails the **next** renewal.

| Card | Fee |
|------|-----|
| Visa | none |

```
pay --card {% raw %} <script>x</script>
```

??? question "Can I pay by transfer?"
    Yes, on the yearly plan.

After the questions.

## Cards & invoices

=== "Web"
    Open Billing.

<details id="refunds"><summary>Refunds?</summary>Within 14 days.</details>

<div class="note">Raw <script>alert(1)</script>HTML &amp; entities.</div>
"""


def sections(markdown: str):
    return page_text(render_markdown(markdown)).sections


def rendered_ids(markdown: str) -> set[str]:
    """Every id attribute in the rendered HTML, read with a plain regex."""
    return set(re.findall(r'\bid="([^"]+)"', render_markdown(markdown).html))


def test_a_page_is_split_at_its_headings_and_its_faq_questions():
    found = [(s.heading, s.anchor) for s in sections(PAGE)]
    assert found == [
        ("Payments", "payments"),
        ("Cards & invoices", "cards"),
        ("Can I pay by transfer?", "cards"),
        ("Cards & invoices", "cards"),
        ("Cards & invoices", "cards-invoices"),
        ("Refunds?", "refunds"),
        ("Cards & invoices", "cards-invoices"),
    ]


def test_admonitions_tables_tabs_and_code_are_text_and_code_keeps_what_was_written():
    text = " ".join(" ".join(s.text for s in sections(PAGE)).split())
    for words in (
        "Expired cards An expired card fails the next renewal.",
        "Card Fee Visa none",
        "pay --card {% raw %} <script>x</script>",
        "Yes, on the yearly plan.",
        "Web Open Billing.",
        "Within 14 days.",
        "Raw HTML & entities.",
    ):
        assert words in text


def test_template_tags_attribute_lists_scripts_and_permalinks_are_not_words():
    prose = " ".join(f"{s.heading} {s.text}" for s in sections(PAGE)).replace("{% raw %}", "")
    for leftover in ("{%", "%}", "{{", "hint", "page.meta", "{:", ".lead", "alert", "¶"):
        assert leftover not in prose
    assert sections(PAGE)[0].text == "Intro paid plans only and here."


def test_the_anchors_are_the_ids_of_the_rendered_page():
    assert anchors(PAGE) == rendered_ids(PAGE)
    assert {s.anchor for s in sections(PAGE)} <= anchors(PAGE)
    assert {"payments", "cards", "cards-invoices", "refunds"} <= anchors(PAGE)


def test_the_first_heading_is_the_title_of_a_page_without_front_matter_title():
    assert page_text(render_markdown("Intro\n\n# Export your *data*\n\nText.\n")).first_h1 == "Export your data"
    assert page_text(render_markdown("```\n# not a heading\n```\n")).first_h1 is None


def test_pages_are_rendered_with_the_markdown_extensions_of_the_site():
    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as handle:
        config = yaml_load(handle)  # as MkDocs reads it: with its !ENV tag
    names, configs = [], {}
    for item in config["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        names.append(name)
        if options:
            configs[name] = options
    assert sorted(names) == sorted(SITE_EXTENSIONS)
    assert configs == EXTENSION_CONFIGS


def test_a_page_python_markdown_cannot_render_is_read_as_written(caplog):
    nested = "- " * 2000 + "unreachable words"
    found = sections(nested)
    assert "unreachable words" in found[0].text
    assert "cannot be rendered as Markdown" in caplog.text
    assert sections("## Next page\n\nStill rendered.\n")[0].anchor == "next-page"
