"""local.apigw: API Gateway HTTP API (payload 2.0) in front of handlers run in spawned worker processes."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from local.apigw import LambdaContext, LocalApiGateway, Route, api_gateway_event, http_response
from tests.unit.apigw_handlers.echo_app import GATE_ENV, MARKER_ENV

HANDLERS = Path(__file__).resolve().parent / "apigw_handlers"
ROOT = Path(__file__).resolve().parents[2]
INSTANCES = 2
MAX_BODY = 1024

Reply = tuple[int, Message, bytes]


def spec(function: str) -> str:
    return f"{HANDLERS}:echo_app.{function}"


def send(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
) -> Reply:
    """One request on an open connection; header pairs may repeat a name."""
    conn.putrequest(method, path)
    for name, value in headers:
        conn.putheader(name, value)
    if body or method in {"POST", "PUT", "PATCH"}:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def call(url: str, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> Reply:
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    try:
        return send(conn, method, path, body, headers)
    finally:
        conn.close()


def echo(url: str, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> Any:
    status, _, raw = call(url, method, path, body, headers)
    assert status == 200, raw
    return json.loads(raw)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Gate:
    """The unix socket the `gate` handler reports to: each connection is one invocation held inside the handler."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._listener = socket.socket(socket.AF_UNIX)
        self._listener.bind(str(path))
        self._listener.listen(32)
        self._held: list[socket.socket] = []

    def accept(self) -> tuple[socket.socket, int]:
        self._listener.settimeout(10)  # a generous bound for cold starts, not a synchronization
        conn, _ = self._listener.accept()
        conn.settimeout(10)
        self._held.append(conn)
        with conn.makefile("rb") as lines:
            return conn, int(lines.readline())

    def quiet_for(self, seconds: float) -> bool:
        """True if no further invocation enters the handler within `seconds`."""
        self._listener.settimeout(seconds)
        try:
            conn, _ = self._listener.accept()
        except TimeoutError:
            return True
        conn.close()
        return False

    @staticmethod
    def release(conn: socket.socket) -> None:
        """Let the invocation return, and wait until the handler has let go of the socket."""
        conn.sendall(b"x")
        assert conn.recv(1) == b""
        conn.close()

    def drain(self) -> None:
        """Let every invocation go, held or still arriving, so a failed test doesn't leave them to time out."""
        for conn in self._held:
            conn.close()
        self._held.clear()
        while not self.quiet_for(1.0):
            pass

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gate]:
    gate = Gate(tmp_path_factory.mktemp("gate") / "g.sock")
    yield gate
    gate.close()


@pytest.fixture(scope="module")
def gateway(gate: Gate) -> Iterator[LocalApiGateway]:
    """One gateway for the module: spawning workers is the slow part, so they are reused across tests."""
    routes = [
        Route("ANY", "/echo", spec("lambda_handler")),
        Route("GET", "/echo/shadowed", spec("plain")),  # never reached: the ANY /echo route comes first
        Route("POST", "/mirror", spec("mirror")),
        Route("ANY", "/fail", spec("fail")),
        Route("GET", "/plain", spec("plain")),
        Route("POST", "/gate", spec("gate")),
        Route("GET", "/slow", spec("slow")),
        Route("POST", "/crash", spec("crash")),
    ]
    env = {GATE_ENV: str(gate.path), MARKER_ENV: "from-env"}
    with LocalApiGateway(routes, instances=INSTANCES, env=env, max_body_bytes=MAX_BODY) as gateway:
        yield gateway


# The event and response mappings, without a server.


def test_event_is_built_like_api_gateway() -> None:
    headers = [("X-Multi", "a"), ("x-multi", "b"), ("User-Agent", "ua/1")]
    event = api_gateway_event("post", "/v1/chat?x=1&x=2&empty=", headers=headers, body={"q": "é"}, source_ip="10.0.0.9")
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/chat"
    assert (event["rawPath"], event["rawQueryString"]) == ("/v1/chat", "x=1&x=2&empty=")
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["headers"]["x-multi"] == "a,b"
    assert event["headers"]["content-type"] == "application/json"
    assert (event["body"], event["isBase64Encoded"]) == ('{"q": "\\u00e9"}', False)
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/v1/chat",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "ua/1",
    }
    assert (context["stage"], context["routeKey"]) == ("$default", "POST /v1/chat")
    assert (context["accountId"], context["apiId"], context["domainName"]) == ("123456789012", "local", "127.0.0.1")
    assert context["time"].endswith(" +0000") and context["timeEpoch"] > 1_700_000_000_000


