"""The HTTP side: a threaded server on 127.0.0.1 that reads a request, counts it, plays any
queued fault, runs the handler under the store's lock and writes Google's JSON back."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import discovery, errors, pretty, routes
from .call import Call
from .faults import Fault

if TYPE_CHECKING:
    from .emulator import Emulator


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, Handler)
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test, a dropped connection) is not an emulator bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def close_all(self) -> None:
        """Hang up on kept-alive clients too, so no handler thread outlives the server."""
        with self._open_lock:
            for connection in list(self._open):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests and Google both use
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every answer waits ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        emulator = self.server.emulator
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        found = routes.match(self.command, url.path)
        template = found.template if found else url.path
        emulator.count(self.command, template)
        if emulator.quota is not None:  # Google's front end refuses before anything is done
            refusal = emulator.quota.take(self.command, template, self._user())
            if refusal is not None:
                return self._answer(refusal.code, refusal.body)
        fault = emulator.faults.take(self.command, template, url.path)
        if fault and fault.kind == "late":
            return self._land_late(fault, found, url.query, raw)
        if fault and fault.kind == "drop" and not fault.applied:
            return self._hang_up()
        if fault and fault.kind not in ("drop", "slow"):
            error = fault.error(template, self.command)
            return self._answer(error.code, error.body)
        status, body = self._dispatch(found, url.query, raw)
        if fault and fault.kind == "drop":
            return self._hang_up()
        if fault and fault.kind == "slow":
            time.sleep(fault.seconds)
        self._answer(status, body)

    def _user(self) -> str:
        """Who the quota counts the request against: its bearer token (or none)."""
        words = (self.headers.get("Authorization") or "").split()
        return words[-1] if words else ""

    def _land_late(self, fault: Fault, found: routes.Match | None, query: str, raw: bytes) -> None:
        """Do the request only after `fault.seconds` (this connection's thread waits; others go on)."""
        if not fault.answer:
            self._hang_up()  # the client sees a dropped connection and may retry at once
        time.sleep(fault.seconds)
        status, body = self._dispatch(found, query, raw)
        fault.landed.set()
        if fault.answer:
            self._answer(status, body)

    def _dispatch(self, found: routes.Match | None, query: str, raw: bytes) -> tuple[int, Any]:
        if found is None:
            return 404, {
                "error": {
                    "code": 404,
                    "message": f"sheets_emulator: no route for {self.command} {urlsplit(self.path).path}",
                    "status": "NOT_FOUND",
                }
            }
        if found.handler is None:
            error = errors.unimplemented(f"{found.method} {found.template} is not modelled")
            return error.code, error.body
        store = self.server.emulator.store
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            error = errors.invalid_argument("Invalid JSON payload received. Unexpected token.")
            return error.code, error.body
        call = Call(found.method, found.template, found.path, parse_qs(query, keep_blank_values=True), body, store)
        if found.template.startswith("/v4/"):  # Sheets' front end refuses names it does not know
            method = discovery.find(found.method, urlsplit(self.path).path)
            refused = discovery.refusal(method, call.query, body) if method else []
            if refused:
                error = errors.invalid_argument_with_violations(refused)
                return error.code, error.body
        try:
            with store.lock:
                return found.handler(call)
        except errors.ApiError as error:
            return error.code, error.body
        except Exception as bug:  # an emulator bug: say so loudly, in Google's shape
            traceback.print_exc(file=sys.stderr)
            return 500, {"error": {"code": 500, "message": f"sheets_emulator bug: {bug!r}", "status": "INTERNAL"}}

    def _answer(self, status: int, body: Any) -> None:
        self.send_response(status)
        if status == 204 or body is None:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = pretty.dumps(body).encode("utf-8")
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
