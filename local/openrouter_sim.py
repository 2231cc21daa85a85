"""An offline OpenRouter (OpenAI wire format) for local development and tests; never deployed.

Answers are deterministic (token counts, replies and embedding vectors derive from the request text; the vectors
and the embeddings request rules are in local/sim_embeddings.py) and priced from the spendrail catalog, so a test
can assert exact costs. Faults queued with `inject` reproduce the failures a gateway must survive; they are consumed
by chat-completions and embeddings requests alike.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self, cast

import numpy as np

from local.sim_embeddings import DEFAULT_EMBEDDING_DIMENSIONS, EmbeddingRequestError, embed, validate_embeddings
from spendrail.cache.judge import INSTRUCTIONS as JUDGE_INSTRUCTIONS
from spendrail.errors import UnknownModelError
from spendrail.money import nanos_to_usd
from spendrail.pricing import ModelPrice, PricingCatalog

API_PREFIX = "/api/v1"
BYTES_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4  # role markers; must stay below spendrail.estimate's per-message overhead
_REPLIES = (
    "Thanks for reaching out about {topic}. I checked your account and everything looks in order.",
    "I understand you are asking about {topic}. You can change this under Settings > Account right away.",
    "Sorry for the trouble with {topic}. I opened a ticket and our team will email you within one business day.",
    "Good question about {topic}. Our help center has a step-by-step guide, and I can walk you through it here.",
)
_STATUS_MESSAGES = {
    401: "No auth credentials found",
    402: "Insufficient credits",
    403: "Input was flagged by moderation",
    408: "Request timed out",
    429: "Rate limit exceeded",
    502: "Provider returned error",
    503: "No available provider",
}


FaultKind = Literal["status", "delay", "malformed", "truncated", "error_in_200", "no_cost", "no_usage", "model"]


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, applied to the next chat-completions OR embeddings request. Build it with the class methods.

    Every kind applies to chat. On embeddings, status, delay, malformed, truncated, no_cost and no_usage apply the
    same way;
    error_in_200 and model are consumed without effect (an embeddings call has no generation to cut or reroute).
    """

    kind: FaultKind
    code: int = 0
    seconds: float = 0.0
    retry_after: int | None = None
    model_id: str | None = None

    @classmethod
    def status(cls, code: int, retry_after: int | None = None) -> Fault:
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def error_in_200(cls) -> Fault:
        return cls("error_in_200")

    @classmethod
    def no_cost(cls) -> Fault:
        return cls("no_cost")

    @classmethod
    def no_usage(cls) -> Fault:
        """A 200 without any `usage` object (not even token counts)."""
        return cls("no_usage")

    @classmethod
    def model(cls, model_id: str) -> Fault:
        return cls("model", model_id=model_id)


