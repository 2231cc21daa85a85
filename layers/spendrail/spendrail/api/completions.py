"""POST /v1/chat/completions: OpenAI's Chat Completions wire format in front of the same chat service as /v1/chat.

A chatbot built on an OpenAI SDK (or anything that speaks the format: the Vercel AI SDK, LangChain) points its base URL
at spendrail and uses the tenant's key as its API key; every answer is then budgeted, routed, cached and alerted.
This module reads the OpenAI body into a `Question` and writes an `Answer` back as a `chat.completion`, or as
Server-Sent Events of `chat.completion.chunk`s for `stream: true`. Errors keep /v1/chat's statuses in OpenAI's shape
(`spendrail.api.errors.openai_error`).

What of the format is taken (docs/api.md, "OpenAI-compatible endpoint"): `model` ("auto", a use case or a catalog
chat model), `messages` (system/developer, user and assistant turns with text content; the last one the user's),
`max_tokens` / `max_completion_tokens`, `user` (the shopper's id), `temperature`, `stream`, `stream_options`
(`include_usage`), `n` = 1. Anything else is refused with a 400 naming it, never dropped silently: a chatbot that
relies on tools, several choices or a response format must know it is not getting them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spendrail.api.errors import json_body
from spendrail.api.models import MAX_PROMPT_CHARS, BudgetInfo, Identifier, UsdAmount, readable_text
from spendrail.chat.question import Answer, Question
from spendrail.errors import BadRequestError
from spendrail.llm.port import Message
from spendrail.money import nanos_to_usd
from spendrail.pricing import PricingCatalog
from spendrail.routing import use_case
from spendrail.tenants.model import Tenant

AUTO = "auto"
ANONYMOUS = "anonymous"  # the shopper's id when the chatbot sends no `user`
MAX_MESSAGES = 100
MAX_CONVERSATION_CHARS = 48_000  # every message together: the worst-case hold counts each of them
MAX_BODY_BYTES = 128 * 1024
SUPPORTED: Final = frozenset(
    {"model", "messages", "max_tokens", "max_completion_tokens", "user", "temperature", "stream", "stream_options", "n"}
)
# Refused with a reason of their own; any other unknown name is refused as unsupported.
_REASONS: Final = {
    "tools": "tool calls are not supported",
    "tool_choice": "tool calls are not supported",
    "functions": "function calls are not supported",
    "function_call": "function calls are not supported",
    "parallel_tool_calls": "tool calls are not supported",
    "response_format": "only plain text answers are given",
}
_FINISH: Final = {"stop": "stop", "length": "length", "content_filter": "content_filter"}
_PIECE_CHARS = 48  # a streamed answer's content comes in pieces of about this many characters, at word boundaries
_PIECES = re.compile(r"\S+\s*|\s+")


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: Literal["text"]
    text: str


class InMessage(BaseModel):
    """One turn of the conversation. Text only: images, audio and tool calls are refused (extra fields, part types)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: Annotated[str, StringConstraints(max_length=64)] | None = None  # accepted; not forwarded

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    include_usage: bool = False


class CompletionsRequest(BaseModel):
    """The body of POST /v1/chat/completions (OpenAI's names, snake_case)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    model: str = Field(min_length=1, max_length=128, description='"auto", a use case or a catalog chat model')
    messages: list[InMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=32_768)
    user: Identifier | None = Field(default=None, description="the shopper's id (customerId on /v1/chat)")
    temperature: Annotated[float, Field(strict=False, ge=0, le=2)] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1, le=1, description="1 only")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    logprobs: None = None
    finish_reason: str


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: UsdAmount = Field(description="USD charged to the budget for this request (0 for a cached answer)")


class SpendrailInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    cost_usd: UsdAmount = Field(serialization_alias="costUsd")
    cached: bool
    saved_usd: UsdAmount = Field(serialization_alias="savedUsd")
    request_id: str = Field(serialization_alias="requestId")
    downgraded: bool
    budget: BudgetInfo


class ChatCompletion(BaseModel):
    """The answer: OpenAI's `chat.completion`, plus what it cost and the budget left under `spendrail`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    spendrail: SpendrailInfo


class OpenAIErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # budget_exceeded adds fallbackMessage, retryAfterSeconds, budget

    message: str
    type: str = Field(description="invalid_request_error, authentication_error, permission_error, budget_exceeded, ...")
    code: str = Field(description="spendrail's error code, as on /v1/chat")
    param: str | None = Field(description="the parameter at fault, when one is")


class OpenAIErrorBody(BaseModel):
    """Every error answer of /v1/chat/completions: OpenAI's shape."""

    error: OpenAIErrorDetail


def check_parameters(body: Mapping[str, Any]) -> None:
    """Every parameter the endpoint does not support is a 400 that names it (several: all of them)."""
    unsupported = sorted(set(body) - SUPPORTED)
    if unsupported:
        reasons = [_REASONS.get(name, "not supported by this endpoint") for name in unsupported]
        listed = "; ".join(f"{name}: {reason}" for name, reason in zip(unsupported, reasons, strict=True))
        raise BadRequestError(
            f"unsupported parameter(s): {listed}. Supported: {', '.join(sorted(SUPPORTED))}",
            details=[
                {"field": name, "message": reason, "type": "unsupported"}
                for name, reason in zip(unsupported, reasons, strict=True)
            ],
        )
    if isinstance(body.get("n"), int) and not isinstance(body.get("n"), bool) and body["n"] > 1:
        raise _bad("n", "n > 1 is not supported: one answer per request")


