"""Scope: read the request text into a topic, modalities and keywords (offline, rule-based)."""
from __future__ import annotations

import re

from agents.offline.lexical import keywords
from agents.types import BuildRequest, Perturbation, Scope

# Words that, in a request, say the benchmark needs this modality in its inputs.
_MODALITY_CUES = {
    "image": ("image", "images", "picture", "pictures", "photo", "photos", "visual", "artwork", "painting",
              "paintings", "diagram", "diagrams", "chart", "charts", "figure", "scan", "screenshot", "multimodal"),
    "audio": ("audio", "speech", "spoken", "voice", "sound", "sounds", "listening", "utterance", "acoustic"),
}


# Words that ask for a robustness condition on images, and its severity.
_PERTURBATION_CUES = (
    ("occlusion", ("occluded", "occlusion", "occlusions", "partially hidden", "covered")),
    ("noise", ("noisy", "noise", "grainy")),
    ("jpeg", ("jpeg", "compressed", "compression", "artifacts", "artefacts")),
    ("downscale", ("low-resolution", "low resolution", "pixelated", "downscaled", "tiny images")),
    ("blur", ("blurry", "blurred", "blur", "out of focus", "out-of-focus", "degraded", "low-quality", "low quality",
              "corrupted", "robustness", "robust")),
)
_SEVERITY_CUES = ((5, ("extreme", "extremely")), (4, ("severe", "severely", "heavy", "heavily", "strong")),
                  (2, ("mild", "mildly", "slight", "slightly", "light")))


_AUDIO_NOISE_CUES = ("noisy", "noise", "background noise", "crowded", "cafe", "street noise", "robust", "robustness",
                     "degraded", "low-quality", "low quality")


def perturbation_parse(text: str, *, audio: bool = False) -> Perturbation | None:
    lowered = f" {' '.join(re.findall(r'[a-z-]+', text.lower()))} "
    if audio:
        kind = "audio_noise" if any(f" {cue} " in lowered for cue in _AUDIO_NOISE_CUES) else None
    else:
        kind = next((kind for kind, cues in _PERTURBATION_CUES if any(f" {cue} " in lowered for cue in cues)), None)
    if kind is None:
        return None
    severity = next((level for level, cues in _SEVERITY_CUES if any(f" {cue} " in lowered for cue in cues)), 3)
    return Perturbation(kind=kind, severity=severity)  # type: ignore[arg-type]


def scope_parse(request: BuildRequest) -> Scope:
    text = " ".join(request.text.split())
    words = set(re.findall(r"[a-z]+", text.lower()))
    if request.modalities:
        modalities = sorted(set(request.modalities) | {"text"})
        inferred = False
    else:
        modalities = ["text"]
        for modality, cues in _MODALITY_CUES.items():
            if words.intersection(cues) and not (modality == "image" and words == {"multimodal"}):
                modalities.append(modality)
        # "multimodal" alone says nothing about which modality; it counts only next to an image cue.
        if "image" in modalities and not words.intersection(set(_MODALITY_CUES["image"]) - {"multimodal"}):
            modalities.remove("image")
        modalities = sorted(set(modalities))
        inferred = True
    first_sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    topic = first_sentence if len(first_sentence) <= 120 else first_sentence[:117].rsplit(" ", 1)[0] + "..."
    return Scope(
        topic=topic,
        modalities=modalities,  # type: ignore[arg-type]
        keywords=keywords(text, limit=8),
        target_size=request.target_size,
        modalities_inferred=inferred,
        # Images are what a robustness request degrades; without images, recordings get noise.
        perturbation=(perturbation_parse(text) if "image" in modalities else
                      perturbation_parse(text, audio=True) if "audio" in modalities else None),
    )
