"""The offline simulator's embeddings: deterministic hashed n-gram vectors, and the embeddings requests it accepts.

Not a neural model: texts that share words, word pairs and spellings get a high cosine, and the same text always
gets the same vector, so tests can assert exact similarities. The HTTP side (faults, tokens, usage) is in
local/openrouter_sim.py.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

import numpy as np

from spendrail.errors import UnknownModelError
from spendrail.pricing import ModelPrice, PricingCatalog

# Models the catalog does not (yet) list are priced from this table: USD per million input tokens.
EMBEDDING_FALLBACK_PRICES = {"openai/text-embedding-3-small": Decimal("0.02")}
EMBEDDING_FALLBACK_CONTEXT_TOKENS = 8191
DEFAULT_EMBEDDING_DIMENSIONS = 1536
MAX_EMBEDDING_DIMENSIONS = 3072
MAX_EMBEDDING_INPUTS = 2048  # OpenAI's per-request limit
# Very common words carry little meaning; they get this weight instead of 1 so shared filler scores low.
STOPWORD_WEIGHT = 0.3
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "can",
        "do",
        "for",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "the",
        "to",
        "you",
        "your",
    }
)
BIGRAM_WEIGHT = 1.0  # times the mean weight of its two words
TRIGRAM_WEIGHT = 0.5  # each character trigram
_PUNCTUATION = re.compile(r"[^\w\s]")


class EmbeddingRequestError(ValueError):
    """An embeddings request the real API refuses with 400; the message says why."""


def embedding_features(text: str) -> list[tuple[str, float]]:
    """The weighted features hashed into an embedding.

    The text is lowercased and stripped of punctuation, then split on whitespace into words. Features: each word
    ("w:" + word; weight 1, or STOPWORD_WEIGHT for a stopword), each pair of adjacent words ("b:" + "w1 w2";
    BIGRAM_WEIGHT times the mean of the two word weights) and each character trigram of the words joined by single
    spaces with a space at either end ("c:" + trigram; TRIGRAM_WEIGHT). Text with no word is the single feature
    "raw:" + text, so every vector has unit norm.
    """
    words = _PUNCTUATION.sub("", text.lower()).split()
    if not words:
        return [("raw:" + text, 1.0)]
    weights = [STOPWORD_WEIGHT if w in STOPWORDS else 1.0 for w in words]
    features = [(f"w:{w}", weight) for w, weight in zip(words, weights, strict=True)]
    for i in range(len(words) - 1):
        features.append((f"b:{words[i]} {words[i + 1]}", BIGRAM_WEIGHT * (weights[i] + weights[i + 1]) / 2))
    padded = f" {' '.join(words)} "
    features.extend((f"c:{padded[i : i + 3]}", TRIGRAM_WEIGHT) for i in range(len(padded) - 2))
    return features


def embed(text: str, dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic, L2-normalized bag-of-features vector (signed feature hashing; not a neural model).

    Each feature's 8-byte blake2b digest, read little-endian as h, adds its weight to bucket (h >> 1) % dimensions,
    negated when h is even. Texts sharing words, word pairs and spellings get a high cosine; the values are rounded
    to float32, so the float and base64 encodings carry the same numbers.
    """
    if dimensions < 1:
        raise ValueError(f"dimensions must be positive, got {dimensions}")
    vector = np.zeros(dimensions, dtype=np.float64)
    for feature, weight in embedding_features(text):
        h = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
        vector[(h >> 1) % dimensions] += weight if h & 1 else -weight
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:  # every feature cancelled out in a tiny space: fall back to a fixed unit vector
        vector[0], norm = 1.0, 1.0
    return [float(x) for x in (vector / norm).astype(np.float32)]


def embedding_model(catalog: PricingCatalog, model_id: str) -> ModelPrice:
    """The catalog's entry for an embedding model, or a fallback-priced one for a model it does not list yet."""
    try:
        model = catalog.price(model_id)
    except UnknownModelError as exc:
        if model_id not in EMBEDDING_FALLBACK_PRICES:
            raise EmbeddingRequestError(str(exc)) from exc
        fields: dict[str, Any] = {
            "id": model_id,
            "inputUsdPerMillion": EMBEDDING_FALLBACK_PRICES[model_id],
            "outputUsdPerMillion": Decimal(0),
            "tier": "economy",
            "kind": "embedding",
            "contextTokens": EMBEDDING_FALLBACK_CONTEXT_TOKENS,
            "capabilities": ["embedding"],
        }
        return ModelPrice.model_validate(fields)
    if model.kind != "embedding":
        raise EmbeddingRequestError(f"model {model_id!r} is not an embedding model")
    return model


def validate_embeddings(body: Any, catalog: PricingCatalog) -> tuple[ModelPrice, list[str], int, str]:
    """Check an OpenAI embeddings body; returns the model, the input texts, the dimensions and the encoding.

    The model's token limit is left to the caller, which owns the token count.
    """
    if not isinstance(body, dict):
        raise EmbeddingRequestError("request body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str):
        raise EmbeddingRequestError("model must name an embedding model as a string")
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise EmbeddingRequestError(
            "input must be a string or a non-empty list of strings (token arrays are not simulated)"
        )
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise EmbeddingRequestError(f"input may hold at most {MAX_EMBEDDING_INPUTS} texts, got {len(texts)}")
    if not all(texts):
        raise EmbeddingRequestError("input texts must not be empty")
    dimensions = body.get("dimensions", DEFAULT_EMBEDDING_DIMENSIONS)
    if type(dimensions) is not int or not 1 <= dimensions <= MAX_EMBEDDING_DIMENSIONS:
        raise EmbeddingRequestError(f"dimensions must be an integer from 1 to {MAX_EMBEDDING_DIMENSIONS}")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise EmbeddingRequestError("encoding_format must be 'float' or 'base64'")
    return embedding_model(catalog, model_id), texts, dimensions, encoding
