#!/usr/bin/env python
"""Benchmark (not a test): independent LLM calls through `LLMClient.complete_many` against the local
OpenAI-protocol server (tests/llm_server.py) with injected latency, and what the concurrency buys.

Prints the wall time, the ideal time (sum of the calls' latencies divided by the concurrency), their
ratio (1.0 is perfect; sequential calls would give the concurrency itself), and calls and tokens.

    .venv/bin/python bench/llm_concurrency.py [--calls 24] [--concurrency 4] [--latency 0.3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402

from agents.llm import LLMClient, LLMConfig, LLMRequest, RoleConfig  # noqa: E402
from tests.llm_server import LLMServer, ok_json  # noqa: E402


class Subtask(BaseModel):
    key: str
    name: str
    importance: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()

    server = LLMServer(latency_s=args.latency, default=lambda request: ok_json(
        {"key": request.messages[-1]["content"], "name": "Cause and effect", "importance": 0.5},
        prompt_tokens=420, completion_tokens=60)).start()
    try:
        config = LLMConfig(base_url=server.base_url, api_key="bench", default=RoleConfig(model="bench-model"),
                           concurrency=args.concurrency, prices={"bench-model": (0.4, 1.6)})
        client = LLMClient(config)
        requests = [LLMRequest(messages=[{"role": "system", "content": "Propose one subtask."},
                                         {"role": "user", "content": f"request-{i}"}], schema=Subtask, role="design")
                    for i in range(args.calls)]
        started = time.monotonic()
        results = client.complete_many(requests)
        wall = time.monotonic() - started
    finally:
        server.stop()

    ideal = args.calls * args.latency / args.concurrency
    prompt = sum(r.usage.prompt_tokens for r in results)
    completion = sum(r.usage.completion_tokens for r in results)
    print(f"LLM calls through complete_many: {args.calls} calls, {args.latency * 1000:.0f} ms injected latency, "
          f"concurrency {args.concurrency}")
    print(f"  wall time                            {wall:.3f} s")
    print(f"  sum of latencies / concurrency       {ideal:.3f} s")
    print(f"  ratio (wall / ideal)                 {wall / ideal:.3f}")
    print(f"  max requests in flight at the server {server.max_active}")
    print(f"  HTTP requests {len(server.requests)}, tokens {prompt} prompt + {completion} completion, "
          f"cost ${sum(r.cost for r in results)}")


if __name__ == "__main__":
    main()
