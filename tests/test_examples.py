"""The example knowledge bases: one program, five support processes.

Each folder under examples/ is a knowledge base of its own. For each one: its policy and forms
load, `deflect check` finds nothing, the site builds with --strict and renders its own policy, the
search finds its articles, and a customer walks from a description through the suggestions to an
accepted request with that organisation's case number. The assertions name what differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
from werkzeug.test import Client

from deflect.app import create_app
from deflect.forms.load import load_forms
from deflect.kb.folder import KnowledgeBase
from deflect.policy.hours import in_words
from deflect.policy.reader import load_policy
from deflect.search import SearchIndex, build_index
from deflect.site.build import build_site
from deflect.site.check import run_checks
from deflect.web.server import create_wsgi
from tests.helpers import PROJECT, SupportActions, hidden, local, make_app

EXAMPLES_DIR = PROJECT / "examples"


@dataclass(frozen=True)
class Walk:
    """One example's customer: what they type, what they should find, what they file."""

    name: str
    prefix: str
    query: str
    article: str
    form: str
    tag: str
    fields: dict[str, object]
    tags: tuple[str, ...]
    policy_page: str
    shown_on_policy_page: tuple[str, ...] = ()
    form_fields: tuple[str, ...] = field(default=())
    route: str = ""


WALKS = {
    walk.name: walk
    for walk in (
        Walk(
            name="chat-vendor",
            prefix="CHAT",
            route="paid-support@chatterbox.example",
            query="Push notifications are not arriving on our phones",
            article="troubleshooting/push-notifications-not-arriving.md",
            form="problem",
            tag="MEDIUM",
            fields={
                "problem_summary": "Push notifications are not arriving on our phones since Monday.",
                "steps_to_reproduce": "1. Sign in on an iPhone and lock the phone\n2. Mention that user in a channel",
                "users_affected": "Many users",
                "deployment": "Self-hosted with containers",
                "server_version": "7.3.2",
                "client": "iOS app",
                "client_version": "iOS app 4.52",
                "recent_changes": "We upgraded the server last weekend.",
                "plan": "paid",
            },
            tags=("HIGH", "MEDIUM", "LOW", "QUESTION"),
            policy_page="support-guide/priorities-and-response-times/",
            shown_on_policy_page=("Paid support", "Trials", "Community", "1 hour", "around the clock"),
            form_fields=("users_affected", "deployment", "server_version", "client"),
        ),
        Walk(
            name="lead-platform",
            prefix="LL",
            route="support@leadline.example",
            query="The recipient is rejecting our leads with error 422",
            article="troubleshooting/leads-rejected-by-recipient.md",
            form="technical",
            tag="URGENT",
            fields={
                "emergency_criterion": "None of these",
                "problem_summary": "The recipient is rejecting our leads with error 422 since this morning.",
                "error_messages": "422 Unprocessable Entity: Required field missing",
                "steps_to_reproduce": "1. Send a lead to the Home loans flow\n2. Look at its recipient step",
                "affected_components": "Flow Home loans, recipient Northwind CRM",
                "business_impact": "About four hundred leads an hour are not delivered.",
                "plan": "standard",
            },
            tags=("EMERGENCY", "URGENT", "TECHNICAL", "CONFIG", "STRATEGY"),
            policy_page="support-guide/support-policy/",
            shown_on_policy_page=("Emergency", "America/New_York", "Business-impacting"),
            form_fields=("emergency_criterion", "error_messages", "affected_components", "business_impact"),
        ),
        Walk(
            name="small-crm",
            prefix="TW",
            route="help@tidewater-crm.example",
            query="My emails are not syncing to my contacts",
            article="troubleshooting/email-sync-not-working.md",
            form="problem",
            tag="TECHNICAL",
            fields={
                "problem_summary": "My emails are not syncing to my contacts since Tuesday.",
                "steps_to_reproduce": "1. Reply to a customer from Outlook\n2. Open the customer in Tidewater",
                "where": "Web app",
                "region": "europe",
                "plan": "standard",
                "scope": ["This is about Tidewater or a supported integration, not custom code or another app."],
            },
            tags=("ACCOUNT", "TECHNICAL", "FEATURE", "CUSTOMIZE"),
            policy_page="support-guide/support-policy/",
            shown_on_policy_page=("Starter and Growth", "1 day", "09:00 to 17:00"),
            form_fields=("where", "region", "scope"),
        ),
        Walk(
            name="early-education",
            prefix="BRM",
            route="techservices@bramble.example",
            query="Photos will not upload to the portfolio",
            article="troubleshooting/photos-not-uploading.md",
            form="problem",
            tag="PROBLEM",
            fields={
                "user_id": "40033521",
                "class_id": "802214",
                "child_ids": "6120458, 6120459",
                "problem_summary": "Photos will not upload to the portfolio of two children in my class.",
                "error_message": "Upload failed",
                "steps_to_reproduce": "1. Open a child portfolio and choose Add\n2. Attach a picture taken on the tablet",
                "browser": "Chrome",
            },
            tags=("URGENT", "PROBLEM", "HOWTO", "FOLLOWUP"),
            policy_page="support-guide/how-cases-work/",
            shown_on_policy_page=("Tier I", "Tier II", "Development teams"),
            form_fields=("user_id", "class_id", "child_ids"),
        ),
    )
}


