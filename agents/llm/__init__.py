"""The LLM layer (no Django): one interface, `LLMClient.complete(messages, schema, role=...)`,
over any OpenAI-compatible endpoint, with structured output, retries, a concurrency limit,
a response cache, the ledger, and fencing of dataset text."""
from agents.llm.cache import MemoryCache, ResponseCache, cache_key
from agents.llm.client import LLMClient
from agents.llm.fence import FENCE_INSTRUCTION, fence_data
from agents.llm.structured import extract_json_object
from agents.llm.types import (
    LLMConfig,
    LLMError,
    LLMOutputError,
    LLMRequest,
    LLMResult,
    LLMUnavailableError,
    LLMUsage,
    RoleConfig,
)

__all__ = [
    "FENCE_INSTRUCTION", "LLMClient", "LLMConfig", "LLMError", "LLMOutputError", "LLMRequest", "LLMResult",
    "LLMUnavailableError", "LLMUsage", "MemoryCache", "ResponseCache", "RoleConfig", "cache_key",
    "extract_json_object", "fence_data",
]
