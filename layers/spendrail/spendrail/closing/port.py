"""What the reconciliation asks of the provider: how much it has billed our key, all time."""

from __future__ import annotations

from typing import Protocol


class ProviderAccount(Protocol):
    def usage_nanos(self) -> int:
        """Nano-USD the provider has billed the API key since it was created; raises ProviderAccountError."""
