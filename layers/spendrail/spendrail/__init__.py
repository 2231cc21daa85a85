"""spendrail: spend governance for AI customer-support chatbots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spendrail.guardrails import Guardrails

__all__ = ["Guardrails"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the functions that never call the library do not pay for its imports at cold start.
    if name == "Guardrails":
        from spendrail.guardrails import Guardrails  # noqa: PLC0415 - lazy, see above

        return Guardrails
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
