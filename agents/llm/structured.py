"""Structured output: the schema instruction, JSON extraction from a reply, validation and the
message of the repair round."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

_FENCED_BLOCK = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


class ReplyError(ValueError):
    """A reply that gave no valid object; the message is what the repair round shows the model."""


def schema_instruction(schema: type[BaseModel]) -> str:
    return ("Reply with one JSON object and nothing else. It must validate against this JSON schema:\n"
            + json.dumps(wire_schema(schema), sort_keys=True))


# What a grammar engine is asked to compile: llama.cpp turns a string's maxLength into that many
# rules (above about 1,000 llama-cpp-python's parser fails, then crashes), and an unbounded list of
# free strings lets a small model run on to max_tokens. Longer limits are checked after parsing.
WIRE_MAX_STRING = 1000
WIRE_MAX_ITEMS = 32
# llama.cpp bounds integers in a grammar but not other numbers: a 0-1 score came back as 25689347. A
# number between two small whole bounds goes on the wire as a decimal string that a pattern holds to
# the range (pydantic reads "0.75" as 0.75); the model's own bounds still validate it.
WIRE_MAX_NUMBER_SPAN = 20
WIRE_DECIMALS = 4


def _bounded_number(node: dict[str, Any]) -> dict[str, Any] | None:
    """The wire form of a number between whole bounds 0 <= low < high, at most WIRE_MAX_NUMBER_SPAN
    apart (a score, an importance), else None."""
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is None or high is None or low != int(low) or high != int(high) or not 0 <= low < high <= low + WIRE_MAX_NUMBER_SPAN:
        return None
    whole = "|".join(str(v) for v in range(int(low), int(high)))
    pattern = f"^(({whole})(\\.[0-9]{{1,{WIRE_DECIMALS}}})?|{int(high)}(\\.0{{1,{WIRE_DECIMALS}}})?)$"
    return {"type": "string", "pattern": pattern, **{k: node[k] for k in ("title", "description") if k in node}}


@lru_cache(maxsize=256)
def wire_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The reply schema as sent to the server: every string at most WIRE_MAX_STRING characters,
    every list at most WIRE_MAX_ITEMS items (the model's own limits where they are tighter), a
    bounded number a decimal string held to its range by a pattern. The
    pydantic model still validates the reply with its own limits. Built once per schema (every call
    sends it): callers never change the dict."""
    def bounded(node: Any) -> Any:
        if isinstance(node, list):
            return [bounded(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {key: bounded(value) for key, value in node.items()}
        if out.get("type") == "number":
            out = _bounded_number(out) or out
        if out.get("type") == "string" and not {"enum", "const", "pattern"} & out.keys():
            out["maxLength"] = min(int(out.get("maxLength", WIRE_MAX_STRING)), WIRE_MAX_STRING)
        if out.get("type") == "array":
            out["maxItems"] = min(int(out.get("maxItems", WIRE_MAX_ITEMS)), WIRE_MAX_ITEMS)
        return out

    return bounded(schema.model_json_schema())


def response_format(schema: type[BaseModel], mode: str = "json_schema") -> dict[str, Any] | None:
    """The `response_format` of a request in this structured-output mode (None: the prompt carries
    the schema)."""
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": schema.__name__[:64], "schema": wire_schema(schema), "strict": False}}
    if mode == "json_object":  # llama-cpp-python enforces the schema given here with a grammar
        return {"type": "json_object", "schema": wire_schema(schema)}
    return None


# Which mode to try when an endpoint refuses a response format, and what a refusal about the format
# says ("response_format.type: Input should be 'text' or 'json_object'").
NEXT_MODE = {"json_schema": "json_object", "json_object": "prompt"}
_FORMAT_REFUSAL = re.compile(r"response_format|json_schema|json_object|\bschema\b|grammar", re.IGNORECASE)


def refuses_format(message: str) -> bool:
    return bool(_FORMAT_REFUSAL.search(message))


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in the text: a fenced ```json block first, else the first `{` that
    starts a complete object."""
    decoder = json.JSONDecoder()
    for block in _FENCED_BLOCK.findall(text):
        try:
            value = json.loads(block.strip())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ReplyError("The reply contains no JSON object.")


def validation_message(error: ValidationError) -> str:
    """One line per problem, `field.path: message`, e.g. `answer: Field required`."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{loc}: {item['msg']}")
    return "\n".join(lines)


def parse_reply(text: str, schema: type[BaseModel]) -> BaseModel:
    data = extract_json_object(text)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ReplyError(f"The JSON object does not validate against the schema:\n{validation_message(exc)}") from exc


def repair_message(error: ReplyError) -> dict[str, str]:
    return {"role": "user",
            "content": f"Your reply could not be used. {error}\n"
                       "Reply again with only the corrected JSON object."}


TRUNCATED_ECHO_CHARS = 400  # of a reply cut at max_tokens, what the repair round shows the model again


def truncated_repair(text: str, max_tokens: int) -> list[dict[str, str]]:
    """The repair round for a reply cut off at the length limit: its start only (a small model that
    wandered would read its wandering back and go on), and the limit it ran into."""
    start = text[:TRUNCATED_ECHO_CHARS] + (" [...]" if len(text) > TRUNCATED_ECHO_CHARS else "")
    return [{"role": "assistant", "content": start},
            {"role": "user", "content": f"Your reply was cut off at the length limit ({max_tokens} tokens) before "
                                        "the JSON object closed. Reply again with only the JSON object, shorter: "
                                        "no repeated items, no text outside the object."}]
