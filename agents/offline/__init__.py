"""The offline engine: deterministic, non-LLM strategies for each agent role. Everything it
makes is labelled engine="offline"."""

ENGINE = "offline"