class ApiError(Exception):
    """A request the real API refuses: answered with `code` and str(self) in an OpenRouter error body."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def tokens_for(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return tokens_for("".join(m["content"] for m in messages)) + PER_MESSAGE_TOKENS * len(messages)


# The cache judge's questions (spendrail.cache.judge) get "yes" or "no": "no" when the two questions differ in a
# number or in a word that usually flips an answer. A stand-in for a model's judgement, deterministic for tests.
_CONTRAST = frozenset(
    {
        "after", "before", "below", "above", "cash", "card", "from", "into", "to", "over", "under", "more", "less",
        "not", "no", "never", "out", "in", "next", "last", "this", "small", "medium", "large", "men", "women", "kids",
        "black", "white", "red", "blue", "green",
    }
)  # fmt: skip


def judged(user: str) -> str:
    first, _, rest = user.partition("\nSecond: ")
    second = rest.rsplit("\nSame answer?", 1)[0]
    words = [set(re.findall(r"[a-z]+|[0-9]+", text.removeprefix("First: ").casefold())) for text in (first, second)]
    differ = words[0] ^ words[1]
    return "no" if any(w.isdigit() or w in _CONTRAST for w in differ) else "yes"


def reply_for(messages: list[dict[str, Any]]) -> str:
    """A support-style answer picked by hashing the last user message, echoing its first words."""
    last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    if messages and messages[0]["role"] == "system" and messages[0]["content"] == JUDGE_INSTRUCTIONS:
        return judged(str(last))
    topic = " ".join(str(last).split()[:4]) or "your request"
    index = hashlib.sha256(str(last).encode("utf-8")).digest()[0] % len(_REPLIES)
    return _REPLIES[index].format(topic=topic)


def truncate(reply: str, max_tokens: int | None) -> tuple[str, str]:
    """The reply cut to `max_tokens` on a character boundary, and the finish reason."""
    encoded = reply.encode("utf-8")
    if max_tokens is None or len(encoded) <= max_tokens * BYTES_PER_TOKEN:
        return reply, "stop"
    return encoded[: max_tokens * BYTES_PER_TOKEN].decode("utf-8", errors="ignore"), "length"


def validate(body: Any, catalog: PricingCatalog) -> tuple[list[ModelPrice], int | None]:
    """Check an OpenAI chat body; returns the candidate models (first is used) and the output-token cap."""
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    if body.get("stream", False) is not False:
        raise ApiError(400, "the simulator does not stream; send stream=false")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise ApiError(400, "each message needs a string role")
    if not all(isinstance(m.get("content"), str) for m in messages):
        raise ApiError(400, "message content must be a string (content parts are not simulated)")
    fallbacks = body.get("models") or []
    if not isinstance(fallbacks, list):
        raise ApiError(400, "models must be a list of model ids")
    named = fallbacks + ([body["model"]] if "model" in body else [])
    if not named or not all(isinstance(m, str) for m in named):
        raise ApiError(400, "model (or a models list) must name models as strings")
    try:
        candidates = [catalog.price(m) for m in named]
    except UnknownModelError as exc:
        raise ApiError(400, str(exc)) from exc
    for model in candidates:
        if model.kind != "chat":
            raise ApiError(400, f"model {model.id!r} is an {model.kind} model; it does not do chat completions")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise ApiError(400, "max_tokens must be a positive integer")
    return candidates, max_tokens


class OpenRouterSimulator:
    """A loopback HTTP server speaking OpenRouter's chat-completions, embeddings, models and key endpoints."""

    def __init__(self, catalog: PricingCatalog | None = None, *, port: int = 0) -> None:
        self.catalog = catalog if catalog is not None else PricingCatalog.load()
        self._port = port
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._faults: deque[Fault] = deque()
        self._ids = itertools.count(1)
        self._billed = 0  # nano-USD of every answer generated, told or not: the key's usage (GET /api/v1/key)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("simulator already running")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), _Handler, self)
        # A short poll interval: shutdown() waits up to one interval, and tests start and stop a server each.
        serve, poll = self._server.serve_forever, {"poll_interval": 0.02}
        self._thread = threading.Thread(target=serve, kwargs=poll, name="openrouter-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a delay fault
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def serving(self) -> bool:
        """Whether the server thread is still running (it ends only on stop() or a crash)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far (path, method, lowercased headers, parsed JSON body or None)."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests (queued faults stay queued)."""
        with self._lock:
            self._requests.clear()

    def inject(self, *faults: Fault, repeat: int = 1) -> None:
        """Queue `faults` (the whole sequence `repeat` times), one consumed per chat OR embeddings request.

        The queue is shared: a fault meant for a chat call is taken by an embeddings call that arrives first.
        """
        with self._lock:
            self._faults.extend(list(faults) * repeat)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def bill(self, nanos: int) -> None:
        """Charge the key `nanos` (what each answer costs; a test may add usage that came from elsewhere)."""
        with self._lock:
            self._billed += nanos

    @property
    def billed_nanos(self) -> int:
        with self._lock:
            return self._billed

    def key_info(self) -> dict[str, Any]:
        """GET /api/v1/key: the key's usage in USD credits, all time, as OpenRouter reports it (no limit set)."""
        usage = float(nanos_to_usd(self.billed_nanos))
        return {
            "data": {
                "label": "sk-or-v1-sim...",
                "usage": usage,
                "usage_daily": usage,
                "usage_weekly": usage,
                "usage_monthly": usage,
                "limit": None,
                "limit_remaining": None,
                "is_free_tier": False,
            }
        }

    def wait(self, seconds: float) -> bool:
        """Sleep for a delay fault; True if stop() interrupted it."""
        return self._stopping.wait(seconds)

    def completion(self, body: Any, kind: FaultKind | None, fault_model: str | None) -> dict[str, Any]:
        """The chat.completion answer, shaped by a no_cost / model / error_in_200 fault `kind`."""
        candidates, max_tokens = validate(body, self.catalog)
        try:
            used = self.catalog.price(fault_model) if kind == "model" and fault_model else candidates[0]
        except UnknownModelError as exc:
            raise ApiError(400, str(exc)) from exc
        reply, finish = truncate(reply_for(body["messages"]), max_tokens)
        if kind == "error_in_200":
            reply, finish = reply[: len(reply) // 2], "error"  # generation died midway; its tokens still count
        prompt, completion = prompt_tokens(body["messages"]), tokens_for(reply)
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            # A float like OpenRouter's; at most 15 significant digits, so repr() gives the Decimal back exactly.
            "cost": float(nanos_to_usd(used.cost_nanos(prompt, completion))),
            "completion_tokens_details": {"reasoning_tokens": 0},
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        if kind == "no_cost":
            del usage["cost"]
        self.bill(used.cost_nanos(prompt, completion))  # billed whether or not the answer says so
        with self._lock:
            number = next(self._ids)
        choice = {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": finish}
        response = {
            "id": f"gen-sim-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": used.id,
            "choices": [choice],
            "usage": usage,
        }
        if kind == "no_usage":
            del response["usage"]
        if kind == "error_in_200":
            response["error"] = {"code": 502, "message": "provider error mid-generation"}
        return response

    @staticmethod
    def embed(text: str, dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS) -> list[float]:
        """The vector the embeddings endpoint returns for `text` (see local.sim_embeddings.embed)."""
        return embed(text, dimensions)

    def embeddings(self, body: Any, kind: FaultKind | None) -> dict[str, Any]:
        """The embeddings answer (OpenAI's list of vectors), priced like a prompt; a no_cost fault drops the cost."""
        try:
            model, texts, dimensions, encoding = validate_embeddings(body, self.catalog)
        except EmbeddingRequestError as exc:
            raise ApiError(400, str(exc)) from exc
        for index, text in enumerate(texts):
            if tokens_for(text) > model.context_tokens:
                raise ApiError(400, f"input {index} exceeds the model's {model.context_tokens}-token limit")
        data: list[dict[str, Any]] = []
        for index, text in enumerate(texts):
            vector = embed(text, dimensions)
            encoded: list[float] | str = vector
            if encoding == "base64":  # little-endian float32, as OpenAI sends it
                encoded = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(tokens_for(text) for text in texts)
        usage: dict[str, Any] = {
            "prompt_tokens": tokens,
            "total_tokens": tokens,
            "cost": float(nanos_to_usd(model.cost_nanos(tokens, 0))),
        }
        if kind == "no_cost":
            del usage["cost"]
        self.bill(model.cost_nanos(tokens, 0))
        with self._lock:
            number = next(self._ids)
        answer = {"id": f"embd-sim-{number}", "object": "list", "data": data, "model": model.id, "usage": usage}
        if kind == "no_usage":
            del answer["usage"]
        return answer

    def models_listing(self) -> dict[str, Any]:
        return {"data": [self._listing(m) for m in self.catalog.models]}

    @staticmethod
    def _listing(model: ModelPrice) -> dict[str, Any]:
        per_million = (model.input_usd_per_million, model.output_usd_per_million)
        prompt, completion = (format((p / 1_000_000).normalize(), "f") for p in per_million)
        return {
            "id": model.id,
            "name": model.id.split("/", 1)[1],
            "pricing": {"prompt": prompt, "completion": completion},  # USD per token, as OpenRouter lists it
            "context_length": model.context_tokens,
        }


# Builds a 200 answer from the parsed body, the fault kind and a model fault's model id; raises ApiError to refuse.
_Responder = Callable[[Any, FaultKind | None, str | None], dict[str, Any]]


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections under a burst of concurrent clients.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[_Handler], sim: OpenRouterSimulator) -> None:
        super().__init__(address, handler)
        self.sim = sim


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes each connection, so no pooled connection outlives stop().
    protocol_version = "HTTP/1.0"

    @property
    def sim(self) -> OpenRouterSimulator:
        return cast(_Server, self.server).sim

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output should show assertions, not access logs."""

    def do_GET(self) -> None:
        self._record(None)
        if self.path == f"{API_PREFIX}/models":
            self._send_json(200, self.sim.models_listing())
        elif self.path == f"{API_PREFIX}/key":
            status, payload = self._answer(lambda *_: self.sim.key_info(), None, None, None)
            self._send_json(status, payload)
        else:
            self._send_json(404, error_body(404, f"no route for GET {self.path}"))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        self._record(body)
        respond: _Responder
        if self.path == f"{API_PREFIX}/chat/completions":
            respond = self.sim.completion
        elif self.path == f"{API_PREFIX}/embeddings":
            respond = self._embeddings
        else:
            self._send_json(404, error_body(404, f"no route for POST {self.path}"))
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self._serve(body, respond)

    def _embeddings(self, body: Any, kind: FaultKind | None, _fault_model: str | None) -> dict[str, Any]:
        return self.sim.embeddings(body, kind)  # a model fault does not reroute embeddings

    def _serve(self, body: Any, respond: _Responder) -> None:
        """Answer a chat or embeddings request, after the next queued fault (if any)."""
        fault = self.sim.next_fault()
        kind = fault.kind if fault else None
        if fault and kind == "delay" and self.sim.wait(fault.seconds):
            return  # stopped mid-delay: drop the connection
        if fault and kind == "status":
            message = _STATUS_MESSAGES.get(fault.code) or HTTPStatus(fault.code).phrase
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._send_json(fault.code, error_body(fault.code, message), extra)
        elif kind == "malformed":
            self._send(200, b"<html><body>502 upstream hiccup</body></html>")
        else:
            status, payload = self._answer(respond, body, kind, fault.model_id if fault else None)
            data = json.dumps(payload).encode("utf-8")
            if kind == "truncated":
                data = data[: len(data) // 2]  # a body cut short, with a Content-Length that matches the cut
            self._send(status, data)

    def _answer(
        self, respond: _Responder, body: Any, kind: FaultKind | None, fault_model: str | None
    ) -> tuple[int, dict[str, Any]]:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
            return 401, error_body(401, _STATUS_MESSAGES[401])
        try:
            return 200, respond(body, kind, fault_model)
        except ApiError as exc:
            return exc.code, error_body(exc.code, str(exc))

    def _record(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.sim.record({"method": self.command, "path": self.path, "headers": headers, "json": body})

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), headers)

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        # application/json even for malformed bodies: clients must not trust the content type alone.
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve an offline OpenRouter simulator on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args()
    with OpenRouterSimulator(port=args.port) as sim:
        print(f"OpenRouter simulator at {sim.base_url} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
