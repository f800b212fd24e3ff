"""The built help-center site as a WSGI application: what `deflect serve` answers outside /support/."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Request, Response

# Types the platform's mimetypes table may lack or get wrong; browsers refuse mistyped scripts.
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".xml": "application/xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".webmanifest": "application/manifest+json",
    ".map": "application/json",
    ".gz": "application/gzip",
}

# What the site's pages tell browsers (docs/deploy.md has the full set, with a CSP, for nginx): a
# Material site's inline scripts and writers' embeds are theirs to allow, framing and sniffing are not.
SITE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class StaticSite:
    """Serves a built MkDocs site: directory URLs get index.html, unknown paths the site's 404.html.

    Nothing outside the site folder is ever served: a path that leaves it, or a symlink inside it
    that points out of it (to a file or a folder), is answered like a missing page.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.respond(request)
        except HTTPException as error:  # not found, not allowed, a range it cannot serve, ...
            response = self.error_page(error)
        for name, value in SITE_HEADERS.items():
            response.headers.setdefault(name, value)
        body = response(environ, start_response)
        if request.method == "HEAD":
            response.close()  # no body is sent, so nothing else would close the file
        return body

    def respond(self, request: Request) -> Response:
        """Return the file the URL names, a redirect to the directory URL, or raise NotFound."""
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
        path = safe_join(str(self.root), request.path.lstrip("/")) if request.path != "/" else str(self.root)
        if path is None or not self.inside(path):
            raise NotFound()
        if os.path.isdir(path):
            if not request.path.endswith("/"):
                query = f"?{request.query_string.decode('latin-1')}" if request.query_string else ""
                return redirect(request.script_root + request.path + "/" + query, 301)
            path = os.path.join(path, "index.html")
            if not self.inside(path) or not os.path.isfile(path):
                raise NotFound()
        response = send_file(path, request.environ, mimetype=content_type(path), conditional=True, max_age=None)
        response.headers.pop("Content-Disposition", None)  # a page, not a download
        return response

    def inside(self, path: str) -> bool:
        """True when `path` exists and, symlinks resolved, lies inside the site folder."""
        if not os.path.exists(path):
            return False
        root = os.path.realpath(self.root)
        return os.path.commonpath([root, os.path.realpath(path)]) == root

    def error_page(self, error) -> Response:
        """The site's own 404.html (Material's, with the header and search), else a plain page."""
        page = self.root / "404.html"
        if isinstance(error, NotFound) and self.inside(str(page)) and page.is_file():
            return Response(page.read_bytes(), status=404, mimetype="text/html")
        return error.get_response()


def content_type(path: str) -> str:
    """The media type of a site file (werkzeug adds charset=utf-8 to the text types)."""
    suffix = Path(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