def model_choice(catalog: PricingCatalog, model: str) -> tuple[str, str | None]:
    """(use case, model asked for) from `model`: "auto" (the support use case), a use case, or a catalog chat model."""
    if model == AUTO:
        return "support", None
    if model in catalog.use_cases:
        return model, None
    if any(m.id == model for m in catalog.chat_models):
        return "support", model
    use_cases = ", ".join(sorted(catalog.use_cases))
    models = ", ".join(sorted(m.id for m in catalog.chat_models))
    raise _bad(
        "model",
        f"model {model!r} is not available here: use {AUTO!r}, a use case ({use_cases}) or a catalog model ({models})",
    )


def question(request: CompletionsRequest, tenant: Tenant, request_id: str, catalog: PricingCatalog) -> Question:
    """The service's question: leading system/developer messages become the system prompt, the last message (the
    user's) the prompt, the turns between them its history."""
    messages = request.messages
    lead = 0
    while lead < len(messages) and messages[lead].role in ("system", "developer"):
        lead += 1
    turns = messages[lead:]
    if not turns or turns[-1].role != "user":
        raise _bad("messages", "the last message must be the user's (role 'user')")
    texts = [m.text for m in messages]
    if sum(map(len, texts)) > MAX_CONVERSATION_CHARS:
        raise _bad("messages", f"the messages hold more than {MAX_CONVERSATION_CHARS} characters together")
    for i, text in enumerate(texts):
        problem = readable_text(text)
        if problem is not None:
            raise _bad(f"messages.{i}.content", f"the message {problem}")
    prompt = turns[-1].text
    if not prompt.strip():
        raise _bad(f"messages.{len(messages) - 1}.content", "the user's message must not be blank")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise _bad(f"messages.{len(messages) - 1}.content", f"the user's message exceeds {MAX_PROMPT_CHARS} characters")
    case, model = model_choice(catalog, request.model)
    max_tokens = request.max_completion_tokens or request.max_tokens
    limit = use_case(catalog, case).max_tokens_limit
    if max_tokens is not None and max_tokens > limit:
        field = "max_completion_tokens" if request.max_completion_tokens else "max_tokens"
        raise _bad(field, f"{field} must be at most {limit} for {case!r}")
    system = "\n\n".join(m.text for m in messages[:lead]) if lead else None
    history = tuple(Message("system" if m.role == "developer" else m.role, m.text) for m in turns[:-1])
    return Question(
        tenant=tenant,
        request_id=request_id,
        customer_id=request.user or ANONYMOUS,
        prompt=prompt,
        use_case=case,
        max_tokens=max_tokens,
        history=history,
        system=system,
        model=model,
        temperature=request.temperature,
    )


def completion(answer: Answer, created: int) -> ChatCompletion:
    cost = nanos_to_usd(answer.cost_nanos)
    return ChatCompletion(
        id=f"chatcmpl-{answer.request_id}",
        created=created,
        model=answer.model,
        choices=[
            Choice(
                message=AssistantMessage(content=answer.reply),
                finish_reason=_FINISH.get(answer.finish_reason, "stop"),
            )
        ],
        usage=CompletionUsage(
            prompt_tokens=answer.input_tokens,
            completion_tokens=answer.output_tokens,
            total_tokens=answer.input_tokens + answer.output_tokens,
            cost=cost,
        ),
        spendrail=SpendrailInfo(
            cost_usd=cost,
            cached=answer.cached,
            saved_usd=nanos_to_usd(answer.saved_nanos),
            request_id=answer.request_id,
            downgraded=answer.downgraded,
            budget=BudgetInfo.of(answer.snapshot),
        ),
    )


def event_stream(payload: Mapping[str, Any], *, include_usage: bool) -> str:
    """A completion (as `ChatCompletion.model_dump(mode="json", by_alias=True)`) as OpenAI's stream of chunks: the
    role, the content in pieces, the finish reason, the usage with its cost (and our `spendrail` object) in the last
    chunk, then `data: [DONE]`. With `include_usage` the usage comes in a chunk of its own with no choices, as
    OpenAI sends it; without, it rides on the finish chunk, so a client reading `choices[0]` of every chunk works."""
    base = {
        "id": payload["id"],
        "object": "chat.completion.chunk",
        "created": payload["created"],
        "model": payload["model"],
    }
    choice = payload["choices"][0]

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in _pieces(choice["message"]["content"])]
    closing = {"usage": payload["usage"], "spendrail": payload["spendrail"]}
    if include_usage:
        chunks += [chunk({}, choice["finish_reason"]), {**base, "choices": [], **closing}]
    else:
        chunks.append(chunk({}, choice["finish_reason"], **closing))
    return "".join(f"data: {json_body(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def _pieces(text: str) -> Iterable[str]:
    piece = ""
    for word in _PIECES.findall(text):
        piece += word
        if len(piece) >= _PIECE_CHARS:
            yield piece
            piece = ""
    if piece:
        yield piece


def _bad(field: str, message: str) -> BadRequestError:
    return BadRequestError(message, details=[{"field": field, "message": message, "type": "invalid"}])
