"""The asks of a request that every engine states the same way: the media its items carry and the
robustness condition, read from a Scope. The brains add what they read themselves (the skills
asked, option counts, knowledge links...); these are the floor every spec's coverage starts from."""
from __future__ import annotations

from agents.types import Ask, Perturbation, Scope

DEFAULT_LADDER = (1, 3, 5)  # a robustness condition named without a level is tested mild, moderate and severe
_MEDIUM_WORDS = {"image": "images", "audio": "recordings"}
_PERTURBATION_WORDS = {"downscale": "low resolution", "blur": "blur", "jpeg": "JPEG compression",
                       "occlusion": "occlusion", "noise": "image noise", "audio_noise": "background noise"}


def capability_ask(*, key: str, text: str, evidence: list[str] | None = None, capability: str = "custom",
                   confidence: float = 1.0, uncertain: bool = False) -> Ask:
    return Ask(key=f"capability:{key}"[:80], kind="capability", text=text[:300], params={"capability": capability},
               evidence=evidence or [], confidence=confidence, uncertain=uncertain)


def modality_ask(modality: str, *, evidence: list[str] | None = None, uncertain: bool = False,
                 confidence: float = 1.0) -> Ask:
    return Ask(key=f"input:{modality}", kind="input_modality", text=f"{_MEDIUM_WORDS[modality]} as input",
               params={"modality": modality}, evidence=evidence or [], uncertain=uncertain, confidence=confidence)


def perturbation_ask(kind: str, severities: list[int], *, evidence: list[str] | None = None) -> Ask:
    levels = sorted(set(severities))
    said = (f"at severity {levels[0]}" if len(levels) == 1 else
            f"at severities {', '.join(map(str, levels[:-1]))} and {levels[-1]}")
    return Ask(key=f"perturbation:{kind}", kind="perturbation", text=f"{_PERTURBATION_WORDS[kind]} {said}",
               params={"kind": kind, "severities": levels}, evidence=evidence or [])


def scope_asks(scope: Scope, *, modalities_given: bool) -> list[Ask]:
    """The media and robustness asks a scope states (modalities a request named in its own field are
    certain; read from its words, they are as certain as the reading)."""
    asks = [modality_ask(m, evidence=[] if modalities_given else ["(read from the request's words)"])
            for m in scope.modalities if m in _MEDIUM_WORDS]
    if scope.perturbation is not None:
        p: Perturbation = scope.perturbation
        asks.append(perturbation_ask(p.kind, [p.severity]))
    return asks


def with_floor_asks(scope: Scope, *, modalities_given: bool) -> Scope:
    """The scope with the floor asks added where the brain did not state them itself."""
    have = {a.key for a in scope.asks}
    extra = [a for a in scope_asks(scope, modalities_given=modalities_given) if a.key not in have]
    return scope.model_copy(update={"asks": [*scope.asks, *extra]}) if extra else scope
