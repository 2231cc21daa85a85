"""The chat function's tables on dynalite, for the suites that drive the real handler."""

from __future__ import annotations

from typing import Any

from local import dynalite, tables
from spendrail.settings import Settings


def chat_tables(endpoint: str) -> tuple[Any, Settings]:
    """A dynalite client with the chat function's tables (as template.yaml declares them) created once, and the
    settings that name them."""
    settings = Settings.from_env({})
    client = dynalite.client(endpoint)
    existing = set(client.list_tables()["TableNames"])
    wanted = tables.chat_tables(settings)
    tables.create_tables(client, {k: v for k, v in wanted.items() if v not in existing})
    return client, settings
