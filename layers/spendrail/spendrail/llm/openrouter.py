"""LLMClient and Embedder on OpenRouter through the openai SDK (OpenAI wire format, `base_url` pointed at OpenRouter).

One rule decides what is retried and what a failure costs (docs/api.md, "When OpenRouter fails"): a call is retried
once, inside the request's deadline, only when nothing can have been generated (429, 502, 503, or a connection
that never opened); a call that may have been billed without saying what (a timeout or a dropped connection after
the request was sent, a 504, an unreadable 200) is never retried and is charged its hold as "in doubt".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from aws_lambda_powertools import Logger

from spendrail.deadline import Deadline
from spendrail.errors import ContentRejectedError, UpstreamError
from spendrail.llm.port import Completion, CompletionRequest, Embedding, Usage

# The openai SDK is imported when a client is built, not with this module: `import openai` loads every type of the
# SDK (over a second of a cold start here: benchmarks/cold_start.py), which the functions that import the composition
# root but never call the model (admin, slack, windows) need not pay. The chat function builds its client at init, so
# its first request's deadline never pays the import either.
if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Below this, a second try cannot finish in time: answer with the first failure instead.
_MIN_RETRY_SECONDS = 0.5
_RETRY_PAUSE_SECONDS = 0.25
# Errors of the HTTP client (httpx or httpx2, whichever the SDK runs on) raised before the request left.
_NOT_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout"})


@dataclass(frozen=True)
class _Rule:
    status: int  # what our client gets
    kind: str
    retry: bool
    in_doubt: bool


_STATUS_RULES = {
    402: _Rule(503, "credits", retry=False, in_doubt=False),  # the operator's OpenRouter account is empty
    408: _Rule(504, "timeout", retry=False, in_doubt=False),  # OpenRouter gave up before generating
    429: _Rule(503, "rate_limited", retry=True, in_doubt=False),
    500: _Rule(502, "unavailable", retry=False, in_doubt=False),
    502: _Rule(502, "unavailable", retry=True, in_doubt=False),  # the provider refused before generating
    503: _Rule(503, "unavailable", retry=True, in_doubt=False),  # no provider available
    504: _Rule(504, "timeout", retry=False, in_doubt=True),  # a gateway gave up; generation may have gone on
}
_REJECTED = _Rule(502, "rejected", retry=False, in_doubt=False)  # other 4xx: OpenRouter refused our request
_UNAVAILABLE = _Rule(502, "unavailable", retry=False, in_doubt=False)  # other 5xx


def _retry_after(response: Any) -> int | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(1, int(float(value))) if value else None
    except ValueError:
        return None


def _status_error(exc: openai.APIStatusError) -> Exception:
    status = exc.status_code
    if status == 403:
        return ContentRejectedError("the provider's moderation rejected the prompt")
    rule = _STATUS_RULES.get(status) or (_REJECTED if status < 500 else _UNAVAILABLE)
    hint = _retry_after(exc.response) or 2 if rule.status == 503 else None
    message = "the LLM provider account is out of credits" if status == 402 else f"OpenRouter answered {status}"
    return UpstreamError(
        message, status=rule.status, kind=rule.kind, in_doubt=rule.in_doubt, retryable=rule.retry, retry_after=hint
    )


def _transport_error(exc: openai.APIConnectionError, what: str) -> UpstreamError:
    """A timeout or a broken connection: harmless if the request never left, in doubt if it did."""
    import openai  # noqa: PLC0415 - lazy, see the note at the top

    sent = type(exc.__cause__).__name__ not in _NOT_SENT
    timed_out = isinstance(exc, openai.APITimeoutError)
    if not sent:
        return UpstreamError("OpenRouter could not be reached", status=502, kind="unreachable", retryable=True)
    if timed_out:
        return UpstreamError(f"{what} did not arrive in time", status=504, kind="timeout", in_doubt=True)
    return UpstreamError(f"the connection dropped while waiting for {what}", status=502, kind="dropped", in_doubt=True)


def wire_body(request: CompletionRequest) -> dict[str, Any]:
    """The chat-completions body OpenRouter receives (also what request logging records)."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": request.max_tokens,
        "user": request.user,
    }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.fallbacks:
        body["models"] = [request.model, *request.fallbacks]  # OpenRouter falls back server-side
    return body


def _cost(usage: Any) -> Decimal | None:
    cost = getattr(usage, "cost", None)  # OpenRouter's extra field: the billed USD
    return Decimal(repr(cost)) if isinstance(cost, int | float) and not isinstance(cost, bool) else None


