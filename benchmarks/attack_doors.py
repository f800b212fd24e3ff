"""Every door of `deflect serve`, as a Hypothesis strategy of hostile `Probe`s (benchmarks/attack.py).

`probes` draws a door (filings more often than the rest: they reach the store and the emails), then
one input through it. Inputs are built from benchmarks/attack_inputs.py's hostile text and shapes.
Choices are written so that Hypothesis's simplest draw (0, False, the first element) is the input
that gets furthest: one hostile value in an otherwise valid request, with every token.
"""

from __future__ import annotations

from hypothesis import strategies as st

from benchmarks.attack_inputs import (
    ADDRESS_TRICKS,
    BASES,
    EMAIL,
    STRESS_UNITS,
    Probe,
    atoms,
    encode_json,
    encode_pairs,
    hostile_address,
    hostile_text,
    json_values,
    raw,
)

JSON = (b"Content-Type", b"application/json")
FORM = (b"Content-Type", b"application/x-www-form-urlencoded")
CONTENT_TYPES = [
    b"application/json",
    b"application/json; charset=utf-16",
    b"text/plain",
    b"",
    b"application/xml",
    b"multipart/form-data; boundary=x",
    b"application/x-www-form-urlencoded",
    b"application/json\x00",
    b"application/json; charset=" + b"x" * 500,
]
forms = st.sampled_from(list(BASES))
FIXED_CHOICES = ("tag", "plan", "region", "environment", "lms", "beta_interest", "escalation_trigger")  # dropdowns
PAGE_FIELDS = ["description", "deflect_token", "csrf_token", "confirm_guard", "website", "from", "q"]


def api_body(form: str) -> dict:
    """A JSON request the form accepts (without its deflect_token)."""
    tag, summary, fields = BASES[form]
    return {"form": form, "subject": f"[{tag}] {summary}", "email": EMAIL, "name": "Ann Lee", "fields": dict(fields)}


def _summary(draw, body: dict, form: str) -> None:
    body["subject"] = f"[{BASES[form][0]}] " + draw(hostile_text)


def _field(draw, body: dict, form: str) -> None:
    fields = body["fields"] if isinstance(body.get("fields"), dict) else {}
    name = draw(st.sampled_from(sorted(BASES[form][2])))
    fields[name] = draw(st.one_of(hostile_text, st.builds(lambda t: f"{BASES[form][2][name]} {t}", hostile_text)))
    body["fields"] = fields


MUTATIONS = {
    "subject": lambda draw, body, form: body.update(subject=draw(hostile_text)),
    "summary": _summary,
    "name": lambda draw, body, form: body.update(name=draw(hostile_text)),
    "email": lambda draw, body, form: body.update(email=draw(hostile_address)),
    "field": _field,
    "unknown field": lambda draw, body, form: (
        body["fields"].update({draw(hostile_text): "x"}) if isinstance(body.get("fields"), dict) else None
    ),
    "form": lambda draw, body, form: body.update(form=draw(hostile_text)),
    "from": lambda draw, body, form: body.update({"from": draw(hostile_text)}),
    "confirm_guard": lambda draw, body, form: body.update(confirm_guard=draw(json_values)),
    "deflect_token": lambda draw, body, form: body.update(deflect_token=draw(hostile_text)),
    "wrong type": lambda draw, body, form: body.update({draw(st.sampled_from(sorted(body))): draw(json_values)}),
    "missing key": lambda draw, body, form: body.pop(draw(st.sampled_from(sorted(body)))),
}


# Text that passes most rules (printable, not too long) but is hostile in a header or a mail body.
mail_hostile = st.one_of(atoms, st.lists(atoms, min_size=1, max_size=3).map(" ".join), st.text(max_size=20))
# Where one such value goes, beside the value a customer would type there.
ONE_VALUE = ("summary", "name", "field", "email", "from")


def _one_value(draw, body: dict, form: str) -> None:
    """Append hostile text to one value (or put a hostile address), keeping the rest of the request valid."""
    where, extra = draw(st.sampled_from(ONE_VALUE)), draw(mail_hostile)
    tag, summary, fields = BASES[form]
    if where == "summary":
        body["subject"] = f"[{tag}] {summary} {extra}"
    elif where == "name":
        body["name"] = draw(st.sampled_from([extra, f"Ann {extra}", f"{extra} Lee"]))
    elif where == "field":
        name = draw(st.sampled_from(sorted(n for n in fields if n not in FIXED_CHOICES)))
        body["fields"][name] = f"{fields[name]} {extra}"
    elif where == "email":
        body["email"] = draw(st.sampled_from(ADDRESS_TRICKS))
    else:
        body["from"] = extra


