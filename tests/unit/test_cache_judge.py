"""The cache judge: asked only where the tenant's mode says, a one-token yes/no, every failure a miss, its cost
bounded by the hold taken before it was asked."""

from __future__ import annotations

import pytest

from local.openrouter_sim import judged
from spendrail.cache.judge import INSTRUCTIONS, JUDGE_USER, MAX_JUDGED_CHARS, Judge
from spendrail.cache.model import JudgeMode
from spendrail.deadline import Deadline
from spendrail.errors import UnknownModelError, UpstreamError
from spendrail.llm.port import Usage
from spendrail.pricing import PricingCatalog
from tests.fakes.llm import ScriptedLLM, answer

MODEL = "meta-llama/llama-3.3-70b-instruct"
CATALOG = PricingCatalog.load()


def judge(llm: ScriptedLLM, certain: float = 0.95) -> Judge:
    return Judge(llm, CATALOG, MODEL, certain=certain)


def test_band_mode_asks_only_below_certainty_and_always_mode_always() -> None:
    j = judge(ScriptedLLM())
    assert j.needed(JudgeMode.BAND, 0.86) and not j.needed(JudgeMode.BAND, 0.95)
    assert j.needed(JudgeMode.ALWAYS, 0.99)
    assert not j.needed(JudgeMode.OFF, 0.5)


def test_a_yes_serves_and_a_no_does_not_each_for_what_the_provider_billed() -> None:
    llm = ScriptedLLM().then(answer(MODEL, text=" Yes", cost="0.0000061"), answer(MODEL, text="no", cost="0.000006"))
    j = judge(llm)
    deadline = Deadline.after(5)
    same = j.same("Do you ship to Canada?", "Can you deliver to Canada?", "r1", deadline)
    different = j.same("Is shipping free over $50?", "Is shipping free under $50?", "r2", deadline)
    assert (same.same, same.cost, same.in_doubt) == (True, 6_100, 0)
    assert (different.same, different.cost) == (False, 6_000)
    asked = llm.requests[0]
    assert (asked.model, asked.max_tokens, asked.user, asked.fallbacks) == (MODEL, 1, JUDGE_USER, ())
    assert asked.messages[0].content == INSTRUCTIONS
    assert "Can you deliver to Canada?" in asked.messages[1].content  # the cached question, quoted
    assert llm.deadlines == [deadline, deadline]


def test_what_a_call_cost_never_exceeds_the_hold_taken_for_it() -> None:
    llm = ScriptedLLM()
    j = judge(llm)
    prompt = "Can I return an opened item?"
    cached = "x" * MAX_JUDGED_CHARS
    llm.then(answer(MODEL, text="no", cost=None, input_tokens=len(cached) + 400, output_tokens=1))
    verdict = j.same(prompt, cached, "r1", Deadline.after(5))
    assert 0 < verdict.cost <= j.hold(prompt)


def test_a_failed_call_is_a_miss_charged_only_what_may_have_been_billed() -> None:
    prompt, cached = "Do you ship to Canada?", "Can you deliver to Canada?"
    refused = UpstreamError("busy", status=503, kind="unavailable")
    timed_out = UpstreamError("timed out", status=504, kind="timeout", in_doubt=True)
    partial = UpstreamError("cut", status=502, kind="malformed", usage=Usage(90, 1, None))
    j = judge(ScriptedLLM().then(refused, timed_out, partial))
    deadline = Deadline.after(5)
    assert j.same(prompt, cached, "r1", deadline) == (nothing := j.same("x" * 1001, cached, "r0", deadline))
    assert (nothing.same, nothing.cost) == (False, 0)
    in_doubt = j.same(prompt, cached, "r2", deadline)
    assert (in_doubt.same, in_doubt.cost, in_doubt.in_doubt) == (False, j.hold(prompt), j.hold(prompt))
    reported = j.same(prompt, cached, "r3", deadline)
    assert (reported.same, reported.in_doubt) == (False, 0) and reported.cost > 0


def test_questions_too_long_to_judge_are_not_sent_and_hold_nothing() -> None:
    llm = ScriptedLLM()
    j = judge(llm)
    long = "Which size? " * 100
    assert j.hold(long) == 0
    assert not j.same(long, "Which size?", "r1", Deadline.after(5)).same
    assert llm.requests == []


def test_an_unknown_judge_model_fails_at_start_rather_than_being_priced_at_zero() -> None:
    with pytest.raises(UnknownModelError):
        Judge(ScriptedLLM(), CATALOG, "nobody/free-judge", certain=0.95)


@pytest.mark.parametrize(
    ("cached", "new", "verdict"),
    [
        ("Do you ship to Canada?", "Do you deliver to Canada?", "yes"),
        ("Is shipping free over $50?", "Is shipping free under $50?", "no"),
        ("Can I pay with a gift card?", "Can I pay with cash?", "no"),
        ("Do you have this in size 8?", "Do you have this in size 9?", "no"),
    ],
)
def test_the_local_simulator_answers_judge_questions_yes_or_no(cached: str, new: str, verdict: str) -> None:
    assert judged(f"First: {cached}\nSecond: {new}\nSame answer?") == verdict