def test_every_example_folder_has_a_walk():
    folders = {p.name for p in EXAMPLES_DIR.iterdir() if (p / "support.yml").is_file()}
    assert folders == set(WALKS)


@pytest.fixture(scope="module", params=sorted(WALKS))
def example(request, tmp_path_factory):
    """One example, its site built (strict) and its search index built, once per module."""
    walk = WALKS[request.param]
    kb = KnowledgeBase.at(EXAMPLES_DIR / walk.name)
    work = tmp_path_factory.mktemp(walk.name)
    pages = build_site(kb, work / "site")
    build_index(pages, work / "index", synonyms_file=kb.synonyms_file)
    return Example(walk, kb, pages, work)


@dataclass
class Example:
    walk: Walk
    kb: KnowledgeBase
    pages: list
    work: Path

    @property
    def policy(self):
        return load_policy(self.kb.support_file)

    @property
    def forms(self):
        return load_forms(self.kb.forms, self.policy)

    def html(self, url: str) -> str:
        return (self.work / "site" / url / "index.html").read_text(encoding="utf-8")

    def text(self, url: str) -> str:
        """The visible text of a built page, tags removed and spaces collapsed."""
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", self.html(url))).split())


def test_policy_forms_and_articles_pass_deflect_check(example):
    problems = run_checks(example.kb, build=False)
    assert [str(p) for p in problems if not p.warning] == []
    assert example.policy.case_prefix == example.walk.prefix
    assert tuple(t.tag for t in example.policy.tags) == example.walk.tags


def test_the_site_builds_with_every_article_in_the_nav_and_the_policy_rendered(example):
    published = {page.path for page in example.pages}
    on_disk = {p.relative_to(example.kb.docs).as_posix() for p in example.kb.docs.rglob("*.md")}
    assert published == on_disk and 5 <= len(on_disk) <= 8
    text = example.text(example.walk.policy_page)
    assert "deflect:" not in example.html(example.walk.policy_page)
    for expected in example.walk.shown_on_policy_page:
        assert expected in text, f"{expected!r} missing from {example.walk.policy_page}"
    assert example.policy.organisation["name"].split()[0] in example.text("")


def test_the_search_finds_the_article_for_the_walks_description(example):
    index = SearchIndex.open(example.work / "index")
    try:
        found = [r.path for r in index.search(example.walk.query, limit=3).results]
    finally:
        index.close()
    assert example.walk.article in found


def test_the_walks_form_asks_for_this_processes_own_fields(example):
    form = example.forms.get(example.walk.form)
    ids = [f.id for f in form.fields]
    for field_id in example.walk.form_fields:
        assert field_id in ids
    assert set(example.walk.fields) <= set(ids)
    assert example.walk.tag in form.tags


# The customer's walk through /support/, on each example's own app ------------------------------


@pytest.fixture(scope="module")
def support(example):
    """The deflection app on this example's folder, its index and a fresh data dir."""
    app = make_app(example.kb.root, example.work / "var", example.work / "index")
    return SupportActions(app.test_client())


