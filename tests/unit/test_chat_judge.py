"""The chat service with a cache judge: an uncertain similar answer is served only when the judge model agrees,
the judge's call is held and charged like the embedding, and the tenant decides when it is asked."""

from __future__ import annotations

import pytest

from spendrail.cache.judge import JUDGE_USER, Judge
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import JudgeMode
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import UpstreamError
from spendrail.estimate import input_tokens_upper_bound, worst_case_nanos
from spendrail.ledger.memory import InMemoryLedger
from spendrail.money import nanos_to_usd
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.routing import route, use_case
from spendrail.state import BudgetState
from spendrail.tenants.memory import InMemoryTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.profiles import Profiles
from tests.conftest import Clock
from tests.fakes.embedder import HashedEmbedder
from tests.fakes.llm import ScriptedLLM, answer

CATALOG = PricingCatalog.load()
JUDGE_MODEL = "meta-llama/llama-3.3-70b-instruct"
EMBED_NANOS = 200  # HashedEmbedder bills $0.0000002 per embedding
ANSWER_NANOS = 150_000  # ScriptedLLM's default answer costs $0.00015
JUDGE_NANOS = 7_000
FIRST, PARAPHRASE = "How do I track my order?", "How can I track my order"


def service(
    ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock, mode: JudgeMode, certain: float = 0.999
) -> ChatService:
    profiles = InMemoryTenantDirectory()
    profiles.put_tenant(Tenant("shop", cache_judge=mode))
    answers = AnswerCache(InMemoryCacheStore(), dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    judge = Judge(llm, CATALOG, JUDGE_MODEL, certain=certain)
    cache = SemanticCache(answers, HashedEmbedder(), CATALOG, "openai/text-embedding-3-small", judge=judge)
    return ChatService(
        ledger, llm, CATALOG, cache=cache, profiles=Profiles(profiles), clock=clock, sleep=lambda _: None
    )


def ask(chat: ChatService, prompt: str, request_id: str) -> Answer:
    return chat.answer(Question(Tenant("shop"), request_id, "cust-1", prompt), Deadline.after(29))


def judge_says(text: str) -> object:
    return answer(JUDGE_MODEL, text=text, cost="0.000007", input_tokens=80, output_tokens=1)


def test_an_uncertain_paraphrase_is_served_once_the_judge_agrees(ledger: InMemoryLedger, clock: Clock) -> None:
    llm = ScriptedLLM()
    chat = service(ledger, llm, clock, JudgeMode.BAND)
    ask(chat, FIRST, "r1")
    llm.then(judge_says("yes"))  # type: ignore[arg-type]
    served = ask(chat, PARAPHRASE, "r2")
    assert (served.cached, served.cache_tier) == (True, "semantic")
    assert served.cost_nanos == EMBED_NANOS + JUDGE_NANOS  # the embedding and the judge, no answer
    asked = llm.requests[-1]
    assert (asked.model, asked.user, asked.max_tokens) == (JUDGE_MODEL, JUDGE_USER, 1)
    assert FIRST in asked.messages[-1].content and PARAPHRASE in asked.messages[-1].content
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held) == (ANSWER_NANOS + 2 * EMBED_NANOS + JUDGE_NANOS, 0)


@pytest.mark.parametrize(
    "verdict", [judge_says("no"), UpstreamError("busy", status=503, kind="unavailable")], ids=["no", "failed"]
)
def test_a_candidate_the_judge_rejects_or_cannot_judge_is_a_paid_answer(
    ledger: InMemoryLedger, clock: Clock, verdict: object
) -> None:
    llm = ScriptedLLM()
    chat = service(ledger, llm, clock, JudgeMode.BAND)
    ask(chat, FIRST, "r1")
    llm.then(verdict)  # type: ignore[arg-type]
    fresh = ask(chat, PARAPHRASE, "r2")
    judged = JUDGE_NANOS if isinstance(verdict, type(judge_says("no"))) else 0
    assert (fresh.cached, fresh.cost_nanos) == (False, EMBED_NANOS + judged + ANSWER_NANOS)
    assert [r.user for r in llm.requests[1:]] == [JUDGE_USER, "cust-1"]  # judged, then answered
    assert ledger.snapshot("shop").daily.held == 0