class OpenRouterClient:
    def __init__(
        self,
        *,
        api_key: Callable[[], str],
        base_url: str = OPENROUTER_BASE_URL,
        referer: str = "https://github.com/spendrail",
        title: str = "spendrail",
        embedding_model: str = "openai/text-embedding-3-small",
        embedding_dimensions: int = 512,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import openai  # noqa: F401, PLC0415 - lazy, see the note at the top: imported by the init that builds us

        self._api_key = api_key
        self.base_url = base_url
        self._headers = {"HTTP-Referer": referer, "X-Title": title}
        self._sleep = sleep
        self._embedding_model = embedding_model
        self._embedding_dimensions = embedding_dimensions
        self._client: openai.OpenAI | None = None
        self._client_key = ""

    def _sdk(self) -> openai.OpenAI:
        import openai  # noqa: PLC0415 - lazy, see the note at the top

        key = self._api_key()  # cached by Powertools Parameters; a rotated key takes effect here
        if self._client is None or key != self._client_key:
            self._client = openai.OpenAI(
                api_key=key,
                base_url=self.base_url,
                max_retries=0,  # our own rule decides (see the module docstring), not the SDK's default of 2
                default_headers=self._headers,
            )
            self._client_key = key
        return self._client

    def complete(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        while True:
            try:
                return self._call(request, deadline)
            except UpstreamError as exc:
                if not exc.retryable or deadline.remaining() < _RETRY_PAUSE_SECONDS + _MIN_RETRY_SECONDS:
                    raise
                logger.info("retrying the LLM call once", extra={"reason": exc.kind})
                self._sleep(_RETRY_PAUSE_SECONDS)
                return self._call(request, deadline)

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        """One embedding through OpenRouter's OpenAI-compatible endpoint; never retried (the cache is optional)."""
        import openai  # noqa: PLC0415 - lazy, see the note at the top

        try:
            response = self._sdk().embeddings.create(
                model=self._embedding_model,
                input=text,
                dimensions=self._embedding_dimensions,
                extra_headers={"X-Request-Id": request_id},
                timeout=deadline.remaining(),
            )
        except openai.APIConnectionError as exc:
            raise _transport_error(exc, "the embedding") from exc
        except openai.APIStatusError as exc:
            error = _status_error(exc)
            if isinstance(error, UpstreamError):
                raise error from exc
            raise UpstreamError(str(error), status=502, kind="rejected") from exc
        except Exception as exc:  # the SDK could not parse the body; the provider may have billed it
            raise UpstreamError("unreadable embedding response", status=502, kind="malformed", in_doubt=True) from exc
        data, usage = response.data, response.usage
        if not data or len(data[0].embedding) != self._embedding_dimensions or usage is None:
            # Without usage the cost is unknown; without the right vector there is nothing to look up.
            raise UpstreamError("incomplete embedding response", status=502, kind="malformed", in_doubt=True)
        return Embedding(
            vector=np.asarray(data[0].embedding, dtype=np.float32),
            model=response.model or self._embedding_model,
            input_tokens=usage.prompt_tokens,
            cost_usd=_cost(usage),
        )

    def _call(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        import openai  # noqa: PLC0415 - lazy, see the note at the top

        body = wire_body(request)
        if deadline.remaining() <= 0:
            raise UpstreamError("no time left to ask the model", status=504, kind="timeout")
        try:
            raw = self._sdk().chat.completions.with_raw_response.create(
                model=body["model"],
                messages=body["messages"],
                max_tokens=body["max_tokens"],
                extra_body={k: body[k] for k in ("user", "models", "temperature") if k in body},
                extra_headers={"X-Request-Id": request.request_id},
                timeout=deadline.remaining(),
            )
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise _transport_error(exc, "the answer") from exc
        except openai.APIStatusError as exc:
            raise _status_error(exc) from exc
        try:
            return self._read(raw.parse())
        except UpstreamError:
            raise
        except Exception as exc:  # the SDK's parse of a broken body can fail many ways
            # A 200 we cannot read may still have been generated and billed: charged in doubt.
            raise UpstreamError(
                "OpenRouter sent a response that could not be read", status=502, kind="malformed", in_doubt=True
            ) from exc

    @staticmethod
    def _read(completion: ChatCompletion) -> Completion:
        from openai.types.chat import ChatCompletion  # noqa: PLC0415 - lazy, see the note at the top

        if not isinstance(completion, ChatCompletion):
            raise TypeError("not a chat completion")
        usage = None
        if completion.usage is not None:
            usage = Usage(completion.usage.prompt_tokens, completion.usage.completion_tokens, _cost(completion.usage))
        error = getattr(completion, "error", None)
        choice = completion.choices[0] if completion.choices else None
        # OpenRouter's "error" finish reason is not in the SDK's Literal, hence the str() view.
        if error is not None or choice is None or str(choice.finish_reason) == "error":
            # An error mid-generation arrives with HTTP 200; tokens generated before it are billed.
            raise UpstreamError(
                "the model failed while answering",
                status=502,
                kind="midstream",
                usage=usage,
                in_doubt=usage is None,
                model=completion.model,
            )
        if usage is None:
            raise UpstreamError("OpenRouter sent no usage", status=502, kind="malformed", in_doubt=True)
        return Completion(
            text=choice.message.content or "",
            model=completion.model,
            usage=usage,
            finish_reason=choice.finish_reason or "stop",
            raw=lambda: completion.model_dump(mode="json"),
        )
