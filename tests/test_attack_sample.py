"""The attack script's fixed-seed sample, as CI runs it (benchmarks/attack.py; the README's Security section).

A few hundred hostile inputs, drawn by Hypothesis from one seed, through every door of a real
`deflect serve` with a real SMTP server on loopback: no input gets a 500, no answer takes more than
2 s, no page shows markup as sent, and no message the SMTP server received has a header line, a
recipient or a MIME part that input added. On failure the message lists each finding with what was
sent and its reproducer file (`python benchmarks/attack.py --replay FILE`).
"""

from __future__ import annotations

import pytest

from benchmarks import attack
from benchmarks.attack_doors import DOORS
from benchmarks.attack_report import lines

SEED, EXAMPLES = 20260901, 300


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """One run of the sample against a server of its own, shared by the tests below."""
    return attack.run(examples=EXAMPLES, seed=SEED, timeout=10, report=tmp_path_factory.mktemp("attack-report"))


def printout(summary) -> str:
    return "\n".join(lines(summary, "python benchmarks/attack.py --replay FILE"))


def test_the_sample_goes_through_every_door_and_files_requests(sample):
    assert sample.tally.inputs >= EXAMPLES
    doors = {door for door, _ in sample.tally.statuses} - {attack.SETUP_DOOR}
    assert len(doors) == len(DOORS), printout(sample)
    assert len(sample.tally.cases) >= 20, printout(sample)  # so the mail checks read real messages
    assert sample.messages >= len(sample.tally.cases)
    assert sample.count("script error") == 0, printout(sample)


def test_no_input_gets_a_500(sample):
    errors = sample.count("500")
    assert errors == 0, printout(sample)


def test_no_answer_takes_more_than_2_seconds(sample):
    slow = sample.count("slow")
    assert slow == 0, printout(sample)


def test_no_page_shows_markup_as_it_was_sent(sample):
    echoed = sample.count("markup")
    assert echoed == 0, printout(sample)


def test_no_message_carries_a_header_recipient_or_part_that_input_added(sample):
    assert sample.mail_checked
    reshaped = sample.count("header") + sample.count("recipient") + sample.count("mime")
    assert reshaped == 0, printout(sample)
