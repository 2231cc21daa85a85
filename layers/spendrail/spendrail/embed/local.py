"""The semantic cache's Embedder computed in-process (EMBEDDER=local): all-MiniLM-L6-v2 in numpy.

No network round trip and nothing to pay: an embedding is a few milliseconds of this function's CPU, and the cache
keeps working when OpenRouter does not. The model is loaded once per process, on first use or at init (`warm()`,
which the composition root calls so a Lambda's SnapStart snapshot holds it loaded), whichever thread comes first.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

from aws_lambda_powertools import Logger

from spendrail.deadline import Deadline
from spendrail.embed.minilm import MiniLM
from spendrail.errors import UpstreamError
from spendrail.llm.port import Embedding

MODEL = "local/all-minilm-l6-v2"  # its $0 entry in the pricing catalog; stored with every entry it embeds

logger = Logger(child=True)

_lock = threading.Lock()
_loaded: dict[str, MiniLM] = {}  # per model directory ("" for the installed package): one load per process


def shared_model(path: str | Path | None = None) -> MiniLM:
    """The process's one MiniLM for `path` (None: the installed package), loaded by the first caller."""
    key = str(path or "")
    model = _loaded.get(key)
    if model is None:
        with _lock:
            model = _loaded.get(key)
            if model is None:
                model = _loaded[key] = MiniLM.load(path or None)
    return model


class LocalEmbedder:
    """all-MiniLM-L6-v2 as the cache's Embedder: the installed package's, or the copy at `path` (float16 or float32
    weights; LOCAL_EMBEDDER_PATH)."""

    model_id = MODEL

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = path

    @property
    def dimensions(self) -> int:
        """384; read from the model (which this loads)."""
        return shared_model(self._path).dimensions

    def warm(self) -> None:
        """Load the model now (at init) rather than in the first request; an unusable model fails here, loudly."""
        shared_model(self._path)

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        """The prompt's unit vector; free. Like every embedder it answers UpstreamError when it cannot, so the
        request goes on without the cache: when the deadline has passed (as the LLM client does), or when the
        model cannot be loaded (a deployment fault `warm()` at init would have surfaced already)."""
        if deadline.expired():
            raise UpstreamError("no time left to embed the prompt", status=504, kind="timeout")
        try:
            model = shared_model(self._path)
        except Exception as exc:  # missing or corrupt files: answer without the cache, and say why in the log
            logger.exception("the local embedding model could not be loaded", extra={"request_id": request_id})
            raise UpstreamError("the local embedding model is unavailable", status=503, kind="unavailable") from exc
        tokens = len(model.token_ids(text))
        return Embedding(vector=model.encode([text])[0], model=MODEL, input_tokens=tokens, cost_usd=Decimal(0))
