"""The capability taxonomy the offline Design role draws subtasks from.

Each capability is a skill a benchmark can test, with the inputs it needs (its media), the words
that signal it in a request, the card roles that make a dataset easy to ground it in, and whether
its audio may be synthesised from a dataset's text (a dialogue spoken by several voices)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capability:
    key: str
    name: str
    description: str
    media: frozenset[str]  # non-text inputs an item carries: {}, {"image"} or {"audio"}
    cues: str  # words that signal the capability in a request
    roles: tuple[str, ...] = ("question", "answer")
    answer_type: str = "choice"
    speech_from_text: bool = False  # its audio may be spoken from a dataset's dialogue or context text
    render_from_text: bool = False  # its image may be a dataset's passage rendered as a page
    schema: dict[str, str] = field(default_factory=dict)

    def document(self) -> str:
        return f"{self.name}. {self.description} {self.cues}"


_TEXT, _IMAGE, _AUDIO = frozenset(), frozenset({"image"}), frozenset({"audio"})

CAPABILITIES: tuple[Capability, ...] = (
    # --- text --------------------------------------------------------------------------------
    Capability("causal-reasoning", "Causal reasoning",
               "Infer the most plausible cause or effect of an event or everyday situation.",
               _TEXT, "cause causes effect effects consequence consequences why because result plausible causal "
                      "happen happened led lead outcome"),
    Capability("temporal-reasoning", "Temporal reasoning",
               "Work out when things happen: the order of events, their timing and duration, and which came "
               "before or after another.",
               _TEXT, "time temporal when before after order ordering duration sequence timeline chronological "
                      "date dates timing", roles=("context", "answer")),
    Capability("social-reasoning", "Social and commonsense reasoning",
               "Interpret everyday social situations: what people intend, feel or will do next, and the most "
               "appropriate reading of their behaviour.",
               _TEXT, "social situation situations people person intention intentions feeling feelings reaction "
                      "behaviour behavior commonsense norms interpersonal psychology science"),
    Capability("natural-language-inference", "Natural language inference",
               "Decide whether a statement follows from, contradicts or is unrelated to a text, and whether "
               "claims are consistent with each other.",
               _TEXT, "inference infer entailment entail premise hypothesis contradiction contradict contradicts "
                      "consistent consistency follows implies true false claim claims judge",
               roles=("context", "question", "answer")),
    Capability("event-reasoning", "Event understanding across accounts",
               "Read several mentions or accounts of events, tell which describe the same event, and "
               "reconstruct what really happened and how the events relate to each other.",
               _TEXT, "event events account accounts perspective perspectives viewpoint viewpoints narrative "
                      "narratives witness report reports news coreference mention mentions same integrate "
                      "reconstruct multiple sources",
               roles=("context", "question", "answer")),
    Capability("document-reasoning", "Reasoning over long documents",
               "Answer questions that need facts connected across a long narrative or document.",
               _TEXT, "document documents long passage passages narrative story stories reading comprehension "
                      "multi-hop paragraph paragraphs article",
               roles=("context", "question", "answer")),
    Capability("ethical-reasoning", "Ethical reasoning",
               "Judge the morally appropriate choice or evaluation in an everyday scenario.",
               _TEXT, "ethical ethics moral morality right wrong values fairness fair virtue duty judgement "
                      "judgment acceptable"),
    Capability("dialogue-understanding", "Conversation understanding",
               "Follow a multi-turn conversation between speakers: track its context across turns, the "
               "relations between the speakers and what a fitting reply would be.",
               _TEXT, "dialogue dialogues dialog conversation conversations conversational turn turns speaker "
                      "speakers reply replies chat utterance utterances interlocutor",
               roles=("dialog", "context", "answer")),
    Capability("relation-extraction", "Relations between entities",
               "Identify how the people or things mentioned in a text are related to each other.",
               _TEXT, "relation relations relationship relationships entity entities extract extraction between "
                      "family friend colleague", roles=("context", "question", "answer")),
    Capability("world-knowledge", "World knowledge",
               "Answer factual questions across school and professional subjects such as history, science, "
               "law, medicine, economics and mathematics.",
               _TEXT, "knowledge fact facts factual subject subjects exam exams school history science law medicine "
                      "economics mathematics trivia expert professional academic mmlu"),
    # --- image -------------------------------------------------------------------------------
    Capability("artwork-knowledge", "Artwork recognition and art-historical knowledge",
               "Recognise an artwork, its artist, period or style from the image and reason about the art "
               "history, biography and historical context behind it.",
               _IMAGE, "art artwork artworks painting paintings painter artist artists style stylistic period "
                       "museum art-historical history historical biography biographical culture cultural patrons",
               roles=("image", "question", "answer")),
    Capability("visual-recognition", "Visual recognition",
               "Identify what an image shows: the object, brand, species, garment or category it belongs to.",
               _IMAGE, "recognize recognise recognition identify identification classify classification category "
                       "categories object objects brand brands species car cars clothing garment fashion animal",
               roles=("image", "answer"), answer_type="label"),
    Capability("visual-geography", "Flags and geographic symbols",
               "Recognise countries and regions from their flags, maps and symbols.",
               _IMAGE, "flag flags country countries nation nations national geography geographic map maps region "
                       "regions symbol symbols", roles=("image", "answer"), answer_type="label"),
    Capability("diagram-reasoning", "Science and mathematics diagrams",
               "Read a diagram, chart or illustrated problem and reason with it to solve a science or "
               "mathematics question.",
               _IMAGE, "diagram diagrams chart charts figure figures illustration chemistry physics biology math "
                       "mathematics mathematical equation problem problems word science scientific geometry",
               roles=("image", "question", "options", "answer")),
    Capability("medical-imaging", "Medical image diagnosis",
               "Read a medical image such as a CT scan and answer a diagnostic question about it.",
               _IMAGE, "medical medicine ct scan scans nodule nodules diagnosis diagnostic radiology lung clinical "
                       "patient malignant tumour tumor x-ray mri", roles=("image", "question", "answer")),
    Capability("document-image-reading", "Reading text in images",
               "Read a printed passage, such as a scanned page or a screenshot, and answer a question about what "
               "it says.",
               _IMAGE, "document documents scanned scan page pages screenshot screenshots ocr printed text-rich "
                       "read reading written passage passages", roles=("context", "question", "answer"),
               render_from_text=True),
    Capability("visual-question-answering", "Visual question answering",
               "Answer a question about what an image shows: its content, scene, objects and their details.",
               _IMAGE, "visual question questions answering scene scenes describe description content details "
                       "vqa", roles=("image", "question", "answer")),
    # --- image and audio ---------------------------------------------------------------------
    Capability("spoken-visual-question-answering", "Spoken questions about images",
               "Listen to a question asked aloud about an image and answer it from what the image shows.",
               frozenset({"image", "audio"}), "spoken voice listen listening aloud asked speech question questions "
                                              "image images picture pictures photo photos visual",
               roles=("image", "question", "answer"), speech_from_text=True),
    # --- audio -------------------------------------------------------------------------------
    Capability("spoken-dialogue-understanding", "Spoken conversation understanding",
               "Listen to a conversation between several speakers and answer a question that needs the "
               "dialogue context tracked across turns.",
               _AUDIO, "conversation conversations conversational dialogue dialog turns turn speaker speakers "
                       "spoken speech listen listening multilingual languages language cross-turn context track",
               roles=("dialog", "context", "answer"), speech_from_text=True),
    Capability("speech-recognition", "Speech recognition",
               "Recognise the words spoken in a recording.",
               _AUDIO, "transcribe transcription transcript recognize recognise recognition spoken words word "
                       "speech asr utterance utterances pronunciation recording recordings",
               roles=("audio", "answer")),
)

BY_KEY = {c.key: c for c in CAPABILITIES}
