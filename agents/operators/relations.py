"""Items from relation lists: a record whose answer lists the relations between the people of its
text ("(Speaker 1 (PER) => per:siblings => Ross (PER)") gives an item that asks how two of them are
related. Its options are relations that cannot hold beside the key (a sibling is not a spouse);
a relation the record lists for the same pair is never a distractor.

- `relation_choices`: the question, the options and the key from the record's relation list."""
from __future__ import annotations

import re
from typing import Any

from agents.operators import Draft, ItemContext, OperatorError, RecordFiltered, get_path, operator
from agents.types import RecordView

RELATION = re.compile(r"\(\s*([^()=]+?)\s*\((\w+)\)\s*=>\s*([\w:/-]+)\s*=>\s*([^()=]+?)\s*\((\w+)\)")

# Relations between two people, as an option says them. Others in such lists (a title, another name,
# a feeling about someone) are not how two people are related.
PERSON_RELATIONS = {
    "per:siblings": "They are siblings.",
    "per:spouse": "They are married to each other.",
    "per:children": "One is the other's parent.",
    "per:girl/boyfriend": "They are dating (girlfriend and boyfriend).",
    "per:friends": "They are friends.",
    "per:roommate": "They are roommates.",
    "per:alumni": "They went to the same school.",
}
# What cannot hold beside each relation asked about, so that the key is the only right option.
# Friends, roommates and schoolmates may be true of one pair together, and of siblings or a
# couple too: roommates and schoolmates are never asked about, and none of the three is a
# distractor beside another.
EXCLUSIVE = {
    "per:siblings": ("per:spouse", "per:children", "per:girl/boyfriend"),
    "per:spouse": ("per:siblings", "per:children"),
    "per:children": ("per:siblings", "per:spouse", "per:girl/boyfriend"),
    "per:girl/boyfriend": ("per:siblings", "per:children"),
    "per:friends": ("per:siblings", "per:children", "per:spouse"),
}
SPECIFIC = ("per:siblings", "per:children", "per:spouse", "per:girl/boyfriend", "per:friends")  # most specific first
PERSON = "PER"


def relations_of(text: object) -> list[tuple[str, str, str]]:
    """(first person, relation, second person) of every person-to-person relation the text lists."""
    if not isinstance(text, str):
        return []
    return [(a.strip(), rel, b.strip()) for a, ta, rel, b, tb in RELATION.findall(text)
            if ta == PERSON and tb == PERSON and rel in PERSON_RELATIONS and a.strip() != b.strip()]


def askable(relations: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The relations an item may ask about: a kind with enough exclusive options, one pair once, by
    its most specific relation (a brother who is also a friend is asked about as a sibling)."""
    best: dict[frozenset[str], tuple[str, str, str]] = {}
    for a, rel, b in relations:
        pair = frozenset((a, b))
        if rel in EXCLUSIVE and (pair not in best or SPECIFIC.index(rel) < SPECIFIC.index(best[pair][1])):
            best[pair] = (a, rel, b)
    return list(best.values())


@operator("relation_choices")
def _relation_choices(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Ask how two people of the text (`draft["context"]`) are related, from the relation list at `path`."""
    listed = relations_of(get_path(record.payload, params["path"]))
    context = draft.get("context", "")
    candidates = [r for r in askable(listed) if r[0] in context and r[2] in context]
    if not candidates:  # the record lists only names, titles or feelings: nothing to ask of it
        raise RecordFiltered("its relation list names no two people of the text in a relation that can be asked")
    a, rel, b = candidates[ctx.rng.randrange(len(candidates))]
    held = {r for x, r, y in listed if {x, y} == {a, b}}
    distractors = [r for r in EXCLUSIVE[rel] if r not in held]
    if len(distractors) < 2:
        raise OperatorError(f"{a} and {b} are listed in relations that leave fewer than two wrong options")
    draft["question"] = f"In the conversation above, how are {a} and {b} related?"
    draft["options"] = [PERSON_RELATIONS[rel]] + [PERSON_RELATIONS[r] for r in distractors]
    draft["answer_index"] = 0
    draft["accepted_answers"] = [PERSON_RELATIONS[rel]]
