"""API Gateway HTTP API (payload 2.0) on 127.0.0.1 in front of real Lambda handlers, for tests and `make dev`.

Serves what the API uses: routes by method and path prefix, JSON or base64 bodies, query strings, headers.
Each function gets its own pool of spawned workers serving one request at a time, like Lambda instances (which also
keeps every function's `app` module apart); a worker imports its handler once when it starts, like a cold start, and
one that dies or times out is replaced without disturbing the others.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import connection as mp_connection
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "FunctionPool",
    "LambdaContext",
    "LocalApiGateway",
    "Route",
    "api_gateway_event",
    "describe_exit",
    "http_response",
]

log = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"
TIMEOUT_S = 30.0  # the functions' Timeout in template.yaml
INTEGRATION_TIMEOUT_S = 30.0  # HTTP API's default and maximum integration timeout
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload quota
Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Response = tuple[int, list[tuple[str, str]], bytes]
_JSON = "application/json"
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})  # the bridge frames bodies itself


def parse_spec(spec: str) -> tuple[str, str, str]:
    """Split "dir:module.function" (the dir is optional) into its three parts."""
    directory, _, target = spec.rpartition(":")
    module, _, function = target.rpartition(".")
    if not module or not function:
        raise ValueError(f"handler spec {spec!r} is not 'path/to/dir:module.function'")
    return directory, module, function


@dataclass(frozen=True)
class Route:
    """METHOD (or ANY) plus a path prefix, served by the handler at handler_spec."""

    method: str
    path_prefix: str
    handler_spec: str

    def __post_init__(self) -> None:
        parse_spec(self.handler_spec)  # a typo fails at startup, not on the first request

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path_prefix}"

    def matches(self, method: str, path: str) -> bool:
        return self.method.upper() in ("ANY", method.upper()) and path.startswith(self.path_prefix)


@dataclass
class LambdaContext:
    """The context object Lambda passes a handler, with the attributes handlers and Powertools read."""

    function_name: str = "local-app"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_s: float = TIMEOUT_S
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    invoked_function_arn: str = field(init=False)
    log_group_name: str = field(init=False)
    log_stream_name: str = field(init=False)
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    # Payload 2.0 has no multi-value fields: repeated names are joined with commas.
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _body_fields(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    mime = content_type.split(";", maxsplit=1)[0].strip().lower()
    if mime.startswith("text/") or mime.endswith(("/json", "+json", "/xml", "+xml", "/javascript")):
        with contextlib.suppress(UnicodeDecodeError):
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
    return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def api_gateway_event(
    method: str,
    path: str,
    *,
    headers: Headers | None = None,
    body: object = None,
    query: str | Mapping[str, str | Sequence[str]] | None = None,
    source_ip: str = "127.0.0.1",
    route_key: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API proxy event (payload 2.0) as the service builds it.

    A bytes or str body is sent as it is; any other value but None is sent as JSON (content-type defaulting to it).
    """
    method = method.upper()
    raw_path, _, raw_query = path.partition("?")
    if query is not None:
        raw_query = query if isinstance(query, str) else urlencode(query, doseq=True)
    headers = headers or ()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    folded = _joined((name.lower(), value) for name, value in pairs)
    if body is not None and not isinstance(body, bytes | str):
        body = json.dumps(body)
        folded.setdefault("content-type", _JSON)
    folded.setdefault("x-forwarded-for", source_ip)
    folded.setdefault("x-forwarded-proto", "http")
    params = _joined(parse_qsl(raw_query, keep_blank_values=True))
    route_key = route_key or f"{method} {raw_path}"
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": folded,
        **({"queryStringParameters": params} if params else {}),
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": folded.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        **_body_fields(body.encode() if isinstance(body, str) else body or b"", folded.get("content-type", "")),
    }


def _message(status: int, text: str) -> Response:
    return status, [("Content-Type", _JSON)], json.dumps({"message": text}).encode()


def http_response(result: Any) -> Response:
    """Map a handler's return value to (status, headers, body) as API Gateway does; raises if it is malformed."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Payload 2.0 infers a 200 JSON response from anything that is not a proxy response.
        return 200, [("Content-Type", _JSON)], json.dumps(result).encode()
    status = int(result["statusCode"])
    body = result.get("body") or ""
    if not 100 <= status <= 599 or not isinstance(body, str):
        raise ValueError(f"malformed Lambda proxy response: statusCode {status}, body {type(body).__name__}")
    # Payload 2.0 has no multiValueHeaders: a header's several values come joined with commas, as Powertools does.
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    headers = [(name, value) for name, value in headers if name.lower() not in _FRAMING]
    # A body without a type is taken as JSON; no body (a 204) claims no type.
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", _JSON))
    raw = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    return status, headers, raw


def describe_exit(code: int | None) -> str:
    """How a child process ended, from its exit code (negative: the signal that killed it), for a log line."""
    if code is not None and code < 0:
        return f"was killed by signal {signal.Signals(-code).name}"
    return f"exited with code {code}"


def request_id(event: dict[str, Any]) -> str:
    """An API Gateway event's request id; other events (SNS, a schedule) get a fresh one, as Lambda gives them."""
    context = event.get("requestContext")
    return str(context["requestId"]) if isinstance(context, dict) else str(uuid.uuid4())


