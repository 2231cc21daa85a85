import pytest

from spendrail.errors import InvalidInputError
from spendrail.pricing import PricingCatalog
from spendrail.routing import route
from spendrail.state import BudgetState

CATALOG = PricingCatalog.load()
MISTRAL, GPT, LLAMA = "mistralai/mistral-small-latest", "openai/gpt-5.2-mini", "meta-llama/llama-3.3-70b-instruct"


@pytest.mark.parametrize(
    ("use_case", "state", "candidates", "downgraded"),
    [
        ("support", BudgetState.ACTIVE, (MISTRAL, GPT), False),
        ("support", BudgetState.WARNED, (MISTRAL,), False),
        ("support", BudgetState.DEGRADED, (LLAMA,), True),
        ("sales", BudgetState.ACTIVE, (GPT,), False),
        ("sales", BudgetState.DEGRADED, (LLAMA,), True),
        ("faq", BudgetState.ACTIVE, (LLAMA, MISTRAL), False),
        ("faq", BudgetState.DEGRADED, (LLAMA,), False),
    ],
)
def test_routes_follow_use_case_tier_and_budget_state(
    use_case: str, state: BudgetState, candidates: tuple[str, ...], downgraded: bool
) -> None:
    chosen = route(CATALOG, use_case, state)
    assert (chosen.candidates, chosen.downgraded) == (candidates, downgraded)


def test_a_stopped_budget_is_not_routed() -> None:
    with pytest.raises(ValueError, match="stopped"):
        route(CATALOG, "support", BudgetState.STOPPED)


def test_unknown_use_cases_name_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match="known: faq, sales, support"):
        route(CATALOG, "poetry", BudgetState.ACTIVE)


def test_routing_config_must_cover_every_state() -> None:
    doc = CATALOG.model_dump(by_alias=True, mode="json")
    del doc["strategies"]["warned"]
    with pytest.raises(ValueError, match="missing warned"):
        PricingCatalog.model_validate(doc)


def test_a_use_case_no_model_can_serve_is_refused() -> None:
    doc = CATALOG.model_dump(by_alias=True, mode="json")
    doc["models"] = [m for m in doc["models"] if m["tier"] == "economy" or m["kind"] == "embedding"]
    with pytest.raises(ValueError, match="no model meets use case"):
        PricingCatalog.model_validate(doc)
