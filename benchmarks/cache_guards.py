"""The cache guards on the hot path: what reading a question and comparing it with candidates costs.

    PYTHONPATH=. .venv/bin/python -m benchmarks.cache_guards [--repeats N]

A question is read once (`spendrail.cache.guards.features`, memoized per text): folded, tokenized, matched against
the lexicon. Then each candidate above the threshold costs one `guard_reason` (or `tenant_guard`) call on two
memoized readings. Timed here, single-threaded, best of --repeats runs (figures from this machine, not Lambda's):

- reading a short question (~60 characters) and a 4,000-character message of ordinary prose, and of a 4,000-character
  text made only of lexicon words (the worst case: every word starts a phrase);
- comparing two memoized readings with `guard_reason` and with a tenant guard of 500 vocabulary terms.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

from spendrail.cache import guards

SHORT = "Is there free shipping on orders over $50 to Canada?"
PROSE = (
    "Hello there, I hope you are doing well today. I wanted to ask about something that happened with a purchase "
    "I made on your website a little while ago. The package showed up at my door and the box looked fine, but when "
    "I opened it the jacket inside was not quite what I expected from the pictures on the product page. The "
    "stitching along the sleeve seems loose and the zipper sticks when I try to close it. I really like the style "
    "and would prefer to keep it if there is some way to get it fixed, otherwise I would like to know what my "
    "options are. Could you please explain how your process works for situations like this and how long it takes? "
)
KEYWORDS = (
    "I ordered the red ZX-500 Pro hoodie in size XL last week from Canada to the US but it never arrived and I "
    "can't log in to track it, can I get a refund or exchange it for a blue one before Friday? Free shipping over "
    "$50 applies, right? 30-day returns on unworn items in stock. "
)
LENGTH = 4000


def best_ms(call: Callable[[], object], repeats: int, inner: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(inner):
            call()
        best = min(best, (time.perf_counter() - started) / inner)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    read = guards.features.__wrapped__  # the reading itself, without the memo
    texts = {
        f"short question ({len(SHORT)} chars)": SHORT,
        f"prose ({LENGTH} chars)": (PROSE * (LENGTH // len(PROSE) + 1))[:LENGTH],
        f"lexicon words only ({LENGTH} chars)": (KEYWORDS * (LENGTH // len(KEYWORDS) + 1))[:LENGTH],
    }
    gc.disable()
    print("reading a question (features, not memoized), best of", args.repeats)
    for name, text in texts.items():
        print(f"  {name:<34} {best_ms(lambda text=text: read(text), args.repeats, 50):8.3f} ms")
    vocabulary = [f"Model {i}" for i in range(499)] + ["ZX-500 Pro"]
    tenant = guards.tenant_guard(vocabulary)
    new, cached = "Is the ZX-500 Pro waterproof?", "Is the ZX 500 Pro water resistant?"
    guards.guard_reason(new, cached)
    tenant(new, cached)
    print("comparing with a candidate (both readings memoized)")
    print(f"  {'guard_reason':<34} {best_ms(lambda: guards.guard_reason(new, cached), args.repeats, 2000):8.4f} ms")
    print(f"  {'tenant_guard, 500 terms':<34} {best_ms(lambda: tenant(new, cached), args.repeats, 2000):8.4f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