def _serve(conn: Connection, directory: str, module: str, function: str, env: dict[str, str], timeout_s: float) -> None:
    """A worker process: import the handler once (a cold start), then run one event at a time until the pipe closes."""
    # Ctrl-C reaches the whole process group; the parent decides when a worker ends (see LocalApiGateway.stop).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    if directory:
        sys.path.insert(0, directory)
    name = f"local-{module.replace('.', '-')}"
    handler: Callable[[dict[str, Any], Any], Any] | None = None
    try:
        handler = getattr(importlib.import_module(module), function)
    except Exception:
        init_error = traceback.format_exc()  # Lambda fails each invoke with the init error; so does this worker
    while True:
        try:
            event = conn.recv()
        except EOFError:
            return  # the gateway closed the pipe: it is stopping (or died)
        if handler is None:
            conn.send({"error": init_error})
            continue
        context = LambdaContext(name, request_id(event), timeout_s)
        try:
            # Lambda serializes the result as JSON, so a value JSON can't carry fails here as it would there.
            conn.send({"result": json.loads(json.dumps(handler(event, context)))})
        except Exception:
            conn.send({"error": traceback.format_exc()})


class _Failed(Exception):
    """The invocation gave no response at all; API Gateway answers with `status`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Instance:
    """One worker process (a Lambda instance) and the gateway's end of its pipe."""

    def __init__(self, context: SpawnContext, args: tuple[Any, ...]) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, *args), daemon=True)
        self.process.start()
        child_end.close()  # the child holds the only other end: its exit shows here as EOF

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class FunctionPool:
    """One Lambda function: `instances` worker processes, each serving one request at a time; the rest queue.

    An instance that dies or runs past its timeout fails only the request it was serving and is replaced.
    """

    def __init__(
        self, spec: str, instances: int, env: Mapping[str, str], timeout_s: float, integration_timeout_s: float
    ) -> None:
        directory, module, function = parse_spec(spec)
        self.spec = spec
        self._timeout_s = timeout_s
        self._integration_timeout_s = integration_timeout_s
        self._args = (os.path.abspath(directory) if directory else "", module, function, dict(env), timeout_s)
        self._context = multiprocessing.get_context("spawn")
        self._ready = threading.Condition()
        self._closed = False
        self._idle = [_Instance(self._context, self._args) for _ in range(instances)]
        self._busy: set[_Instance] = set()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run `event` on a free instance: {"result": <JSON value>} or {"error": <traceback>}; raises _Failed."""
        invocation = request_id(event)
        instance = self._checkout()
        with contextlib.suppress(OSError):  # an instance that died idle: the wait below sees it
            instance.conn.send(event)
        # The gateway kills the instance at whichever limit comes first. When the integration timeout comes first
        # (or together, as with this project's 30 s) a real Lambda would run on unseen; here it ends at once.
        limit = min(self._timeout_s, self._integration_timeout_s)
        ready = mp_connection.wait([instance.conn, instance.process.sentinel], timeout=limit)
        if instance.conn in ready:
            with contextlib.suppress(EOFError, OSError):
                outcome: dict[str, Any] = instance.conn.recv()
                self._release(instance)
                return outcome
        if ready:
            instance.process.join()
            status, what = 500, describe_exit(instance.process.exitcode)
        else:
            instance.kill()
            status = 503 if self._integration_timeout_s <= self._timeout_s else 500
            what = f"timed out after {limit:g}s and was killed"
        self._replace(instance, f"{what} during request {invocation}")
        raise _Failed(503 if self._closed else status)

    def _checkout(self) -> _Instance:
        with self._ready:
            while not self._idle and not self._closed:
                self._ready.wait()
            if self._closed:
                raise _Failed(503)
            instance = self._idle.pop()
            if not instance.process.is_alive():  # killed from outside while idle
                instance.conn.close()
                self._report(instance, f"{describe_exit(instance.process.exitcode)} while idle")
                instance = _Instance(self._context, self._args)
            self._busy.add(instance)
            return instance

    def _release(self, instance: _Instance) -> None:
        with self._ready:
            self._busy.discard(instance)
            if self._closed:
                instance.conn.close()  # the worker sees EOF and exits
                return
            self._idle.append(instance)
            self._ready.notify()

    def _replace(self, instance: _Instance, what: str) -> None:
        instance.conn.close()
        with self._ready:
            self._busy.discard(instance)
            if self._closed:
                return  # stop() ended it
            self._report(instance, what)
            self._idle.append(_Instance(self._context, self._args))
            self._ready.notify()

    def _report(self, instance: _Instance, what: str) -> None:
        log.error("%s: instance pid %s %s; starting a new one", self.spec, instance.process.pid, what)

    def shutdown(self, grace_s: float) -> None:
        """close(), then give the workers grace_s in all to end before killing the rest."""
        _end(self.close(), grace_s)

    def close(self) -> list[BaseProcess]:
        """Refuse new requests (queued ones get 503) and end idle workers; returns every worker process."""
        with self._ready:
            self._closed = True
            for instance in self._idle:
                instance.conn.close()  # the worker sees EOF and exits; a busy one does after its request
            processes = [instance.process for instance in (*self._idle, *self._busy)]
            self._idle = []
            self._ready.notify_all()
        return processes


def _end(processes: Sequence[BaseProcess], grace_s: float) -> None:
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 drops or resets connections when a few dozen clients connect at once; API Gateway
    # queues them. The kernel caps this at net.core.somaxconn (4096 by default since Linux 5.4).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], gateway: LocalApiGateway) -> None:
        self.gateway = gateway
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer (a timeout, a closed tab) is no error of ours: API Gateway drops
        # the reply too. Anything else is printed as socketserver does.
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            log.info("%s hung up before its answer", client_address[0])
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        self._reply(*self._respond())

    def _respond(self) -> Response:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # the body's end is unknown (chunked bodies aren't supported)
            return _message(400, "Bad Request")
        if length > self.server.gateway.max_body_bytes:
            # Drained, not left unread: closing on unread data resets the connection under the reply.
            while length > 0:  # `or length`: the client hung up, nothing more to drain
                length -= len(self.rfile.read(min(length, 1 << 16))) or length
            return _message(413, "Request Entity Too Large")
        body = self.rfile.read(length)
        return self.server.gateway.dispatch(self.command, self.path, self.headers.items(), body, self.client_address[0])

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the routes, as in API Gateway: one that no route takes is a 404, not a 501 page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":  # a body after HEAD would be read as the next response
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s " + format, self.client_address[0], *args)


class LocalApiGateway:
    """API Gateway HTTP API on 127.0.0.1: routes requests to handlers run in per-function worker pools."""

    def __init__(
        self,
        routes: Sequence[Route],
        host: str = "127.0.0.1",
        port: int = 0,
        instances: int = 4,
        env: Mapping[str, str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        timeout_s: float = TIMEOUT_S,
        integration_timeout_s: float = INTEGRATION_TIMEOUT_S,
    ) -> None:
        self.routes = list(routes)
        self.max_body_bytes = max_body_bytes
        self._address = (host, port)
        self._instances = instances
        self._env = dict(env or {})
        self._limits = (timeout_s, integration_timeout_s)
        self._functions: dict[str, FunctionPool] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the gateway is not started")
        return f"http://{self._address[0]}:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is None:
            specs = dict.fromkeys(route.handler_spec for route in self.routes)
            self._functions = {spec: FunctionPool(spec, self._instances, self._env, *self._limits) for spec in specs}
            self._server = _Server(self._address, self)
            self._thread = threading.Thread(target=self._server.serve_forever, name="apigw", daemon=True)
            self._thread.start()
        return self

    @property
    def serving(self) -> bool:
        """Whether the server thread is still accepting requests (it ends only on stop() or a crash)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop serving, let running invocations finish for grace_s, then end every worker process."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        processes = [process for function in self._functions.values() for process in function.close()]
        self._functions = {}
        _end(processes, grace_s)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def dispatch(self, method: str, target: str, headers: Headers, body: bytes, source_ip: str) -> Response:
        """Route one HTTP request, invoke its handler and map the outcome, with API Gateway's error replies."""
        path, _, query = target.partition("?")
        route = next((route for route in self.routes if route.matches(method, path)), None)
        if route is None:
            return _message(404, "Not Found")
        event = api_gateway_event(
            method, path, headers=headers, body=body, query=query, source_ip=source_ip, route_key=route.key
        )
        request_id = event["requestContext"]["requestId"]
        # What API Gateway HTTP API answers when the Lambda gives no usable response: 500 Internal Server Error when
        # the function raised, crashed, hit its own timeout or returned a malformed response ("My API with a Lambda
        # integration returns {"message":"Internal Server Error"}",
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html), and
        # 503 Service Unavailable when the integration timeout (30 s at most, http-api-quotas.html) passes first
        # (github.com/anomalyco/sst/issues/2232, github.com/serverless/serverless/issues/11222).
        try:
            outcome = self._functions[route.handler_spec].invoke(event)
            if "error" in outcome:
                log.error("%s failed (request %s):\n%s", route.handler_spec, request_id, outcome["error"])
                return _message(500, "Internal Server Error")
            status, out_headers, out_body = http_response(outcome["result"])
        except _Failed as failed:
            return _message(failed.status, "Service Unavailable" if failed.status == 503 else "Internal Server Error")
        except Exception:
            log.exception("%s gave no usable response (request %s)", route.handler_spec, request_id)
            return _message(500, "Internal Server Error")
        return status, [*out_headers, ("apigw-requestid", request_id)], out_body
