"""Measuring what a keyboard user sees: the focus ring's colour against what lies behind it (WCAG 2.x)."""

from __future__ import annotations

import re

# The focused element's outline, and the background colours painted just outside it (where the
# ring is drawn): the topmost other element there and its ancestors, nearest first.
FOCUS_RING = """() => {
  let e = document.activeElement;
  if (e.matches('input.md-option') && e.nextElementSibling) e = e.nextElementSibling;  // Material's toggle: its label
  const s = getComputedStyle(e);
  const width = parseFloat(s.outlineWidth) || 0, offset = parseFloat(s.outlineOffset) || 0;
  const r = e.getBoundingClientRect();
  const x = Math.max(0, r.left - offset - width / 2), y = r.top + r.height / 2;
  const under = document.elementsFromPoint(x, y).find(o => o !== e && !e.contains(o)) || document.body;
  const layers = [];
  for (let p = under; p; p = p.parentElement) layers.push(getComputedStyle(p).backgroundColor);
  const text = (e.innerText || e.value || e.getAttribute('aria-label') || e.title || '').trim().slice(0, 30);
  const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + text + '"';
  return {name, style: s.outlineStyle, width, color: s.outlineColor, layers};
}"""


def rgba(css: str) -> tuple[float, float, float, float]:
    """`rgb(1, 2, 3)` or `rgba(1, 2, 3, 0.5)` as numbers (alpha 0..1)."""
    parts = [float(x) for x in re.findall(r"[\d.]+", css)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def over(top: tuple, bottom: tuple) -> tuple:
    """`top` painted over an opaque `bottom`."""
    alpha = top[3]
    return (*(t * alpha + b * (1 - alpha) for t, b in zip(top[:3], bottom[:3])), 1.0)


def background(layers: list[str]) -> tuple:
    """The colour the layers (nearest first) paint together over a white canvas."""
    colour = (255.0, 255.0, 255.0, 1.0)
    for layer in reversed(layers):
        colour = over(rgba(layer), colour)
    return colour


def luminance(colour: tuple) -> float:
    """Relative luminance, as WCAG defines it."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple, b: tuple) -> float:
    """The contrast ratio of two opaque colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def focus_ring(page) -> dict:
    """The focused element's ring: its name, width, and its contrast against the background behind it."""
    ring = page.evaluate(FOCUS_RING)
    behind = background(ring["layers"])
    shown = ring["style"] not in ("none", "hidden") and ring["width"] >= 2
    ring["contrast"] = round(contrast(over(rgba(ring["color"]), behind), behind), 2) if shown else 0.0
    return ring
