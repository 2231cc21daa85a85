"""LLMClient on OpenRouter through the openai SDK (OpenAI wire format, `base_url` pointed at OpenRouter)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import openai
from openai.types.chat import ChatCompletion

from spendrail.errors import ContentRejectedError, UpstreamError
from spendrail.llm.port import Completion, CompletionRequest, Embedding, Usage

logger = logging.getLogger(__name__)

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Statuses worth one more try: nothing was generated, so nothing was billed.
_RETRYABLE = frozenset({429, 502, 503})


def _retry_after(response: Any) -> int | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(1, int(float(value))) if value else None
    except ValueError:
        return None


def _status_error(exc: openai.APIStatusError) -> Exception:
    status, message = exc.status_code, f"OpenRouter answered {exc.status_code}"
    if status == 403:
        return ContentRejectedError("the provider's moderation rejected the prompt")
    if status == 402:
        return UpstreamError("the LLM provider account is out of credits", status=503, kind="credits")
    if status == 408:
        return UpstreamError(message, status=504, kind="timeout")
    if status == 429:
        return UpstreamError(message, status=503, kind="rate_limited", retry_after=_retry_after(exc.response) or 2)
    if status == 503:
        return UpstreamError(message, status=503, kind="unavailable", retry_after=_retry_after(exc.response) or 2)
    return UpstreamError(message, status=502, kind="rejected" if status < 500 else "unavailable")


class OpenRouterClient:
    def __init__(
        self,
        *,
        api_key: Callable[[], str],
        base_url: str = OPENROUTER_BASE_URL,
        timeout_seconds: float = 12.0,
        attempts: int = 2,
        referer: str = "https://github.com/spendrail",
        title: str = "spendrail",
        embedding_model: str = "openai/text-embedding-3-small",
        embedding_dimensions: int = 512,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout_seconds
        self._attempts = attempts
        self._headers = {"HTTP-Referer": referer, "X-Title": title}
        self._sleep = sleep
        self._embedding_model = embedding_model
        self._embedding_dimensions = embedding_dimensions
        self._client: openai.OpenAI | None = None
        self._client_key = ""

    def _sdk(self) -> openai.OpenAI:
        key = self._api_key()  # cached by Powertools Parameters; a rotated key takes effect here
        if self._client is None or key != self._client_key:
            self._client = openai.OpenAI(
                api_key=key,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=0,  # retried below, and never after a timeout: the first try may have been billed
                default_headers=self._headers,
            )
            self._client_key = key
        return self._client

    def complete(self, request: CompletionRequest) -> Completion:
        for attempt in range(1, self._attempts + 1):
            try:
                return self._call(request)
            except UpstreamError as exc:
                retryable = exc.kind in {"rate_limited", "unavailable", "unreachable"} and not exc.in_doubt
                if not retryable or exc.usage is not None or attempt == self._attempts:
                    raise
                self._sleep(min(0.25 * attempt, 1.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def embed(self, text: str, request_id: str) -> Embedding:
        """One embedding through OpenRouter's OpenAI-compatible endpoint; failures as for chat, never retried."""
        try:
            response = self._sdk().embeddings.create(
                model=self._embedding_model,
                input=text,
                dimensions=self._embedding_dimensions,
                extra_headers={"X-Request-Id": request_id},
            )
        except openai.APITimeoutError as exc:
            raise UpstreamError("embedding timed out", status=504, kind="timeout") from exc
        except openai.APIConnectionError as exc:
            raise UpstreamError("OpenRouter could not be reached", status=502, kind="unreachable") from exc
        except openai.APIStatusError as exc:
            error = _status_error(exc)
            if isinstance(error, UpstreamError):
                raise error from exc
            raise UpstreamError(str(error), status=502, kind="rejected") from exc
        except Exception as exc:  # an unreadable body
            raise UpstreamError("unreadable embedding response", status=502, kind="malformed") from exc
        if not response.data or len(response.data[0].embedding) != self._embedding_dimensions:
            raise UpstreamError("embedding of the wrong shape", status=502, kind="malformed")
        cost = getattr(response.usage, "cost", None)
        return Embedding(
            vector=np.asarray(response.data[0].embedding, dtype=np.float32),
            model=response.model or self._embedding_model,
            input_tokens=response.usage.prompt_tokens,
            cost_usd=Decimal(repr(cost)) if isinstance(cost, int | float) else None,
        )

    def _call(self, request: CompletionRequest) -> Completion:
        extra: dict[str, object] = {"user": request.user}
        if request.fallbacks:
            extra["models"] = [request.model, *request.fallbacks]
        try:
            raw = self._sdk().chat.completions.with_raw_response.create(
                model=request.model,
                messages=[{"role": m.role, "content": m.content} for m in request.messages],  # type: ignore[misc]
                max_tokens=request.max_tokens,
                extra_body=extra,
                extra_headers={"X-Request-Id": request.request_id},
            )
        except openai.APITimeoutError as exc:
            raise UpstreamError("OpenRouter did not answer in time", status=504, kind="timeout") from exc
        except openai.APIConnectionError as exc:
            raise UpstreamError("OpenRouter could not be reached", status=502, kind="unreachable") from exc
        except openai.APIStatusError as exc:
            raise _status_error(exc) from exc
        try:
            completion = raw.parse()
            return self._read(completion)
        except UpstreamError:
            raise
        except Exception as exc:  # the SDK's parse of a broken body can fail many ways
            # A 200 we cannot read may still have been generated and billed: the caller charges the whole hold.
            raise UpstreamError(
                "OpenRouter sent a response that could not be read", status=502, kind="malformed", in_doubt=True
            ) from exc

    @staticmethod
    def _read(completion: ChatCompletion) -> Completion:
        if not isinstance(completion, ChatCompletion):
            raise TypeError("not a chat completion")
        usage = None
        if completion.usage is not None:
            cost = getattr(completion.usage, "cost", None)  # OpenRouter's extra field: the billed USD
            usage = Usage(
                input_tokens=completion.usage.prompt_tokens,
                output_tokens=completion.usage.completion_tokens,
                cost_usd=Decimal(repr(cost)) if isinstance(cost, int | float) else None,
            )
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
