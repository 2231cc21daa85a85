"""What an alert says at publish time that the ledger cannot know: the model now in use, the tenant's budget page."""

from __future__ import annotations

from collections.abc import Callable

from spendrail.alerts.model import OPERATOR, STATE_AFTER, Alert
from spendrail.pricing import PricingCatalog
from spendrail.routing import route
from spendrail.state import BudgetState

DashboardLink = Callable[[str], str | None]


class AlertDetails:
    def __init__(
        self, catalog: PricingCatalog, *, use_case: str = "support", dashboard_link: DashboardLink | None = None
    ) -> None:
        self._catalog = catalog
        self._use_case = use_case  # the chatbot's main use case: what "the model now in use" reports
        self._dashboard_link = dashboard_link

    def __call__(self, alert: Alert) -> Alert:
        state = STATE_AFTER.get(alert.kind)
        model = None
        if state is not None and state is not BudgetState.STOPPED:
            model = route(self._catalog, self._use_case, state).primary
        link = None
        if self._dashboard_link is not None and alert.tenant_id != OPERATOR:
            link = self._dashboard_link(alert.tenant_id)
        return alert.with_details(model=model, dashboard_url=link)
