"""Who may tell the app the client's address: `DEFLECT_TRUSTED_PROXIES`, as WSGI middleware.

Unset, no proxy is trusted: the client is the peer of the connection and every forwarding header
(`X-Forwarded-*`, `Forwarded`) is removed before the app sees it, so no client can choose its
rate-limit bucket or claim HTTPS. A number N trusts the last N hops of `X-Forwarded-For`,
`X-Forwarded-Proto` and `X-Forwarded-Host` (werkzeug's ProxyFix): right for an app port that only
the proxy can reach. A comma-separated list of addresses or networks honours those headers only
from a peer on the list, and takes as the client the nearest address of `X-Forwarded-For` that is
not on it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from werkzeug.middleware.proxy_fix import ProxyFix

from deflect.settings import InvalidSetting

SETTING = "DEFLECT_TRUSTED_PROXIES"
FORWARDING = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)
MAX_COUNT = 10
FIX = (
    f"set {SETTING} to the proxies' addresses or networks separated by commas (127.0.0.1 for nginx on this "
    "machine, 10.0.0.0/8), or to how many proxies stand in front of deflect (1); leave it unset when clients "
    "connect directly"
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """How many proxies, or which addresses, may set the client address; neither: none."""

    count: int = 0
    networks: tuple[Network, ...] = ()

    def trusts(self, address: str) -> bool:
        """True when `address` is one of the trusted proxies' addresses."""
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)


def parse(value: str | None) -> TrustedProxies:
    """Read the setting; raise InvalidSetting naming the variable and the fix."""
    text = (value or "").strip()
    if not text:
        return TrustedProxies()
    if text.isdigit():
        if int(text) > MAX_COUNT:
            raise InvalidSetting(f"{SETTING}={text!r} is more proxies than any real chain has; {FIX}")
        return TrustedProxies(count=int(text))
    networks = []
    for item in (part.strip() for part in text.split(",")):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InvalidSetting(f"{SETTING}={text!r}: {item!r} is not an IP address or network; {FIX}") from None
    return TrustedProxies(networks=tuple(networks))


def trusted_client_middleware(app, trusted: TrustedProxies):
    """Wrap a WSGI app so REMOTE_ADDR (and the scheme and host) are the real client's, as configured."""
    if trusted.count:
        return ProxyFix(app, x_for=trusted.count, x_proto=trusted.count, x_host=trusted.count)
    if trusted.networks:
        return _FromListedProxies(app, trusted)
    return _WithoutForwarding(app)


class _WithoutForwarding:
    """No proxy trusted: forwarding headers never reach the app."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        for key in FORWARDING:
            environ.pop(key, None)
        return self.app(environ, start_response)


class _FromListedProxies:
    """Honour forwarding headers only from a listed proxy; the client is the nearest unlisted hop."""

    def __init__(self, app, trusted: TrustedProxies):
        self.app, self.trusted = app, trusted

    def __call__(self, environ, start_response):
        if self.trusted.trusts(environ.get("REMOTE_ADDR", "")):
            environ["REMOTE_ADDR"] = self.client(environ)
            scheme = _last(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
            if host:
                environ["HTTP_HOST"] = host
        else:
            for key in FORWARDING:
                environ.pop(key, None)
        return self.app(environ, start_response)

    def client(self, environ) -> str:
        """Walk X-Forwarded-For from the nearest hop back while the hops are trusted proxies."""
        client = environ["REMOTE_ADDR"]
        for hop in reversed(environ.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            address = _ip(hop)
            if address is None:
                break  # not written by a proxy we trust: keep the last address we can vouch for
            client = str(address)
            if not self.trusted.trusts(client):
                break
        return client


def _ip(text: str):
    """The IP address in `text`, or None."""
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _last(header: str) -> str:
    """The last value of a comma-separated header: the one the nearest proxy set."""
    return header.rsplit(",", 1)[-1].strip()
