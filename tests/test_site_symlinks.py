"""The site server never follows a symlink out of site/: not to a file, not to a folder."""

from __future__ import annotations

import os

import pytest
from werkzeug.test import Client

from deflect.web.static_site import StaticSite


@pytest.fixture
def site(tmp_path):
    """A built site with links: out to a file and a folder beside it, and one link inside it."""
    root = tmp_path / "site"
    (root / "faq").mkdir(parents=True)
    (root / "index.html").write_text("<h1>Home</h1>")
    (root / "404.html").write_text("<h1>Page not found</h1>")
    (root / "faq" / "index.html").write_text("<h1>FAQ</h1>")
    outside = tmp_path / "private"
    (outside / "keys").mkdir(parents=True)
    (outside / "secret.txt").write_text("the database password")
    (outside / "keys" / "index.html").write_text("private keys")
    os.symlink(outside / "secret.txt", root / "secret.txt")
    os.symlink(outside / "keys", root / "keys")
    os.symlink("/etc/passwd", root / "faq" / "passwd")
    os.symlink(root / "faq", root / "questions")  # inside the site: harmless
    return root


@pytest.fixture
def client(site) -> Client:
    return Client(StaticSite(site))


def get(client, url: str):
    return client.get(url, buffered=True)


@pytest.mark.parametrize("url", ["/secret.txt", "/keys/", "/keys/index.html", "/keys", "/faq/passwd"])
def test_a_symlink_out_of_the_site_is_a_missing_page(client, url):
    response = get(client, url)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "password" not in response.text and "private keys" not in response.text and "root:" not in response.text


def test_a_folder_link_out_of_the_site_is_not_redirected_to_either(client):
    """A redirect to /keys/ would tell an attacker the link exists."""
    assert get(client, "/keys").status_code == 404


def test_a_symlink_that_stays_inside_the_site_is_served(client):
    assert get(client, "/questions/").text == "<h1>FAQ</h1>"


def test_a_404_page_linked_out_of_the_site_is_not_shown(site, client):
    (site / "404.html").unlink()
    os.symlink(site.parent / "private" / "secret.txt", site / "404.html")
    response = get(client, "/nope/")
    assert response.status_code == 404 and "password" not in response.text