def test_event_omits_empty_parts_and_encodes_binary() -> None:
    event = api_gateway_event("GET", "/x", query={"a": ["1", "2"]})
    assert "body" not in event and event["isBase64Encoded"] is False
    assert event["rawQueryString"] == "a=1&a=2"
    assert "queryStringParameters" not in api_gateway_event("GET", "/x")
    bad_utf8 = api_gateway_event("POST", "/x", body=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert (bad_utf8["body"], bad_utf8["isBase64Encoded"]) == ("//4=", True)
    untyped = api_gateway_event("POST", "/x", body="plain words")  # no content type: not known to be text
    assert untyped["isBase64Encoded"] is True
    number = api_gateway_event("POST", "/x", body=42)  # any other value is sent as JSON
    assert (number["body"], number["headers"]["content-type"]) == ("42", "application/json")


def test_response_mapping() -> None:
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"X-One": 1, "Content-Length": "999", "X-Many": "a, b"},
            "body": "hi",
        }
    )
    assert (status, body) == (201, b"hi")
    assert headers == [("X-One", "1"), ("X-Many", "a, b"), ("Content-Type", "application/json")]
    assert http_response({"statusCode": 200, "isBase64Encoded": True, "body": "AAE="})[2] == b"\x00\x01"
    assert http_response({"statusCode": 204})[2] == b""
    assert http_response({"answer": 42}) == (200, [("Content-Type", "application/json")], b'{"answer": 42}')
    assert http_response("text")[2] == b'"text"'
    for malformed in ({"statusCode": "abc"}, {"statusCode": 99}, {"statusCode": 200, "body": {"not": "a string"}}):
        with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is API Gateway's 500
            http_response(malformed)


def test_lambda_context_has_the_real_attributes() -> None:
    context = LambdaContext("local-app", "req-1")
    assert context.aws_request_id == "req-1"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:local-app"
    assert context.log_group_name == "/aws/lambda/local-app"
    assert "[$LATEST]" in context.log_stream_name
    assert (context.function_version, context.memory_limit_in_mb) == ("$LATEST", 512)
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000


def test_a_typo_in_a_handler_spec_fails_at_startup() -> None:
    with pytest.raises(ValueError, match="handler spec"):
        Route("GET", "/", "functions/chat:app")


# Through HTTP, with real worker processes.


def test_routing_and_not_found(gateway: LocalApiGateway) -> None:
    assert echo(gateway.url, "DELETE", "/echo/x")["event"]["routeKey"] == "ANY /echo"
    assert echo(gateway.url, "GET", "/echo/shadowed")["event"]["routeKey"] == "ANY /echo"  # first match wins
    assert echo(gateway.url, "GET", "/plain/y") == {"plain": True, "path": "/plain/y"}
    # A method no route takes is "no route" too, as in API Gateway: 404 JSON, not the HTTP server's 501 page.
    for method, path in [("GET", "/mirror"), ("GET", "/nowhere"), ("POST", "/"), ("PATCH", "/plain"), ("TRACE", "/")]:
        status, headers, body = call(gateway.url, method, path)
        assert (status, json.loads(body)) == (404, {"message": "Not Found"})
        assert headers["Content-Type"] == "application/json"
    conn = http.client.HTTPConnection(gateway.url.removeprefix("http://"), timeout=10)
    try:
        assert send(conn, "HEAD", "/nowhere")[::2] == (404, b"")  # no body after HEAD, so the connection stays usable
        assert send(conn, "GET", "/plain/z")[0] == 200
    finally:
        conn.close()