@st.composite
def api_filing(draw) -> Probe:
    """A filing through the search step (428, token): one value hostile, most often; else one to three, any way."""
    form = draw(forms)
    body = api_body(form)
    if draw(st.integers(0, 2)) < 2:
        _one_value(draw, body, form)
    else:
        for _ in range(draw(st.integers(1, 3))):
            if body:
                MUTATIONS[draw(st.sampled_from(sorted(MUTATIONS)))](draw, body, form)
    data = encode_json(body, draw(st.booleans()))
    typed = [body["email"]] if isinstance(body.get("email"), str) else []
    if data.startswith(b"{") and draw(st.integers(0, 4)) == 0:  # a repeated key: which one wins?
        key, value = draw(st.sampled_from(["email", "subject", "name", "form"])), draw(hostile_address)
        data = (
            data[:-1]
            + (b", " if len(data) > 2 else b"")
            + encode_json(key, True)
            + b": "
            + encode_json(value, False)
            + b"}"
        )
        typed.append(value)
    return Probe(
        "POST /support/api/requests (filing)",
        "POST",
        b"/support/api/requests",
        [JSON],
        data,
        step="token",
        typed_emails=tuple(typed),
    )


def nested(depth: int, kind: str) -> bytes:
    """Deeply nested JSON: [[[...]]], {"a":{"a":...}} or a long flat array."""
    if kind == "list":
        return b"[" * depth + b"]" * depth
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" + b"1," * depth + b"1]"


RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"NaN",
    b"1e999999",
    b"9" * 5000,
    b'{"a": ' + b"9" * 5000 + b"}",
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b'{"form": "\\ud800"}',
    b'{"form": "problem"} trailing',
    b'{"fields": {"__proto__": {"x": 1}}}',
    b'{"form": "problem", "fields": []}',
    b"\x00" * 100,
    b'{"subject": "\\u0000"}',
    b'{"email": ["a@b.test", "c@d.test"]}',
    b"[" * 20 + b"{" * 20,
]


@st.composite
def api_shapes(draw) -> Probe:
    """Shapes no client should send: any JSON, deep nesting, broken JSON and bytes, odd content types."""
    body = draw(
        st.one_of(
            st.builds(encode_json, json_values, st.booleans()),
            st.builds(
                nested,
                st.one_of(st.integers(1, 200), st.integers(1000, 130_000)),
                st.sampled_from(["list", "object", "flat"]),
            ),
            st.sampled_from(RAW_BODIES),
            st.binary(max_size=300),
        )
    )
    ctype = draw(st.sampled_from(CONTENT_TYPES[:1] * 6 + CONTENT_TYPES))
    headers = [(b"Content-Type", ctype)] if ctype else []
    return Probe("POST /support/api/requests (shapes)", "POST", b"/support/api/requests", headers, body)


def query(draw, names: list[str], base: dict[str, str]) -> bytes:
    """A query string: each name hostile or its usual value, sometimes repeated, sometimes sent unencoded."""
    pairs = []
    for name in names:
        value = draw(st.one_of(hostile_text, st.just(base.get(name, ""))))
        pairs.append((raw(draw(st.one_of(st.just(name), atoms)) if draw(st.integers(0, 9)) == 0 else name), raw(value)))
        if draw(st.integers(0, 6)) == 0:
            pairs.append((raw(name), raw(draw(hostile_text))))
    return encode_pairs(pairs, quoted=draw(st.integers(0, 7)) > 0)


def _html_one_value(draw, pairs: list[tuple[str, str]]) -> None:
    """One value hostile, beside what a customer would type there; the rest as sent by the form."""
    index = draw(st.sampled_from([i for i, (name, _) in enumerate(pairs) if name not in FIXED_CHOICES]))
    name, value = pairs[index]
    pairs[index] = (name, draw(st.sampled_from(ADDRESS_TRICKS)) if name == "email" else f"{value} {draw(mail_hostile)}")


def _html_many(draw, pairs: list[tuple[str, str]]) -> None:
    """One to three values replaced, repeated (the first one sent wins) or added, any field of the page included."""
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(pairs) - 1))
        what = draw(st.sampled_from(["replace", "replace", "repeat", "add"]))
        name = pairs[index][0]
        hostile = draw(hostile_address if name == "email" else hostile_text)
        if what == "replace":
            pairs[index] = (name, hostile)
        else:
            pairs.insert(0, (name if what == "repeat" else draw(st.sampled_from(PAGE_FIELDS)), hostile))


