"""Model routing by budget state: which model answers, and which fallbacks the hold must cover."""

from __future__ import annotations

from dataclasses import dataclass

from spendrail.errors import InvalidInputError
from spendrail.pricing import TIER_RANK, ModelPrice, PricingCatalog, UseCase
from spendrail.state import BudgetState


@dataclass(frozen=True)
class Route:
    state: BudgetState
    primary: str
    fallbacks: tuple[str, ...]
    downgraded: bool  # cheaper than what the use case gets with a healthy budget

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.primary, *self.fallbacks)


def _by_price(model: ModelPrice) -> tuple[object, ...]:
    # List price of input plus output per million tokens: support answers are short on both sides.
    return (model.input_usd_per_million + model.output_usd_per_million, model.id)


def use_case(catalog: PricingCatalog, name: str) -> UseCase:
    try:
        return catalog.use_cases[name]
    except KeyError:
        known = ", ".join(sorted(catalog.use_cases))
        raise InvalidInputError(f"unknown use case {name!r}; known: {known}") from None


def route(catalog: PricingCatalog, use_case_name: str, state: BudgetState) -> Route:
    """The models for a request of `use_case_name` while the budget is in `state` (not stopped)."""
    if state is BudgetState.STOPPED:
        raise ValueError("a stopped budget is not routed")
    wanted = use_case(catalog, use_case_name)
    strategy = catalog.strategies[state.value]
    ranked = sorted(catalog.chat_models, key=_by_price)
    if strategy.pick == "cheapest-meeting-tier":
        ranked = [m for m in ranked if TIER_RANK[m.tier] >= TIER_RANK[wanted.min_tier]]
    chosen = ranked[: 1 + strategy.fallbacks]
    healthy = min((m for m in catalog.chat_models if TIER_RANK[m.tier] >= TIER_RANK[wanted.min_tier]), key=_by_price)
    return Route(
        state=state,
        primary=chosen[0].id,
        fallbacks=tuple(m.id for m in chosen[1:]),
        downgraded=_by_price(chosen[0]) < _by_price(healthy),
    )
