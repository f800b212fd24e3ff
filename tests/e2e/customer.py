"""The customer of the e2e tests: what they type and what they do, by role and label."""

from __future__ import annotations

import re

PROBLEM = "Students not receiving points for quiz completions"
STEPS = "1. Learner 4711 completes quiz 88 in course 123\n2. Open the learner's balance in Orbit: still 140 points"
REQUEST = {  # label -> value; steps to reproduce are left out on purpose, the tests add them
    "Contact email": "dana.admin@example.edu",
    "Your name (optional)": "Dana Admin",
    "Expected result": "Learner 4711 gets 25 points for quiz 88, as rule R-12 says.",
    "Actual result": "No points arrive; the quiz shows as completed in the gradebook.",
    "Impact": "About 180 learners in course 123 miss points before Friday's deadline.",
    "Organisation": "Springfield University",
}


class Customer:
    """What a customer does on the support pages, by role and label as they see them."""

    def __init__(self, page, served):
        self.page, self.served = page, served

    def open_chooser(self) -> None:
        self.page.goto(self.served.url + "support/")

    def describe(self, form: str, problem: str, tag: str | None = None) -> None:
        """Choose a form, describe the problem, pick the urgency; stop before asking for articles."""
        self.page.get_by_role("link", name=form).click()
        self.page.get_by_label("Describe the problem in one sentence").fill(problem)
        if tag:
            self.page.get_by_role("radio", name=f"[{tag}]").check()

    def article_titles(self) -> list[str]:
        """The suggested articles' titles, best first."""
        return self.page.locator("ol.articles > li > a").all_inner_texts()

    def fill_request(self, values: dict[str, str]) -> None:
        """Fill fields of the request form by their visible labels."""
        for label, value in values.items():
            self.page.get_by_label(label).fill(value)


def error_summary(page):
    """The error summary of a form sent with mistakes: a group named by its title (focus announces it)."""
    return page.get_by_role("group", name=re.compile(r"^(Your request was not sent yet|Please correct this)"))


def unlabelled_fields(page) -> list[str]:
    """Form controls on the page without a label (neither <label>, aria-label nor aria-labelledby)."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden')
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
        .map(e => e.outerHTML.slice(0, 120))""")


LAYOUT_PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? `[name=${e.name}]` : '')
                    + ' "' + (e.innerText || e.value || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > width + 1)
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  const shown = e => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('[aria-hidden=true]');
  };
  const clipped = e => {  // inside a scrolling box, what matters is the box, not the window
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const items = [...document.querySelectorAll(
    'header a, main h1, main h2, main p, main li, main label, main a, main input, main select, main textarea, main button, main dl, main table, footer p'
  )].filter(e => e.type !== 'hidden' && shown(e));
  for (const e of items) {
    const r = e.getBoundingClientRect();
    if (!clipped(e) && (r.left < -1 || r.right > width + 1))
      problems.push(`${name(e)} is cut off: it spans ${Math.round(r.left)}..${Math.round(r.right)}px`);
  }
  const controls = items.filter(e => e.matches('input, select, textarea, button, main a, label'));
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i], b = controls[j];
      if (a.contains(b) || b.contains(a) || (a.labels && [...a.labels].includes(b)) || (b.labels && [...b.labels].includes(a))) continue;
      const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      const dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (dx > 1 && dy > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }
  return problems;
}"""


def layout_problems(page) -> list[str]:
    """What is cut off at the window's width, or overlaps another control, on the current page."""
    return page.evaluate(LAYOUT_PROBLEMS)
