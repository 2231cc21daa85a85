"""The scheduled windows run: close ended windows, sweep flagged tenants, project exhaustion, reconcile."""