def test_event_fields_over_http(gateway: LocalApiGateway) -> None:
    headers = [("X-Multi", "a"), ("X-Multi", "b"), ("User-Agent", "test-agent")]
    status, reply_headers, raw = call(gateway.url, "GET", "/echo/a%20b?q=1&q=2&r=", headers=headers)
    assert status == 200
    reply = json.loads(raw)
    event, context = reply["event"], reply["context"]
    assert event["rawPath"] == "/echo/a%20b"
    assert (event["rawQueryString"], event["queryStringParameters"]) == ("q=1&q=2&r=", {"q": "1,2", "r": ""})
    assert event["headers"]["x-multi"] == "a,b"
    assert all(name == name.lower() for name in event["headers"])
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["http"]["userAgent"] == "test-agent"
    assert "body" not in event
    request_id = event["requestContext"]["requestId"]
    assert context["aws_request_id"] == request_id == reply_headers["apigw-requestid"]
    assert context["function_name"] == "local-echo_app"
    assert 0 < context["remaining_ms"] <= 30_000
    assert reply["marker"] == "from-env"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_admin_shaped_requests_reach_the_handler_whole(gateway: LocalApiGateway, method: str) -> None:
    """Path segments for Powertools to resolve from rawPath, a paging query string, a JSON body on writes."""
    body = json.dumps({"dailyCapUsd": "5"}).encode() if method in {"POST", "PUT"} else b""
    headers = [("Authorization", "Bearer admin-token"), ("Content-Type", "application/json")]
    target = "/echo/v1/admin/tenants/t-1/keys/srk_2?limit=10&cursor=eyJrIjoxfQ%3D%3D"
    event = echo(gateway.url, method, target, body, headers)["event"]
    assert (event["routeKey"], event["requestContext"]["http"]["method"]) == ("ANY /echo", method)
    assert event["rawPath"] == "/echo/v1/admin/tenants/t-1/keys/srk_2"
    assert event["rawQueryString"] == "limit=10&cursor=eyJrIjoxfQ%3D%3D"
    assert event["queryStringParameters"] == {"limit": "10", "cursor": "eyJrIjoxfQ=="}
    assert event["headers"]["authorization"] == "Bearer admin-token"
    if body:
        assert (json.loads(event["body"]), event["isBase64Encoded"]) == ({"dailyCapUsd": "5"}, False)
    else:
        assert "body" not in event


def test_text_and_binary_bodies(gateway: LocalApiGateway) -> None:
    text = '{"q": "héllo"}'.encode()
    event = echo(gateway.url, "POST", "/echo", text, [("Content-Type", "application/json; charset=utf-8")])["event"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"q": "héllo"}', False)
    binary = bytes(range(256))
    event = echo(gateway.url, "PUT", "/echo", binary, [("Content-Type", "application/octet-stream")])["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == binary


def mirror(gateway: LocalApiGateway, response: Any) -> Reply:
    """Have the handler return `response` verbatim."""
    return call(gateway.url, "POST", "/mirror", json.dumps(response).encode(), [("Content-Type", "application/json")])


def test_response_mapping_over_http(gateway: LocalApiGateway) -> None:
    status, headers, body = mirror(
        gateway,
        {
            "statusCode": 418,
            "headers": {"X-Teapot": "yes", "Retry-After": "3", "X-Many": "a, b"},
            "body": "short and stout",
        },
    )
    assert (status, body) == (418, b"short and stout")
    assert (headers["X-Teapot"], headers["Retry-After"], headers["X-Many"]) == ("yes", "3", "a, b")
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    png = b"\x89PNG\r\n\x1a\n\x00"
    response = {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True}
    status, headers, body = mirror(gateway, {**response, "body": base64.b64encode(png).decode()})
    assert (status, headers["Content-Type"], body) == (200, "image/png", png)


def test_inferred_responses(gateway: LocalApiGateway) -> None:
    status, headers, body = mirror(gateway, {"answer": 42})
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {"answer": 42})
    status, _, body = mirror(gateway, "just text")
    assert (status, body) == (200, b'"just text"')


def test_handler_errors_are_500_and_the_server_keeps_serving(
    gateway: LocalApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        status, headers, body = call(gateway.url, "POST", "/fail")
        assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})  # as HTTP APIs answer
        assert headers["Content-Type"] == "application/json"
    assert "ZeroDivisionError: the handler failed on purpose" in caplog.text
    status, _, body = mirror(gateway, {"statusCode": "not a number"})
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    assert echo(gateway.url, "GET", "/echo")["event"]["rawPath"] == "/echo"


