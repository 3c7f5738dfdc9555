"""The Benchmark Planner: design, grounding and allocation. Brains: `agents.offline` (now) and an
LLM (later), behind the same result type (`agents.types.PlanResult`)."""
