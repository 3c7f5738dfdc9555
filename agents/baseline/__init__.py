"""The direct-prompting baseline of the paper: the LLM (role "generate") asked for the benchmark
outright — no dataset, no grounding, no verification — in batches, so its items can be judged the
same way as the agent's and compared side by side."""
from __future__ import annotations

from pathlib import Path
from string import Template

from pydantic import BaseModel, Field

from agents.llm import LLMRequest, fence_data

PROMPT = Path(__file__).with_name("direct.md")


class DirectItem(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    context: str = Field(default="", max_length=8000)
    options: list[str] = Field(min_length=2, max_length=8)
    answer_index: int = Field(ge=0, le=7)


class DirectItems(BaseModel):
    items: list[DirectItem]


def direct_requests(request_text: str, size: int, *, batch: int = 10) -> list[LLMRequest]:
    requests = []
    for first in range(0, size, batch):
        count = min(batch, size - first)
        text = Template(PROMPT.read_text(encoding="utf-8")).substitute(
            count=count, request=fence_data("request", request_text), first=first + 1, last=first + count, total=size)
        requests.append(LLMRequest([{"role": "user", "content": text}], DirectItems, "generate", f"baseline:{first}"))
    return requests