@st.composite
def html_filing(draw) -> Probe:
    """The HTML form sent with hostile values, after its page gave the tokens (or with some left out)."""
    form = draw(forms)
    tag, summary, values = BASES[form]
    pairs = [("tag", tag), ("summary", summary), ("email", EMAIL), ("name", "Ann Lee"), *values.items()]
    (_html_one_value if draw(st.integers(0, 2)) < 2 else _html_many)(draw, pairs)
    tokens = draw(
        st.sampled_from(
            [("csrf_token", "deflect_token", "description", "from")] * 5
            + [("deflect_token", "description"), ("csrf_token",), ()]
        )
    )
    ctype = draw(st.sampled_from([FORM[1]] * 5 + [b"multipart/form-data", b"text/plain", b""]))
    typed = tuple(v for k, v in pairs if k == "email")
    return Probe(
        "POST /support/<form>/request",
        "POST",
        f"/support/{form}/request".encode(),
        [(b"Content-Type", ctype)] if ctype else [],
        step="form",
        form=form,
        fields=[(raw(k), raw(v)) for k, v in pairs],
        tokens=tokens,
        typed_emails=typed,
    )


@st.composite
def html_direct(draw) -> Probe:
    """The HTML form posted straight, with no page first: no cookie, no tokens, any body."""
    form = draw(st.one_of(forms, hostile_text))
    body = draw(
        st.one_of(
            st.builds(lambda t: b"summary=" + raw(t), hostile_text),
            st.binary(max_size=200),
            st.builds(lambda unit, n: raw(unit * n), st.sampled_from(STRESS_UNITS), st.integers(1000, 140_000)),
        )
    )
    target = b"/support/" + encode_pairs([(b"", raw(form))])[1:] + b"/request"
    return Probe("POST /support/<form>/request (no page first)", "POST", target, [FORM], body)


@st.composite
def suggestions_page(draw) -> Probe:
    """Step 2: `GET /support/<form>/suggestions?q=&tag=&from=`."""
    form = draw(st.one_of(forms, forms, hostile_text))
    tag, summary, _ = BASES.get(form, BASES["problem"])
    path = b"/support/" + encode_pairs([(b"", raw(form))])[1:] + b"/suggestions?"
    if not draw(st.booleans()):  # a description a customer could type, with something hostile in it
        summary = f"{summary} {draw(mail_hostile)}"
        return Probe(
            "GET /support/<form>/suggestions", "GET", path + encode_pairs([(b"q", raw(summary)), (b"tag", raw(tag))])
        )
    return Probe(
        "GET /support/<form>/suggestions", "GET", path + query(draw, ["q", "tag", "from"], {"q": summary, "tag": tag})
    )


@st.composite
def request_page(draw) -> Probe:
    """Step 3's page: `GET /support/<form>/request?q=&tag=&token=`."""
    form = draw(forms)
    tag, summary, _ = BASES[form]
    target = f"/support/{form}/request?".encode() + query(
        draw, ["q", "tag", "token", "from"], {"q": summary, "tag": tag}
    )
    return Probe("GET /support/<form>/request", "GET", target)


@st.composite
def suggest_api(draw) -> Probe:
    """`GET /support/api/suggest?q=`."""
    return Probe("GET /support/api/suggest", "GET", b"/support/api/suggest?" + query(draw, ["q"], {}))


@st.composite
def feedback_api(draw) -> Probe:
    """`POST /support/api/feedback` with a hostile page, a hostile `helpful`, or any body."""
    page = draw(st.one_of(hostile_text, json_values, st.just("faq/accounts/reset-password/")))
    body = draw(
        st.one_of(
            st.builds(
                lambda p, h: encode_json({"page": p, "helpful": h}, False),
                st.just(page),
                st.one_of(st.booleans(), json_values),
            ),
            st.builds(encode_json, json_values, st.booleans()),
            st.sampled_from(RAW_BODIES),
        )
    )
    return Probe("POST /support/api/feedback", "POST", b"/support/api/feedback", [JSON], body)


@st.composite
def deflected(draw) -> Probe:
    """`POST /support/deflected` ("this solved my problem"), mostly with a page's CSRF token, cookie and article.

    The page's own values (q, url, title of its first article) follow the probe's, so the probe's win.
    """
    url = draw(st.one_of(hostile_text, st.builds(lambda t: "/faq/" + t, hostile_text), st.just("/faq/")))
    pairs = [("q", draw(hostile_text)), ("url", url), ("title", draw(hostile_text)), ("from", draw(hostile_text))]
    pairs = draw(st.one_of(st.just(pairs), st.sampled_from(pairs).map(lambda pair: [pair])))
    with_page = draw(st.integers(0, 4)) < 4
    return Probe(
        "POST /support/deflected",
        "POST",
        b"/support/deflected",
        [FORM],
        step="csrf" if with_page else None,
        fields=[(raw(k), raw(v)) for k, v in pairs],
        tokens=("csrf_token", "q", "url", "title") if with_page else (),
    )