def fresh_ledger(clock: Clock) -> InMemoryLedger:
    ledger = InMemoryLedger(clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    return ledger


def test_the_tenants_mode_decides_when_the_judge_is_asked(clock: Clock) -> None:
    off = ScriptedLLM()
    chat = service(fresh_ledger(clock), off, clock, JudgeMode.OFF)
    ask(chat, FIRST, "r1")
    assert ask(chat, PARAPHRASE, "r2").cached
    assert all(r.user != JUDGE_USER for r in off.requests)
    certain = ScriptedLLM()
    chat = service(fresh_ledger(clock), certain, clock, JudgeMode.BAND, certain=0.5)  # every hit is certain
    ask(chat, FIRST, "r1")
    assert ask(chat, PARAPHRASE, "r2").cached
    assert all(r.user != JUDGE_USER for r in certain.requests)
    always = ScriptedLLM()
    chat = service(fresh_ledger(clock), always, clock, JudgeMode.ALWAYS, certain=0.5)
    ask(chat, FIRST, "r1")
    always.then(judge_says("no"))  # type: ignore[arg-type]
    assert not ask(chat, PARAPHRASE, "r2").cached


def test_the_hold_covers_the_judge_when_the_tenant_may_ask_it(clock: Clock) -> None:
    answers = AnswerCache(InMemoryCacheStore(), dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    judge = Judge(ScriptedLLM(), CATALOG, JUDGE_MODEL, certain=0.9)
    cache = SemanticCache(answers, HashedEmbedder(), CATALOG, "openai/text-embedding-3-small", judge=judge)
    assert judge.hold(PARAPHRASE) > JUDGE_NANOS  # what a call costs fits in what is held for it
    assert cache.judge_hold(Tenant("shop", cache_judge=JudgeMode.BAND), PARAPHRASE) == judge.hold(PARAPHRASE)
    assert cache.judge_hold(Tenant("shop", cache_judge=JudgeMode.OFF), PARAPHRASE) == 0


def test_no_room_for_the_judge_is_no_refusal_its_uncertain_candidates_are_paid_answers(clock: Clock) -> None:
    """Near the cap the judge's hold must not stop a shopper whose answer still fits, nor cost it the model, nor
    announce a hard stop: held without it, the uncertain candidate is a miss (an answer paid for, never a wrong one)."""
    support = use_case(CATALOG, "support")
    active = route(CATALOG, "support", BudgetState.ACTIVE).candidates
    answer_hold = worst_case_nanos(CATALOG, active, [support.system_prompt, PARAPHRASE], support.default_max_tokens)
    embedding_price = CATALOG.price("openai/text-embedding-3-small")
    embedding_hold = embedding_price.cost_nanos(input_tokens_upper_bound([PARAPHRASE]), 0)
    judge_hold = Judge(ScriptedLLM(), CATALOG, JUDGE_MODEL, certain=0.999).hold(PARAPHRASE)
    # After the first answer, room for the answer on its usual model and the embedding, not for the judge's hold too.
    cap = ANSWER_NANOS + EMBED_NANOS + answer_hold + embedding_hold + judge_hold // 2
    ledger = InMemoryLedger(clock=clock)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd=nanos_to_usd(cap), monthly_cap_usd="10"))
    llm = ScriptedLLM()
    chat = service(ledger, llm, clock, JudgeMode.BAND)
    assert ask(chat, FIRST, "r1").cached is False
    fresh = ask(chat, PARAPHRASE, "r2")
    assert (fresh.cached, fresh.cost_nanos, fresh.downgraded) == (False, EMBED_NANOS + ANSWER_NANOS, False)
    assert all(r.user != JUDGE_USER for r in llm.requests)  # the judge was not asked: nothing was held for it
    assert ledger.snapshot("shop").daily.held == 0
    assert all(a.kind.value != "hard_stop" for a in ledger.pending_alerts("shop"))  # the refused try claimed nothing
