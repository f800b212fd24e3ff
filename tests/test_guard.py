"""The personal-data and secrets guard: one table of (text, rule found)."""

import pytest

from deflect.intake import guard

ALL = {}


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Call the admin on +44 20 7946 0958 after 3pm", "phone"),
        ("her phone is (555) 123-4567.", "phone"),
        ("mobile 07700 900123", "phone"),
        ("write to jane.doe@school.example about it", "email"),
        ("learner born on 12/03/2010 cannot log in", "date_of_birth"),
        ("DOB: 3 March 2011", "date_of_birth"),
        ("she lives at 221B Baker Street", "street_address"),
        ("SSN 078-05-1120", "national_id"),
        ("NI number AB 12 34 56 C", "national_id"),
        ("my password is hunter22", "password"),
        ("password: s3cr3t!", "password"),
        ("api_key=abcd1234efgh5678", "api_key"),
        ("Authorization: Bearer abcdefghijklmnopqrst", "api_key"),
        ("key sk_live_abcdefgh12345678", "api_key"),
        ("card 4111 1111 1111 1111 was charged", "card_number"),
        # Obvious cases that used to slip through: a mobile number without spaces, quoted passwords, common key shapes.
        ("1. Call the learner on 07700900123\n2. She sees no points", "phone"),
        ("password: hunter22", "password"),
        ("the new password was 'letmein'", "password"),
        ("our key is sk-proj-abcdefghijklmnopqrstuvwx123456", "api_key"),
        ("maps key AIzaSyA1234567890abcdefghijklmnopqrstuv", "api_key"),
    ],
)
def test_finds(text, kind):
    assert [f.kind for f in guard.scan("steps", text, ALL)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "1. Learner 4411 completes quiz 9 in course 123\n2. Moodle marks it complete",
        "Moodle 4.1, plugin 3.2.0 on 2026-03-12 10:30",
        "server 192.168.100.200 answered",
        "learner ID 12345678901",
        "card 4111 1111 1111 1112 (fails the Luhn check)",
        "the password reset page shows an error",
        # Ordinary support text: a password or key that "is" something is described, not given.
        "the learner's password is incorrect after the reset",
        "my password was rejected twice",
        "the API key is rejected by the server",
        "our webhook secret is configured correctly",
        "the access token was invalidated after an hour",
        # Lists of IDs, versions, dates and case numbers are not phone numbers.
        "courses 101 102 103 104 are affected",
        "orders 1234 5678 9012 were not delivered",
        "since 6 October, in course 123, on Moodle 4.1.3",
        "follow-up on case OLR-2026-000123",
    ],
)
def test_leaves_alone(text):
    assert guard.scan("steps", text, ALL) == []


def test_rules_can_be_switched_off():
    rules = {"personal_data": {"phone": False}}
    assert guard.scan("steps", "call +44 20 7946 0958", rules) == []


@pytest.mark.parametrize(
    "text, kept, gone",
    [
        ("my password is hunter22 ok", "my password is [removed: a password] ok", "hunter22"),
        ("card 4111 1111 1111 1111", "card [removed: a card number]", "4111"),
        ("token: abcdefgh12345678", "token: [removed: an API key or token]", "abcdefgh"),
        ("the password is Summer2024! now", "the password is [removed: a password] now", "Summer2024"),
    ],
)
def test_redact_never_forwards_secrets(text, kept, gone):
    assert guard.redact(text, ALL) == kept
    assert gone not in guard.redact(text, ALL)


def test_redact_leaves_a_description_of_a_password_as_typed():
    text = "The learner's password is incorrect and the API key is rejected."
    assert guard.redact(text, ALL) == text


@pytest.mark.parametrize(
    "number, valid", [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True)]
)
def test_luhn(number, valid):
    assert guard.luhn_valid(number) is valid
