import json
from decimal import Decimal
from pathlib import Path

import pytest

from spendrail.errors import InvalidInputError, UnknownModelError
from spendrail.pricing import PricingCatalog, Tier


@pytest.fixture(scope="module")
def catalog() -> PricingCatalog:
    return PricingCatalog.load()


def test_the_shipped_catalog_prices_the_recipe_pool(catalog: PricingCatalog) -> None:
    prices = {m.id: (m.input_usd_per_million, m.output_usd_per_million, m.tier) for m in catalog.models}
    assert prices == {
        "openai/gpt-5.2-mini": (Decimal("0.30"), Decimal("0.60"), Tier.PREMIUM),
        "mistralai/mistral-small-latest": (Decimal("0.20"), Decimal("0.40"), Tier.STANDARD),
        "meta-llama/llama-3.3-70b-instruct": (Decimal("0.10"), Decimal("0.32"), Tier.ECONOMY),
        "openai/text-embedding-3-small": (Decimal("0.02"), Decimal("0"), Tier.ECONOMY),
        "local/all-minilm-l6-v2": (Decimal("0"), Decimal("0"), Tier.ECONOMY),  # computed in the function: free
    }
    embedders = [m.id for m in catalog.models if m.kind == "embedding"]
    assert embedders == ["openai/text-embedding-3-small", "local/all-minilm-l6-v2"]
    assert "local/all-minilm-l6-v2" not in {m.id for m in catalog.chat_models}  # never routed an answer
    assert catalog.version


def test_cost_of_a_call_at_list_price(catalog: PricingCatalog) -> None:
    # 1,000 input tokens at $0.30/M plus 500 output tokens at $0.60/M = $0.0003 + $0.0003
    assert catalog.price("openai/gpt-5.2-mini").cost_nanos(1_000, 500) == 600_000


def test_an_unknown_model_is_an_error_never_free(catalog: PricingCatalog) -> None:
    with pytest.raises(UnknownModelError, match="not in pricing catalog"):
        catalog.price("openai/gpt-free")


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_a_catalog_file_can_replace_the_shipped_one(tmp_path: Path) -> None:
    model = {
        "id": "acme/tiny",
        "inputUsdPerMillion": 0.05,
        "outputUsdPerMillion": "0.1",
        "tier": "economy",
        "contextTokens": 8000,
        "capabilities": ["general"],
    }
    catalog = PricingCatalog.load(_write(tmp_path, {"version": "t1", "models": [model]}))
    assert catalog.price("acme/tiny").input_usd_per_million == Decimal("0.05")


def _model(**overrides: object) -> dict[str, object]:
    model: dict[str, object] = {
        "id": "a/b",
        "inputUsdPerMillion": 1,
        "outputUsdPerMillion": 1,
        "tier": "economy",
        "contextTokens": 1,
        "capabilities": ["general"],
    }
    return model | overrides


@pytest.mark.parametrize(
    "doc",
    [
        "{not json",
        {"version": "x", "models": []},
        {"version": "x", "models": [_model(inputUsdPerMillion=-1)]},
        {"version": "x", "models": [_model(inputUsdPerMillion="NaN")]},
        {"version": "x", "models": [_model(tier="luxury")]},
        {"version": "x", "models": [_model(capabilities=[])]},
        {"version": "x", "models": [_model(), _model()]},
    ],
)
def test_a_broken_catalog_is_refused(tmp_path: Path, doc: object) -> None:
    with pytest.raises(InvalidInputError, match="invalid pricing catalog"):
        PricingCatalog.load(_write(tmp_path, doc))
