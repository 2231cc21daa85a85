"""Alerts: soft cap, degrade, hard stop, projections, resets; recorded with the spend, delivered until acknowledged."""