def visible(response) -> str:
    """The visible text of an app page."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def file_walk(example, support, **overrides):
    """Open the walk's form through the suggestions step and send it; return (form page, POST response)."""
    walk = example.walk
    page = support.open_form(walk.form, walk.query, walk.tag)
    assert page.status_code == 200
    data = dict(
        hidden(page.get_data(as_text=True)),
        tag=walk.tag,
        summary=walk.query,
        email="it-desk@customer.example",
        **walk.fields,
    )
    data.update(overrides)
    return page, support.client.post(f"/{walk.form}/request", data=data)


def test_the_chooser_and_the_description_step_offer_this_processes_forms_and_tags(example, support):
    chooser = visible(support.client.get("/"))
    for form in example.forms.forms:
        assert form.name in chooser
    form = example.forms.get(example.walk.form)
    describe = support.client.get(f"/{form.id}/").get_data(as_text=True)
    offered = re.findall(r'name="tag" value="([A-Z0-9_-]+)"', describe)
    assert tuple(offered) == form.tags
    if len(form.tags) > 1:
        assert f'value="{form.default_tag}" checked' in describe


def test_the_description_finds_the_article_before_the_form(example, support):
    walk = example.walk
    step2 = support.describe(walk.form, walk.query, walk.tag)
    assert step2.status_code == 200
    title = next(page.title for page in example.pages if page.path == walk.article)
    assert title in visible(step2)
    assert "I still need help" in visible(step2)


def test_the_walk_ends_in_an_accepted_request_with_this_organisations_case_number(example, support):
    walk, policy = example.walk, example.policy
    form = example.forms.get(walk.form)
    page, sent = file_walk(example, support)
    text = visible(page)
    for field_ in form.fields:
        assert field_.label in text
    plan = walk.fields.get("plan", policy.plans[0].id)
    target = policy.target(walk.tag, plan)
    assert f"{target.response} / {target.resolution}" in text
    assert sent.status_code == 303, visible(sent)[:2000]
    confirmation = support.client.get(local(sent.headers["Location"]))
    case = re.search(r'id="case-number">([^<]+)<', confirmation.get_data(as_text=True)).group(1)
    assert re.fullmatch(rf"{walk.prefix}-\d{{4}}-\d{{{policy.case_digits}}}", case)
    clock = policy.priority(policy.tag(walk.tag).priority).clock
    assert f"First response within {in_words(str(target.response), clock)}" in visible(confirmation)
    store = support.client.application.extensions["deflect"].store
    record = store.get_request(case)
    assert record["subject"] == f"[{walk.tag}] {walk.query}" and record["plan"] == plan
    to_support = [e for e in store.list_outbox() if e.case_number == case and e.channel == "support"]
    assert [e.payload["to"] for e in to_support] == [[walk.route]]


def test_the_form_says_which_priorities_count_around_the_clock(example, support):
    walk = example.walk
    page = support.open_form(walk.form, walk.query, walk.tag)
    sentence = re.search(r'id="target-sentence"[^>]*>(.*?)</p>', page.get_data(as_text=True), re.S).group(1)
    sentence = " ".join(unescape(sentence).split())
    wrong = [
        p.name
        for p in example.policy.priorities
        if p.clock == "business" and f"{p.name}, which counts around the clock" in sentence
    ]
    assert wrong == [], "a business-hours priority is said to count around the clock"
    for priority in example.policy.priorities:
        if priority.clock == "continuous":
            assert priority.name in sentence


def test_deflect_kb_names_the_folder_and_one_port_serves_its_site_and_its_app(example, monkeypatch):
    monkeypatch.setenv("DEFLECT_KB", str(example.kb.root))
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(example.work / "env-var"),
            "SECRET_KEY": "test-secret",
            "INDEX_DIR": str(example.work / "index"),
            "OUTBOX_WORKER": False,
        }
    )
    assert app.extensions["deflect"].policy.organisation == example.policy.organisation
    client = Client(create_wsgi(example.work / "site", app))
    home = client.get("/", buffered=True)
    assert home.status_code == 200
    site_name = re.search(r"^site_name:\s*(.+)$", (example.kb.root / "mkdocs.yml").read_text(), re.M).group(1)
    assert site_name in home.get_data(as_text=True)
    assert site_name in client.get("/support/", buffered=True).get_data(as_text=True)


