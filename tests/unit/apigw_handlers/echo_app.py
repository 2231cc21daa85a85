"""Handlers for the local API Gateway tests; each worker imports this module as a top-level `echo_app`."""

from __future__ import annotations

import json
import os
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


def gate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hold this instance until the test lets go: report the pid on the test's unix socket, wait for one byte."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(30)  # a failed test must not hold the worker forever
        conn.connect(os.environ[GATE_ENV])
        conn.sendall(f"{os.getpid()}\n".encode())
        conn.recv(1)
    return {"pid": os.getpid()}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A handler that takes a few milliseconds of work, so concurrent requests pile up in front of the instances."""
    time.sleep(0.005)
    return {"pid": os.getpid()}
