"""The built help center on a server of its own, as a static host serves it, without deflect's app.

At `/support/api/suggest` stands what the test chooses: nothing (the site's own 404 page, as on a
static host), or a stand-in that answers each query as the test says: an error, a page that is not
JSON, hostile JSON, or no answer at all until the server stops. It records every query it is asked.
`headers` (a Content-Security-Policy, say) are added to every answer; a test may change them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from deflect.web.static_site import StaticSite

SUGGEST = "/support/api/suggest"
HANG = object()  # a stand-in answer: keep the request open until the server stops


class HostedSite:
    """`HostedSite(site_dir, answer)`: `answer(query)` gives a werkzeug Response, or HANG; None: no app."""

    def __init__(self, site_dir: Path, answer: Callable[[str], Response | object] | None = None):
        self.site, self.answer = StaticSite(site_dir), answer
        self.headers: dict[str, str] = {}
        self.asked: list[str] = []
        self.answered = 0
        self.stopping = threading.Event()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __call__(self, environ, start_response):
        def respond(status, headers, exc_info=None):
            return start_response(status, headers + list(self.headers.items()), exc_info)

        request = Request(environ)
        if request.path != SUGGEST or self.answer is None:
            return self.site(environ, respond)
        self.asked.append(parse_qs(request.query_string.decode()).get("q", [""])[0])
        response = self.answer(self.asked[-1])
        if response is HANG:
            self.stopping.wait(60)
            response = Response("stopped", status=503)
        self.answered += 1
        return response(environ, respond)

    def start(self) -> HostedSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
