"""A chatbot that hangs up on a streamed answer is still charged exactly what the provider billed (its own stack:
the simulator's bill must hold this module's requests only)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

from spendrail.policy import BudgetPolicy
from tests.e2e.conftest import Stack

SETTLED_WITHIN_S = 20.0


def test_a_client_that_hangs_up_mid_stream_is_charged_what_the_provider_billed(local_stack: Stack) -> None:
    key = local_stack.tenant("hangs-up", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    sim = local_stack.stack.simulator
    assert sim is not None
    url = urlsplit(local_stack.url)
    body = json.dumps(
        {"model": "auto", "messages": [{"role": "user", "content": "Do you ship to Canada?"}], "stream": True}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(head.encode() + body)  # and hang up before a byte of the answer comes back
    ledger = local_stack.stack.ledger()
    give_up = time.monotonic() + SETTLED_WITHIN_S
    while True:  # the request runs on without its client: wait (bounded) until the provider was asked and paid
        day = ledger.snapshot("hangs-up").daily
        if sim.billed_nanos > 0 and day.held == 0 and day.spent > 0:
            break
        assert time.monotonic() < give_up, (sim.billed_nanos, day)
        time.sleep(0.05)
    assert day.spent == sim.billed_nanos  # the answer and its embedding, exactly as billed
    assert day.in_doubt == 0  # known to the nano-dollar: the usage came back, the client did not need to
