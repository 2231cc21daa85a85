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


# Budget states in which a model the client asked for is honoured; past them routing decides (the cheapest).
_PREFERENCE_HONOURED = (BudgetState.ACTIVE, BudgetState.WARNED)


def route(catalog: PricingCatalog, use_case_name: str, state: BudgetState, preferred: str | None = None) -> Route:
    """The models for a request of `use_case_name` while the budget is in `state` (not stopped).

    `preferred` (a catalog chat model the client named) answers first while the budget is active or warned, with the
    state's usual fallbacks behind it; once degraded, routing picks as for any request, and a cheaper model than the
    one asked for counts as a downgrade."""
    if state is BudgetState.STOPPED:
        raise ValueError("a stopped budget is not routed")
    wanted = use_case(catalog, use_case_name)
    strategy = catalog.strategies[state.value]
    ranked = sorted(catalog.chat_models, key=_by_price)
    if strategy.pick == "cheapest-meeting-tier":
        ranked = [m for m in ranked if TIER_RANK[m.tier] >= TIER_RANK[wanted.min_tier]]
    if preferred is not None:
        asked = chat_model(catalog, preferred)
        if state in _PREFERENCE_HONOURED:
            others = [m for m in ranked if m.id != asked.id][: strategy.fallbacks]
            return Route(state=state, primary=asked.id, fallbacks=tuple(m.id for m in others), downgraded=False)
        healthy = asked
    else:
        healthy = min(
            (m for m in catalog.chat_models if TIER_RANK[m.tier] >= TIER_RANK[wanted.min_tier]), key=_by_price
        )
    chosen = ranked[: 1 + strategy.fallbacks]
    return Route(
        state=state,
        primary=chosen[0].id,
        fallbacks=tuple(m.id for m in chosen[1:]),
        downgraded=_by_price(chosen[0]) < _by_price(healthy),
    )


def chat_model(catalog: PricingCatalog, model_id: str) -> ModelPrice:
    """The catalog's chat model of that id, or InvalidInputError naming the ones there are."""
    for model in catalog.chat_models:
        if model.id == model_id:
            return model
    known = ", ".join(sorted(m.id for m in catalog.chat_models))
    raise InvalidInputError(f"unknown model {model_id!r}; the catalog's chat models: {known}")
