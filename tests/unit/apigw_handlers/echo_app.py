"""Handlers for the local API Gateway tests; each worker imports this module as a top-level `echo_app`."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import time
from typing import Any

GATE_ENV = "APIGW_TEST_GATE"
MARKER_ENV = "APIGW_TEST_MARKER"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Echo the event, the context and this instance back, as a proxy response."""
    echoed = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "pid": os.getpid(),
        "marker": os.environ.get(MARKER_ENV),
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(echoed)}


def mirror(event: dict[str, Any], context: Any) -> Any:
    """Return the posted JSON value itself, so a test chooses the exact Lambda response to map."""
    return json.loads(event["body"])


def fail(event: dict[str, Any], context: Any) -> Any:
    raise ZeroDivisionError("the handler failed on purpose")


def plain(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """No statusCode: API Gateway infers a 200 JSON response."""
    return {"plain": True, "path": event["rawPath"]}


def _hold() -> None:
    """Report this instance's pid on the test's unix socket, then wait for one byte: the test decides when to go on."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(30)  # a failed test must not hold the worker forever
        conn.connect(os.environ[GATE_ENV])
        conn.sendall(f"{os.getpid()}\n".encode())
        conn.recv(1)


def gate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hold this instance until the test lets go."""
    _hold()
    return {"pid": os.getpid()}


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What the body's "how" says: "now" answers at once; "hold" waits for the test, then answers; "exit",
    "sigkill" and "segfault" wait for the test, then kill this instance that way."""
    how = json.loads(event["body"])["how"]
    if how != "now":
        _hold()
    if how == "exit":
        os._exit(3)
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "segfault":
        ctypes.string_at(0)  # reads address 0
    return {"pid": os.getpid()}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A handler that takes a few milliseconds of work, so concurrent requests pile up in front of the instances."""
    time.sleep(0.005)
    return {"pid": os.getpid()}
