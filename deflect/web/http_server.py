"""The waitress server `deflect serve` runs, bounded so slow or greedy clients cannot take it offline.

waitress reads every request whole in its event loop before a thread sees it, so a slow client
costs a connection, never a thread. What is bounded here:

- connections: CONNECTION_LIMIT at once (poll(), not select(), so more than 1,024 sockets work),
  the open-files limit raised to match where the system allows;
- slow requests: the request line and headers must arrive within HEADER_TIMEOUT seconds of the
  request's first byte, the whole request within REQUEST_TIMEOUT (waitress has no such timeout of its
  own: it only closes connections idle for `channel_timeout`, which one byte every few seconds
  defeats); checked by the server's maintenance pass, every second;
- idle connections (silent, keep-alive, or a client that stopped reading): IDLE_TIMEOUT;
- under pressure (PRESSURE of the connection limit in use), slow and idle connections get
  PRESSED_TIMEOUT instead, so a flood of them frees its slots within seconds for the clients
  waiting to connect (a real browser sends its headers in milliseconds);
- sizes: headers MAX_HEADER_BYTES, bodies `body_limit` (refused with 413 from the Content-Length,
  before any of the body is read, so nothing is spooled to disk).

Forwarding headers are passed through: the app decides whom to believe (DEFLECT_TRUSTED_PROXIES).
The figures and their trade-offs are in docs/deploy.md; nginx in front is the set-up for the open
internet.
"""

from __future__ import annotations

import resource
import time

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

CONNECTION_LIMIT = 1000
HEADER_TIMEOUT = 10
REQUEST_TIMEOUT = 30
IDLE_TIMEOUT = 30
PRESSURE = 0.9
PRESSED_TIMEOUT = 2
MAX_HEADER_BYTES = 32 * 1024
RESERVED_FILES = 200  # index segments, the store, site files being sent, logs


class _TimedRequestParser(HTTPRequestParser):
    """waitress's request parser, remembering when the request's first byte arrived."""

    def __init__(self, adj):
        super().__init__(adj)
        self.started = time.time()


class _TimedChannel(HTTPChannel):
    """A connection whose requests know when they started."""

    parser_class = _TimedRequestParser

    def send_continue(self):
        """Send "100 Continue" only to a request that still has a body to send.

        waitress 3.0 also sends it to a request without a body (`GET` with `Expect: 100-continue`)
        and then marks that request incomplete, so it is never answered: a connection held open
        per request, the same outage as a slow client.
        """
        if self.request.completed:
            self.request.expect_continue = False
            return
        super().send_continue()


class BoundedServer(TcpWSGIServer):
    """waitress's TCP server with request deadlines enforced in its maintenance pass."""

    channel_class = _TimedChannel

    def maintenance(self, now):
        """Close idle connections (waitress) and those whose request is arriving too slowly."""
        super().maintenance(now)
        pressed = len(self._map) >= PRESSURE * self.adj.connection_limit
        for channel in list(self.active_channels.values()):
            if channel.requests:
                continue  # being answered
            if _too_slow(channel, now, pressed):
                channel.will_close = True


def _too_slow(channel, now: float, pressed: bool) -> bool:
    """True when the connection's request (or, under pressure, its silence) has taken too long."""
    request = channel.request
    if request is None:  # between requests: waitress's idle rule, shorter under pressure
        return pressed and now - channel.last_activity > PRESSED_TIMEOUT
    limit = REQUEST_TIMEOUT if request.headers_finished else HEADER_TIMEOUT
    return now - request.started > (min(limit, PRESSED_TIMEOUT) if pressed else limit)


def open_files_for(connections: int) -> int:
    """Raise the soft open-files limit toward what `connections` need; return how many it allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return connections if soft == resource.RLIM_INFINITY else max(10, min(connections, soft - RESERVED_FILES))


def adjustments(host: str, port: int, threads: int, body_limit: int) -> Adjustments:
    """waitress's settings for `deflect serve`."""
    return Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="deflect",
        connection_limit=open_files_for(CONNECTION_LIMIT),
        asyncore_use_poll=True,
        channel_timeout=IDLE_TIMEOUT,
        cleanup_interval=1,
        max_request_header_size=MAX_HEADER_BYTES,
        max_request_body_size=body_limit,
        clear_untrusted_proxy_headers=False,
    )


def create_server(app, host: str, port: int, threads: int, body_limit: int):
    """A bounded waitress server on host:port (one socket per address the host name has)."""
    adj = adjustments(host, port, threads, body_limit)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    sockets: dict = {}
    servers = [BoundedServer(app, sockets, dispatcher=dispatcher, adj=adj, sockinfo=info) for info in adj.listen]
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(sockets, adj, listening, dispatcher, servers[0].log_info)
