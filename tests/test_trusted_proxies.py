"""DEFLECT_TRUSTED_PROXIES: rate limits count per real client behind a proxy, and only behind one we trust.

Through the app's own door (the Flask test client, with the peer address a server would give);
the same through a real nginx is in test_nginx_front.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deflect.settings import InvalidSetting
from deflect.web import proxies
from tests.helpers import make_app


@pytest.mark.parametrize(
    "value, count, networks",
    [
        (None, 0, ()),
        ("", 0, ()),
        ("0", 0, ()),
        ("1", 1, ()),
        (" 2 ", 2, ()),
        ("127.0.0.1", 0, ("127.0.0.1/32",)),
        ("10.0.0.0/8, ::1", 0, ("10.0.0.0/8", "::1/128")),
        ("192.168.1.7/24", 0, ("192.168.1.0/24",)),
    ],
)
def test_the_setting_reads_a_number_of_proxies_or_their_addresses(value, count, networks):
    trusted = proxies.parse(value)
    assert trusted.count == count
    assert tuple(str(n) for n in trusted.networks) == networks


@pytest.mark.parametrize(
    "value, named",
    [
        ("nginx", "'nginx' is not an IP address"),
        ("10.0.0.1, proxy.local", "'proxy.local' is not an IP address"),
        ("10.0.0.300", "'10.0.0.300' is not an IP address"),
        ("-1", "'-1' is not an IP address"),
        ("99", "more proxies than any real chain"),
        ("1,", "'1' is not an IP address"),
    ],
)
def test_a_wrong_value_names_the_variable_and_the_fix(value, named):
    with pytest.raises(InvalidSetting) as error:
        proxies.parse(value)
    message = str(error.value)
    assert "DEFLECT_TRUSTED_PROXIES" in message and named in message
    assert "127.0.0.1 for nginx on this machine" in message and "leave it unset" in message


def test_deflect_serve_refuses_to_start_with_a_wrong_value_before_building(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "deflect", "serve", "--kb", str(tmp_path / "kb"), "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DEFLECT_DATA_DIR": str(tmp_path / "var"), "DEFLECT_TRUSTED_PROXIES": "the nginx box"},
    )
    assert result.returncode != 0
    assert "DEFLECT_TRUSTED_PROXIES='the nginx box'" in result.stderr and "127.0.0.1 for nginx" in result.stderr
    assert "Traceback" not in result.stderr and "Building" not in result.stdout


@pytest.fixture
def limited(kb_dir, kb_index, tmp_path):
    """An app whose suggestions allow 2 requests a minute per client, with DEFLECT_TRUSTED_PROXIES set."""

    def make(trusted: str | None):
        app = make_app(
            kb_dir,
            tmp_path / f"var-{trusted}",
            kb_index,
            SUGGEST_RATE_LIMIT="2 per minute",
            DEFLECT_TRUSTED_PROXIES=trusted,
        )
        return app.test_client()

    return make


def suggest(client, peer: str, forwarded_for: str | None = None) -> int:
    """One suggestion request from `peer`, with an X-Forwarded-For header when given; the status."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return client.get("/api/suggest?q=password", headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code


def test_without_the_setting_a_forged_forwarded_for_does_not_buy_a_fresh_bucket(limited):
    client = limited(None)
    statuses = [suggest(client, "203.0.113.9", f"198.51.100.{n}") for n in range(3)]
    assert statuses == [200, 200, 429]


def test_without_the_setting_clients_behind_one_proxy_share_its_bucket(limited):
    """The trade-off an operator must know about: behind nginx, set the variable."""
    client = limited(None)
    assert [suggest(client, "127.0.0.1", f"198.51.100.{n}") for n in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("trusted", ["1", "127.0.0.1", "127.0.0.0/8"])
def test_behind_a_trusted_proxy_each_real_client_has_its_own_bucket(limited, trusted):
    client = limited(trusted)
    assert [suggest(client, "127.0.0.1", "198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert suggest(client, "127.0.0.1", "198.51.100.2") == 200


@pytest.mark.parametrize("trusted", ["1", "127.0.0.1"])
def test_behind_a_trusted_proxy_what_the_client_itself_wrote_is_not_believed(limited, trusted):
    """nginx appends the real peer to what the client sent: the client's own entries are to its left."""
    client = limited(trusted)
    statuses = [suggest(client, "127.0.0.1", f"10.9.9.{n}, 198.51.100.1") for n in range(3)]
    assert statuses == [200, 200, 429]


def test_a_listed_proxy_is_trusted_only_when_it_is_the_peer(limited):
    client = limited("10.0.0.5")
    # A client connecting directly cannot pretend to be behind the proxy.
    assert [suggest(client, "203.0.113.9", f"198.51.100.{n}") for n in range(3)] == [200, 200, 429]


def test_a_chain_of_listed_proxies_is_walked_to_the_nearest_untrusted_address(limited):
    client = limited("10.0.0.0/24")
    assert [suggest(client, "10.0.0.5", "10.9.9.9, 198.51.100.1, 10.0.0.7") for _ in range(3)] == [200, 200, 429]
    assert suggest(client, "10.0.0.5", "198.51.100.2, 10.0.0.7") == 200


def test_garbage_in_forwarded_for_from_a_listed_proxy_is_not_a_bucket(limited):
    client = limited("10.0.0.5")
    statuses = [suggest(client, "10.0.0.5", f"junk-{n}") for n in range(3)]
    assert statuses == [200, 200, 429]
