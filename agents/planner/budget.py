"""Token and money budgets of a request. The ledger wrapper counts what every LLM call spent; the
roles check the budget before each call, so a run stops cleanly between calls, never in one."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


class BudgetExhausted(Exception):
    pass


class RunStopped(BudgetExhausted):
    """Someone stopped the run: it ends as a spent budget does, between calls and items, keeping
    what was made."""


class Budget:
    def __init__(self, *, tokens: int | None = None, money: Decimal | float | None = None,
                 stopped: Callable[[], str] | None = None) -> None:
        """`stopped`: why the run was stopped by a person ("" while it goes on); asked at every check."""
        self.tokens = tokens
        self.money = Decimal(str(money)) if money is not None else None
        self.spent_tokens = 0
        self.spent_money = Decimal(0)
        self.stopped = stopped

    @property
    def limited(self) -> bool:
        return self.tokens is not None or self.money is not None

    def charge(self, *, tokens: int, money: Decimal) -> None:
        self.spent_tokens += tokens
        self.spent_money += money

    def exhausted_reason(self) -> str:
        if self.tokens is not None and self.spent_tokens >= self.tokens:
            return f"the token budget is spent: {self.spent_tokens} of {self.tokens} tokens used"
        if self.money is not None and self.spent_money >= self.money:
            return f"the money budget is spent: ${self.spent_money:.4f} of ${self.money:.4f} used"
        return ""

    def check_stopped(self) -> None:
        """Raise RunStopped when the run was stopped."""
        stopped = self.stopped() if self.stopped is not None else ""
        if stopped:
            raise RunStopped(stopped)

    def check(self) -> None:
        """Raise RunStopped when the run was stopped, BudgetExhausted when nothing is left for another call."""
        self.check_stopped()
        reason = self.exhausted_reason()
        if reason:
            raise BudgetExhausted(reason)

    def summary(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "money": str(self.money) if self.money is not None else None,
                "spent_tokens": self.spent_tokens, "spent_money": str(self.spent_money)}


class BudgetLedger:
    """A ledger that charges every LLM call to the budget, then hands it to the real ledger."""

    def __init__(self, inner: Any, budget: Budget) -> None:
        self.inner = inner
        self.budget = budget

    def tool_call(self, **call: Any) -> None:
        if self.inner is not None:
            self.inner.tool_call(**call)

    def llm_call(self, **call: Any) -> None:
        self.budget.charge(tokens=call.get("prompt_tokens", 0) + call.get("completion_tokens", 0),
                           money=call.get("cost", Decimal(0)))
        if self.inner is not None:
            self.inner.llm_call(**call)