# What differs, process by process -------------------------------------------------------------


def test_chat_vendor_has_three_priorities_email_default_medium_and_three_departments():
    policy = load_policy(EXAMPLES_DIR / "chat-vendor" / "support.yml")
    forms = load_forms(EXAMPLES_DIR / "chat-vendor" / "forms", policy)
    assert [p.name for p in policy.priorities] == ["High", "Medium", "Low"]
    assert all(p.examples for p in policy.priorities)
    assert forms.get("problem").default_tag == "MEDIUM"
    assert "email" in policy.priority("medium").definition.lower()
    assert {plan.id: policy.route("MEDIUM", plan.id, "problem") for plan in policy.plans} == {
        "paid": "paid-support@chatterbox.example",
        "trial": "trials@chatterbox.example",
        "community": "community@chatterbox.example",
    }
    hotline = next(c for c in policy.channels if "hotline" in c["name"].lower())
    assert "paid" in hotline["availability"].lower()


def test_lead_platform_sorts_requests_by_kind_with_emergency_criteria_in_one_time_zone():
    policy = load_policy(EXAMPLES_DIR / "lead-platform" / "support.yml")
    forms = load_forms(EXAMPLES_DIR / "lead-platform" / "forms", policy)
    fields = {form.id: {f.id for f in form.fields} for form in forms.forms}
    assert set(fields) == {"technical", "configuration", "strategic"}
    assert {"error_messages", "steps_to_reproduce", "affected_components"} <= fields["technical"]
    assert {"business_requirement", "current_configuration", "desired_outcome"} <= fields["configuration"]
    assert {"business_objectives", "volume_projection", "milestones"} <= fields["strategic"]
    emergency = policy.priority("emergency")
    assert emergency.clock == "continuous"
    for criterion in ("outage", "integration", "security", "data"):
        assert criterion in emergency.definition.lower()
    assert len({r.timezone for r in policy.regions}) == 1
    assert policy.route("STRATEGY", "standard", "strategic") == "accounts@leadline.example"
    assert len(policy.escalation) == 4


def test_small_crm_has_one_business_day_target_three_steps_and_a_not_covered_list():
    policy = load_policy(EXAMPLES_DIR / "small-crm" / "support.yml")
    assert len(policy.priorities) == 1 and policy.priorities[0].clock == "business"
    standard = policy.plan("standard").targets["normal"]
    assert str(standard.response) == "1 day"
    assert all(r.days == ("mon", "tue", "wed", "thu", "fri") for r in policy.regions)
    assert {(f"{r.open:%H:%M}", f"{r.close:%H:%M}") for r in policy.regions} == {("09:00", "17:00")}
    assert len(policy.escalation) == 3
    assert any("custom development" in item.lower() for item in policy.not_covered)


def test_early_education_uses_its_own_case_numbers_two_tiers_and_ids_instead_of_names():
    policy = load_policy(EXAMPLES_DIR / "early-education" / "support.yml")
    forms = load_forms(EXAMPLES_DIR / "early-education" / "forms", policy)
    assert policy.case_prefix == "BRM"
    assert [level["name"] for level in policy.escalation][:2] == ["Tier I", "Tier II"]
    assert all(all(rules.values()) for rules in policy.guard_rules.values())
    for word in ("child id", "class id", "user id", "names"):
        assert word in policy.guard_advice.lower()
    for form in forms.forms:
        labels = " ".join(f.label.lower() for f in form.fields)
        assert "name" not in labels, form.id
        assert form.field("user_id").pattern
    assert forms.get("follow-up").field("case_number").format == "case_number"


# What differs, seen by the customer in each example's app ---------------------------------------


def only(name: str):
    """Run a test on one example's built site and app."""
    return pytest.mark.parametrize("example", [name], indirect=True)


