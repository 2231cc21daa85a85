"""Reading a request body the way the contract promises: JSON only, one meaning for every byte.

A proxy in front of us may read a duplicated key differently than we do, so duplicates are refused, not resolved;
a body nested deeper than any request of ours could be is refused before it reaches the validators; a body that
says it is not JSON is refused with 415 instead of being parsed anyway.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from spendrail.errors import BadRequestError, UnsupportedMediaTypeError

MAX_BODY_BYTES = 32 * 1024
_JSON_TYPES = ("application/json",)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


def _is_json(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime in _JSON_TYPES or mime.endswith("+json")


def json_object(event: APIGatewayProxyEventV2, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body as a JSON object, or a 4xx: no body, not JSON, too large, duplicated keys, too deep."""
    content_type = event.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaTypeError("send the body as JSON with 'Content-Type: application/json'")
    try:
        raw = event.decoded_body
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("request body is not UTF-8 text") from None
    if not raw:
        raise BadRequestError("request body is required: a JSON object")
    if len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise BadRequestError(f"request body exceeds {max_bytes} bytes")
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicates)
    except _DuplicateKeyError as exc:
        raise BadRequestError(f"request body names {exc.args[0]!r} more than once") from None
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    except RecursionError:
        raise BadRequestError("request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequestError("request body must be a JSON object")
    return data