@st.composite
def thanks_page(draw) -> Probe:
    """`GET /support/thanks?title=&url=`."""
    return Probe("GET /support/thanks", "GET", b"/support/thanks?" + query(draw, ["title", "url"], {"url": "/faq/"}))


STATIC_PATHS = [
    b"/",
    b"/index.html",
    b"/../../etc/passwd",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/..%2f..%2fetc%2fpasswd",
    b"/faq/%00",
    b"/faq/\xff",
    b"//",
    b"///etc/passwd",
    b"/\\..\\..\\etc\\passwd",
    b"/sitemap.xml",
    b"/search/search_index.json",
    b"/assets/../../mkdocs.yml",
    b"/404.html",
    b"/faq",
    b"/%",
    b"/%zz",
    b"/" + b"a" * 8000,
    b"/" + b"../" * 200,
    b"*",
    b"http://evil.test/",
    b"/index.html;.php",
    b"/.git/config",
    b"/.env",
    b"/support/../kb/support.yml",
    b"/support%2f..%2fkb%2fsupport.yml",
    b"/support/static/../app.py",
    b"/support/admin/",
    b"/support/requests/OLR-2026-000001?key=x",
    b"/support/api/forms/%00.schema.json",
    b"/support/api/forms/" + b"a" * 5000 + b".schema.json",
    b"/support/healthz/../readyz",
    b"/support//api//suggest",
]
METHODS = [b"GET"] * 6 + [
    b"HEAD",
    b"POST",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"PROPFIND",
    b"get",
    b"G\x00T",
    b"X" * 100,
]
ODD_HEADERS = [
    (b"Range", b"bytes=" + b",".join(b"%d-%d" % (n, n) for n in range(300))),
    (b"Range", b"bytes=999999999999-"),
    (b"Range", b"bytes=-0"),
    (b"Range", b"lines=1-2"),
    (b"If-Modified-Since", b"yesterday"),
    (b"If-None-Match", b"*"),
    (b"If-Range", b"garbage"),
    (b"Accept-Encoding", b"gzip;q=NaN"),
    (b"Host", b"evil.test"),
    (b"Host", b""),
    (b"X-Forwarded-For", b"1.2.3.4, 5.6.7.8"),
    (b"X-Forwarded-Host", b"evil.test"),
    (b"X-Forwarded-Proto", b"https"),
    (b"Forwarded", b"for=1.2.3.4;proto=https"),
    (b"Content-Length", b"-1"),
    (b"Expect", b"100-continue"),
    (b"X-Long", b"a" * 60000),
    (b"Cookie", b"session=" + b"a" * 4000),
    (b"Cookie", b"=;;=;"),
    (b"Accept-Language", b"*;q=2"),
    (b"User-Agent", b"\xff\xfe"),
    (b"Referer", b"javascript:alert(1)"),
    (b"X-Injected", b"a\r\nX-Second: b"),
    (b"Bad Name", b"x"),
]


@st.composite
def site_paths(draw) -> Probe:
    """Odd paths, methods and headers on the static site and the app's other URLs."""
    path = draw(
        st.one_of(
            st.sampled_from(STATIC_PATHS),
            st.builds(lambda t: b"/" + encode_pairs([(b"", raw(t))])[1:], hostile_text),
            st.builds(lambda t: b"/support/" + encode_pairs([(b"", raw(t))])[1:], hostile_text),
            st.builds(lambda t: b"/faq/" + raw(t).replace(b" ", b"%20")[:2000], atoms),
        )
    )
    headers = draw(st.lists(st.sampled_from(ODD_HEADERS), max_size=3))
    return Probe("site and other paths", draw(st.sampled_from(METHODS)).decode("latin-1"), path, headers)


DOORS = {
    api_filing: 6,
    api_shapes: 3,
    html_filing: 4,
    html_direct: 1,
    suggestions_page: 2,
    request_page: 1,
    suggest_api: 2,
    feedback_api: 1,
    deflected: 1,
    thanks_page: 1,
    site_paths: 2,
}
probes = st.sampled_from([door for door, weight in DOORS.items() for _ in range(weight)]).flatmap(lambda door: door())