def test_oversized_bodies_are_413_without_invoking(gateway: LocalApiGateway) -> None:
    conn = http.client.HTTPConnection(gateway.url.removeprefix("http://"), timeout=10)
    try:
        status, headers, body = send(conn, "POST", "/echo", b"x" * (MAX_BODY + 1))
        assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"})
        assert "apigw-requestid" not in headers  # the bridge answered; no handler ran
        # The oversized body was drained, so the same connection carries the next request.
        status, _, body = send(conn, "POST", "/echo", b"x" * MAX_BODY, [("Content-Type", "text/plain")])
        assert status == 200
        assert json.loads(body)["event"]["body"] == "x" * MAX_BODY
    finally:
        conn.close()


def test_hundreds_of_simultaneous_connections_are_all_answered(gateway: LocalApiGateway) -> None:
    """A burst of clients connecting at once is queued by the listener, not reset or dropped (backlog 5 did that)."""
    clients = 300
    start = threading.Barrier(clients)

    def one() -> int | str:
        conn = http.client.HTTPConnection(gateway.url.removeprefix("http://"), timeout=10)
        try:
            start.wait()
            return send(conn, "GET", "/slow")[0]
        except OSError as error:  # a reset, a refusal, or a connection dropped until the client gave up
            return type(error).__name__
        finally:
            conn.close()

    with ThreadPoolExecutor(clients) as pool:
        outcomes = Counter(pool.map(lambda _: one(), range(clients)))
    assert outcomes == {200: clients}


def test_at_most_instances_run_at_once(gateway: LocalApiGateway, gate: Gate) -> None:
    requests = INSTANCES + 3
    with ThreadPoolExecutor(requests) as clients:
        replies = [clients.submit(call, gateway.url, "POST", "/gate") for _ in range(requests)]
        try:
            inside = [gate.accept() for _ in range(INSTANCES)]  # every instance is now held inside the handler
            assert len({pid for _, pid in inside}) == INSTANCES
            assert gate.quiet_for(0.3), "an invocation ran beyond the instance limit"
            seen = {pid for _, pid in inside}
            entered = INSTANCES
            while inside:
                # Free one instance at a time: only then may the next queued request enter, on a known instance.
                Gate.release(inside.pop(0)[0])
                if entered < requests:
                    inside.append(gate.accept())
                    entered += 1
                    assert len({pid for _, pid in inside}) == len(inside)
                    seen.add(inside[-1][1])
        except BaseException:
            gate.drain()
            raise
        assert [reply.result()[0] for reply in replies] == [200] * requests
    assert len(seen) == INSTANCES


