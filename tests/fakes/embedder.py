"""A deterministic Embedder: the offline simulator's hashed n-gram vectors, without HTTP."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from local import sim_embeddings
from spendrail.deadline import Deadline
from spendrail.errors import UpstreamError
from spendrail.llm.port import Embedding


class HashedEmbedder:
    def __init__(self, dimensions: int = 512, cost: str | None = "0.0000002") -> None:
        self.dimensions = dimensions
        self.cost = cost
        self.calls: list[str] = []
        self.deadlines: list[Deadline] = []
        self.fail_next: UpstreamError | None = None

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        self.calls.append(text)
        self.deadlines.append(deadline)
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        vector = np.asarray(sim_embeddings.embed(text, self.dimensions), dtype=np.float32)
        cost = Decimal(self.cost) if self.cost is not None else None
        return Embedding(vector, "openai/text-embedding-3-small", 10, cost)
