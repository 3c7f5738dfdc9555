"""Structured output: the schema instruction, JSON extraction from a reply, validation and the
message of the repair round."""
from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

_FENCED_BLOCK = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


class ReplyError(ValueError):
    """A reply that gave no valid object; the message is what the repair round shows the model."""


def schema_instruction(schema: type[BaseModel]) -> str:
    return ("Reply with one JSON object and nothing else. It must validate against this JSON schema:\n"
            + json.dumps(schema.model_json_schema(), sort_keys=True))


def response_format(schema: type[BaseModel], mode: str = "json_schema") -> dict[str, Any] | None:
    """The `response_format` of a request in this structured-output mode (None: the prompt carries
    the schema)."""
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": schema.__name__[:64], "schema": schema.model_json_schema(), "strict": False}}
    if mode == "json_object":  # llama-cpp-python enforces the schema given here with a grammar
        return {"type": "json_object", "schema": schema.model_json_schema()}
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
