"""The real `deflect serve` with a damaged search index (a segment overwritten on disk).

Damaged before a start, it is rebuilt by `deflect serve`; damaged while it runs, customers get no
suggestions, filing still works, and the log says so in one line.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from deflect.search import check_index
from tests.faults import corrupt_segments
from tests.http_customer import QUESTION, Customer


@pytest.fixture(scope="module")
def data_dir(start_deflect, project_kb_copy, tmp_path_factory):
    """A data dir whose site and index a first `deflect serve` has built."""
    data = tmp_path_factory.mktemp("serve-index-faults") / "var"
    assert start_deflect(project_kb_copy, data).stop() == 0
    return data


def suggestions_of(customer: Customer, query: str) -> list:
    answer = customer.get(f"/support/api/suggest?{urlencode({'q': query})}")
    assert answer.status == 200, answer
    return answer.json()["results"]


def test_an_index_damaged_before_a_start_is_rebuilt(start_deflect, project_kb_copy, data_dir):
    corrupt_segments(data_dir / "index")
    server = start_deflect(project_kb_copy, data_dir)
    try:
        assert "cannot be read" in server.output() and "rebuilding it" in server.output()
        assert suggestions_of(Customer(server.url, 1), "points not awarded after a quiz")
    finally:
        assert server.stop() == 0
    assert check_index(data_dir / "index") > 10


def test_an_index_damaged_while_serving_means_no_suggestions_filing_works_one_log_line(
    start_deflect, project_kb_copy, data_dir
):
    server = start_deflect(project_kb_copy, data_dir)
    try:
        assert "rebuilding" not in server.output()  # the index was sound at this start
        corrupt_segments(data_dir / "index")
        customer = Customer(server.url, 2)
        for query in ("points not awarded", "reset my password", "canvas grades missing"):
            assert suggestions_of(customer, query) == []
        page = customer.get(f"/support/problem/suggestions?{urlencode({'q': QUESTION, 'tag': 'HIGH'})}")
        assert page.status == 200 and "We cannot search the help center right now" in page.text
        filed = customer.post_json("/support/api/requests", customer.api_token())
        assert filed.status == 201, filed
        sent = customer.post_form("/support/problem/request", customer.open_form())
        assert sent.status == 303, sent
        failures = [
            line for line in server.output().splitlines() if " ERROR deflect.web.resources: Search failed" in line
        ]
        assert len(failures) == 1, server.output()
        assert "Customers get no suggestions and can still file requests" in failures[0]
    finally:
        assert server.stop() == 0