@only("lead-platform")
def test_lead_platform_emergency_skips_the_articles_and_strategy_goes_to_the_account_team(example, support):
    emergency = support.describe("technical", "No flow accepts leads and every source gets errors", "EMERGENCY")
    assert emergency.status_code == 302 and "/technical/request" in emergency.headers["Location"]
    form = visible(support.client.get(local(emergency.headers["Location"])))
    assert "Emergency criteria" in form and "Do not wait" in form
    page = support.open_form("strategic", "Plan for twice the lead volume next quarter", "STRATEGY")
    text = visible(page)
    assert "Business objectives" in text and "Lead volume, now and expected" in text
    assert "Steps to reproduce" not in text
    data = dict(
        hidden(page.get_data(as_text=True)),
        tag="STRATEGY",
        email="ceo@customer.example",
        summary="Plan for twice the lead volume next quarter",
        business_objectives="Sell to twice as many buyers by June without more rejections.",
        current_challenges="Our buyers reject leads from two of our sources.",
        volume_projection="Twenty thousand a month now, forty-five thousand by June",
        milestones="New buyers live by May",
        plan="enterprise",
    )
    sent = support.client.post("/strategic/request", data=data)
    assert sent.status_code == 303, visible(sent)[:1500]
    store = support.client.application.extensions["deflect"].store
    case = local(sent.headers["Location"]).split("/")[2].split("?")[0]
    assert case.startswith("LL-")
    to = [e.payload["to"] for e in store.list_outbox() if e.case_number == case and e.channel == "support"]
    assert to == [["accounts@leadline.example"]]


@only("small-crm")
def test_small_crm_offers_its_regions_and_shows_what_support_does_not_cover_before_the_form(example, support):
    page = support.open_form("problem", example.walk.query, "TECHNICAL")
    html = page.get_data(as_text=True)
    for region in example.policy.regions:
        assert f'value="{region.id}"' in html
    assert "1 day" in visible(page)
    chooser = visible(support.client.get("/"))
    for item in example.policy.not_covered:
        assert item in chooser and item in visible(page)


@only("early-education")
def test_early_education_guard_sends_names_and_birth_dates_back_and_takes_ids(example, support):
    before = len(support.client.application.extensions["deflect"].store.list_requests())
    page, sent = file_walk(
        example,
        support,
        problem_summary=("Photos of Maya, born 03/14/2021, will not upload; her family lives at 12 Elm Street."),
    )
    assert sent.status_code == 422
    text = visible(sent)
    assert "child ID, class ID or user ID" in text
    assert "a date of birth" in text and "a street address" in text
    assert len(support.client.application.extensions["deflect"].store.list_requests()) == before
    page, sent = file_walk(example, support)
    assert sent.status_code == 303
    case = local(sent.headers["Location"]).split("/")[2].split("?")[0]
    assert re.fullmatch(r"BRM-\d{4}-\d{7}", case)

    follow = support.open_form("follow-up", "More about the photo upload problem", "FOLLOWUP")
    base = dict(
        hidden(follow.get_data(as_text=True)),
        tag="FOLLOWUP",
        email="it-desk@customer.example",
        summary="More about the photo upload problem",
        user_id="40033521",
        new_information="It also happens on the tablet app, for class 802214.",
    )
    wrong = support.client.post("/follow-up/request", data=dict(base, case_number="OLR-2026-000123"))
    assert wrong.status_code == 422 and "BRM-" in visible(wrong)
    right = support.client.post("/follow-up/request", data=dict(base, case_number=case))
    assert right.status_code == 303, visible(right)[:1500]
    assert "learner" not in text, "the guard notice must use this organisation's IDs, not Orbit's"


@only("chat-vendor")
def test_chat_vendor_sends_community_and_trial_questions_to_their_own_departments(example, support):
    store = support.client.application.extensions["deflect"].store
    for plan, address in (("community", "community@chatterbox.example"), ("trial", "trials@chatterbox.example")):
        page = support.open_form("question", "How do guests join one channel without an account", "QUESTION")
        data = dict(
            hidden(page.get_data(as_text=True)),
            tag="QUESTION",
            email="admin@customer.example",
            summary="How do guests join one channel without an account",
            question="Can guests join a single channel without creating an account?",
            deployment="Self-hosted",
            plan=plan,
        )
        sent = support.client.post("/question/request", data=data)
        assert sent.status_code == 303, visible(sent)[:1500]
        case = local(sent.headers["Location"]).split("/")[2].split("?")[0]
        to = [e.payload["to"] for e in store.list_outbox() if e.case_number == case and e.channel == "support"]
        assert to == [[address]]
