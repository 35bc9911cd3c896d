"""The sandbox over HTTP: parse a request, apply faults, dispatch by path prefix, log, answer.

Route tables (v1, OAuth, control, later v2) register with `Dispatcher.register`; the one with the
longest matching prefix gets the request. Faults and the request log apply to every table except
control ones. Open connections are tracked so `stop()` really cuts clients off (keep-alive
connections included), which offline tests rely on.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harvest_widget import __version__
from harvest_widget.sandbox.clock import Clock
from harvest_widget.sandbox.faults import FaultSet
from harvest_widget.sandbox.messages import Request, Response, Routes
from harvest_widget.sandbox.request_log import LoggedRequest, RequestLog

log = logging.getLogger(__name__)

_MAX_BODY = 1 << 20


class Dispatcher:
    """Everything a request handler needs, shared by all handler threads."""

    def __init__(self, clock: Clock, faults: FaultSet, request_log: RequestLog) -> None:
        self.clock = clock
        self.faults = faults
        self.request_log = request_log
        self._routes: list[Routes] = []

    def register(self, routes: Routes) -> None:
        self._routes.append(routes)

    def routes_for(self, path: str) -> Routes | None:
        best: tuple[int, Routes] | None = None
        for routes in self._routes:
            for prefix in routes.prefixes:
                if (path == prefix or path.startswith(prefix.rstrip("/") + "/")) and (
                    best is None or len(prefix) > best[0]
                ):
                    best = (len(prefix), routes)
        return best[1] if best else None


class SandboxHTTPServer(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer is routine here (faults, stop()); keep stderr quiet.
        log.debug("connection from %s failed", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            # The handler's rfile/wfile keep the descriptor open past close(): shut it down first,
            # or a keep-alive client goes on being served after stop().
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            abort_connection(connection)


def abort_connection(connection: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0): the client sees the connection die, no response."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass  # already closed by the other side: nothing left to cut


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"harvest-widget-sandbox/{__version__}"
    # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _serve(self) -> None:
        dispatcher = self.server.dispatcher
        request = self._read_request()
        if request is None:
            return
        routes = dispatcher.routes_for(request.path)
        if routes is not None and routes.is_control:
            self._write(routes.handle(request))
            return
        arrived = dispatcher.clock.now()
        faults = dispatcher.faults.take(request.method, request.path)
        delay = sum(f.seconds for f in faults if f.kind == "latency")
        if delay > 0:
            time.sleep(delay)
        fault = next((f for f in faults if f.kind != "latency"), None)

        def logged(status: int | None) -> None:
            dispatcher.request_log.append(
                LoggedRequest(
                    request.method,
                    request.path,
                    request.query,
                    request.headers,
                    request.body,
                    arrived,
                    status,
                )
            )

        if fault is not None and fault.kind == "reset":
            logged(None)
            self._abort()
            return
        if fault is not None and fault.kind == "status":
            body, content_type = fault.status_body()
            response = Response(fault.status, body, content_type, dict(fault.headers))
        else:
            response = self._dispatch(routes, request)
        if fault is not None and fault.kind == "drop_after_commit":
            logged(None)
            self._abort()
            return
        logged(response.status)
        if fault is not None and fault.kind == "malformed":
            response = Response(
                response.status, _malformed(response.body), response.content_type, response.headers
            )
        self._write(response, truncate=fault is not None and fault.kind == "truncated")

    def _dispatch(self, routes: Routes | None, request: Request) -> Response:
        if routes is None:
            return Response.text(404, "Not found.")
        try:
            return routes.handle(request)
        except Exception:
            log.exception("sandbox route failed for %s %s", request.method, request.path)
            return Response.text(500, "The sandbox failed to handle this request (see its log).")

    def _read_request(self) -> Request | None:
        length_text = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._write(Response.text(400, "Bad Content-Length."))
            return None
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=parts.path or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            peer=self.client_address[0],
        )

    def _abort(self) -> None:
        self.close_connection = True
        # The buffered files hold references that would defer the close (and so the reset).
        self.rfile.close()
        self.wfile.close()
        self.wfile = io.BytesIO()  # http.server flushes wfile after every request: give it a sink
        abort_connection(self.connection)

    def _write(self, response: Response, *, truncate: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        body = response.body[: len(response.body) // 2] if truncate else response.body
        if self.command != "HEAD":
            self.wfile.write(body)
        if truncate:
            # A graceful close after half the announced bytes: the client reads a short body.
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may already have gone
                self.connection.shutdown(socket.SHUT_WR)


def _malformed(body: bytes) -> bytes:
    """A body that starts like the real one and then stops making sense."""
    return body[: max(len(body) // 2, 1)] + b"\x00<<{{ malformed"