def test_a_client_that_hangs_up_before_its_answer_leaves_no_traceback(
    gateway: LocalApiGateway, gate: Gate, capfd: pytest.CaptureFixture[str]
) -> None:
    host, port = gateway.url.removeprefix("http://").split(":")
    client = socket.create_connection((host, int(port)))
    client.sendall(b"POST /gate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    held, _ = gate.accept()  # the invocation is inside the handler
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset: the client is gone (a timeout, a closed tab)
    Gate.release(held)
    assert call(gateway.url, "GET", "/plain")[0] == 200  # still serving, and the gone client's reply was dropped
    assert "Traceback" not in capfd.readouterr().err


def crash(gateway: LocalApiGateway, how: str) -> Reply:
    """Ask the crash function (see echo_app.crash) to answer or die `how`."""
    return call(
        gateway.url, "POST", "/crash", json.dumps({"how": how}).encode(), [("Content-Type", "application/json")]
    )


@pytest.mark.parametrize(
    ("how", "reported"), [("exit", "exited with code 3"), ("sigkill", "signal SIGKILL"), ("segfault", "signal SIGSEGV")]
)
def test_a_dying_instance_fails_only_its_own_request_and_is_replaced(
    gateway: LocalApiGateway, gate: Gate, caplog: pytest.LogCaptureFixture, how: str, reported: str
) -> None:
    with ThreadPoolExecutor(8) as clients:
        try:
            running = clients.submit(crash, gateway, "hold")
            running_conn, running_pid = gate.accept()
            doomed = clients.submit(crash, gateway, how)
            doomed_conn, doomed_pid = gate.accept()
            # Both instances of the function are busy, so these wait in its queue while one of them dies.
            queued = [clients.submit(crash, gateway, "now") for _ in range(4)]
            Gate.release(doomed_conn)
            status, _, body = doomed.result()
            assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
            # The queue is served by a fresh instance while the other request is still running on its own.
            assert [reply.result()[0] for reply in queued] == [200] * 4
            served_by = {json.loads(reply.result()[2])["pid"] for reply in queued}
            assert running_pid not in served_by and doomed_pid not in served_by
            assert not running.done()
            Gate.release(running_conn)
            assert running.result()[0] == 200
        except BaseException:
            gate.drain()
            raise
    assert not alive(doomed_pid)
    lines = [r.getMessage() for r in caplog.records if str(doomed_pid) in r.getMessage()]
    assert len(lines) == 1 and spec("crash") in lines[0] and reported in lines[0], lines
    # Back to INSTANCES live instances, the dead one not among them.
    with ThreadPoolExecutor(INSTANCES) as clients:
        replies = [clients.submit(crash, gateway, "hold") for _ in range(INSTANCES)]
        try:
            held = [gate.accept() for _ in range(INSTANCES)]
        except BaseException:
            gate.drain()
            raise
        for conn, _ in held:
            Gate.release(conn)
        assert [reply.result()[0] for reply in replies] == [200] * INSTANCES
    pids = {pid for _, pid in held}
    assert len(pids) == INSTANCES and doomed_pid not in pids and all(alive(pid) for pid in pids)


@pytest.mark.parametrize(
    ("timeout_s", "integration_timeout_s", "status", "message"),
    [(1.0, 30.0, 500, "Internal Server Error"), (30.0, 1.0, 503, "Service Unavailable")],
    ids=["function-timeout", "integration-timeout"],
)
def test_an_invocation_past_its_timeout_is_ended_and_its_instance_replaced(
    gate: Gate,
    caplog: pytest.LogCaptureFixture,
    timeout_s: float,
    integration_timeout_s: float,
    status: int,
    message: str,
) -> None:
    routes = [Route("GET", "/echo", spec("lambda_handler")), Route("POST", "/gate", spec("gate"))]
    env = {GATE_ENV: str(gate.path)}
    limits = {"timeout_s": timeout_s, "integration_timeout_s": integration_timeout_s}
    with LocalApiGateway(routes, instances=1, env=env, **limits) as gateway:
        # The context tells the handler its own deadline (the chat function derives its request deadline from it).
        assert 0 < echo(gateway.url, "GET", "/echo")["context"]["remaining_ms"] <= timeout_s * 1000
        with ThreadPoolExecutor(1) as client:
            stuck = client.submit(call, gateway.url, "POST", "/gate")
            conn, stuck_pid = gate.accept()  # and never released
            try:
                reply = stuck.result()
            finally:
                conn.close()
        assert (reply[0], json.loads(reply[2])) == (status, {"message": message})
        assert not alive(stuck_pid)
        assert echo(gateway.url, "GET", "/echo")["pid"] != stuck_pid
    assert any(str(stuck_pid) in r.getMessage() and "timed out after 1" in r.getMessage() for r in caplog.records)


def test_stop_ends_every_worker(gate: Gate) -> None:
    routes = [Route("GET", "/echo", spec("lambda_handler")), Route("POST", "/gate", spec("gate"))]
    gateway = LocalApiGateway(routes, instances=1, env={GATE_ENV: str(gate.path)}).start()
    url = gateway.url
    echo_pid = echo(url, "GET", "/echo")["pid"]
    with ThreadPoolExecutor(1) as client:
        held = client.submit(call, url, "POST", "/gate")
        conn, gate_pid = gate.accept()
        gateway.stop(grace_s=0.2)  # the held invocation never finishes, so its worker is killed
        assert held.result()[0] == 503
    conn.close()
    assert not alive(echo_pid)
    assert not alive(gate_pid)
    with pytest.raises(ConnectionRefusedError):
        call(url, "GET", "/echo")
