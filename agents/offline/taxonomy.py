"""The capability taxonomy the offline analysis and Design role draw skills and subtasks from.

Each capability is a skill a benchmark can test, with the inputs it needs (its media), the card
roles that make a dataset easy to ground it in, and whether its media may be made from a
dataset's text (a dialogue spoken by several voices, a passage rendered as a page). Its evidence
in a request comes in two strengths (cue syntax: agents.offline.lexicon): `strong` cues name the
skill on their own ("sentiment", "word analogies", "handwritten"); `weak` cues are generic words
it shares with other skills ("classify", "recognise", "word", "read") and never choose it alone.
`cues` is the capability's descriptive vocabulary, for ranking by BM25 and embeddings."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capability:
    key: str
    name: str
    description: str
    media: frozenset[str]  # non-text inputs an item carries: {}, {"image"} or {"audio"}
    cues: str  # words that describe the capability (its document for ranking)
    roles: tuple[str, ...] = ("question", "answer")
    answer_type: str = "choice"
    speech_from_text: bool = False  # its audio may be spoken from a dataset's dialogue or context text
    render_from_text: bool = False  # its image may be a dataset's passage rendered as a page
    schema: dict[str, str] = field(default_factory=dict)
    strong: tuple[str, ...] = ()  # cues that name the skill on their own
    weak: tuple[str, ...] = ()  # generic cues: supporting evidence only
    # A skill defined by what its items ask (a counterfactual question): a pattern a dataset's own
    # questions (or passages) must match for most records, or its items test something else.
    item_form: str = ""
    item_form_words: str = ""  # the form in words, for the reason a dataset is refused

    def document(self) -> str:
        return f"{self.name}. {self.description} {self.cues}"


_TEXT, _IMAGE, _AUDIO = frozenset(), frozenset({"image"}), frozenset({"audio"})
# "questions (asked aloud) about (the artwork) images", "what is shown in the photo", "describe an image"
_ABOUT_IMAGES = (r"re:\bquestions?\b[^.;]{0,30}?\babout\b[^.;]{0,25}?\b(?:images?|pictures?|photos?|photographs?|"
                 r"paintings?|artworks?|scenes?|what (?:is|an? \w+|the \w+) (?:shown|shows|depicted))\b",
                 "what is shown in", "what an image shows", "what the image shows", "what the picture shows",
                 "what the photo shows", "describe the image", "describe an image", "describe images",
                 "image description",
                 # "ask what the people in it are doing": a question about what is in the picture
                 r"re:\bask(?:s|ed|ing)?\s+(?:\w+\s+){0,3}?(?:what|who|which|how many|where)\b[^.;]{0,40}?"
                 r"\bin (?:it|them|the (?:images?|pictures?|photos?|paintings?|scenes?|artworks?))\b")

CAPABILITIES: tuple[Capability, ...] = (
    # --- text --------------------------------------------------------------------------------
    Capability("causal-reasoning", "Causal reasoning",
               "Infer the most plausible cause or effect of an event or everyday situation.",
               _TEXT, "cause causes effect effects consequence consequences why because result plausible causal "
                      "happen happened led lead outcome",
               strong=("cause", "causes", "caused", "causal*", "causation", "effect", "effects", "consequence*",
                       "cause and effect", "what led to"),
               weak=("why", "because", "result*", "plausible", "outcome*", "happen*", "led to")),
    Capability("counterfactual-reasoning", "Counterfactual reasoning",
               "Reason about what would have happened had something been different: the outcome of a "
               "hypothetical change to an event or situation.",
               _TEXT, "counterfactual counterfactuals hypothetical what if would have had alternative imagine "
                      "changed different outcome scenario",
               strong=("counterfactual*", "hypothetical*", "what if", "would have happened", "had not",
                       "what would happen if"),
               weak=("alternative*", "imagine*", "scenario*", "instead"),
               item_form=(r"\b(?:would|could|might)(?:\s+\w+){0,3}\s+(?:have|had)\b|\bwhat if\b|\bhad(?:\s+\w+){0,4}\s+"
                          r"(?:not|never)\b|\bhadn't\b|\bif\b[^.?]{0,80}\b(?:instead|otherwise)\b|\bcounterfactual"),
               item_form_words="ask what would have happened had something been different"),
    Capability("temporal-reasoning", "Temporal reasoning",
               "Work out when things happen: the order of events, their timing and duration, and which came "
               "before or after another.",
               _TEXT, "time temporal when before after order ordering duration sequence timeline chronological "
                      "date dates timing", roles=("context", "answer"),
               strong=("temporal*", "chronolog*", "timeline*", "order of events", "duration*", "before or after",
                       "how long", "what time"),
               weak=("time", "timing", "when", "before", "after", "order*", "date", "dates", "sequence*")),
    Capability("social-reasoning", "Social and commonsense reasoning",
               "Interpret everyday social situations: what people intend, feel or will do next, and the most "
               "appropriate reading of their behaviour.",
               _TEXT, "social situation situations people person intention intentions feeling feelings reaction "
                      "behaviour behavior commonsense norms interpersonal psychology science",
               strong=("social*", "commonsense", "common sense", "common-sense", "intention*", "interpersonal",
                       "theory of mind", "social norm*", "people perceive", "others perceive", "perceived by others",
                       "perceive someone*", "how others", "how other people", "how would people", "how would others",
                       "how people react", "how people feel", "someone's behaviour", "someone's behavior"),
               weak=("people", "person", "feeling*", "reaction*", "behaviour*", "behavior*", "psycholog*")),
    Capability("natural-language-inference", "Natural language inference",
               "Decide whether a statement follows from, contradicts or is unrelated to a text, and whether "
               "claims are consistent with each other.",
               _TEXT, "inference infer entailment entail premise hypothesis contradiction contradict contradicts "
                      "consistent consistency follows implies true false claim claims judge",
               roles=("context", "question", "answer"),
               strong=("entail*", "premise*", "hypothes*", "natural language inference", "nli", "contradict*",
                       "follows from", "textual inference", "supported by", "refuted", "fact-check*", "fact check*",
                       "claim verification", "fact verification"),
               weak=("infer*", "inference", "consisten*", "claim*", "implies", "true or false")),
    Capability("event-reasoning", "Event understanding across accounts",
               "Read several mentions or accounts of events, tell which describe the same event, and "
               "reconstruct what really happened and how the events relate to each other.",
               _TEXT, "event events account accounts perspective perspectives viewpoint viewpoints narrative "
                      "narratives witness report reports news coreference mention mentions same integrate "
                      "reconstruct multiple sources",
               roles=("context", "question", "answer"),
               strong=("perspective*", "viewpoint*", "accounts", "coreferen*", "same event", "witness*",
                       "multiple sources", "conflicting report*", "event mention*"),
               weak=("event", "events", "narrative*", "report*", "news", "mention*", "integrat*", "reconstruct*")),
    Capability("document-reasoning", "Reasoning over long documents",
               "Answer questions that need facts connected across a long narrative or document.",
               _TEXT, "document documents long passage passages narrative story stories reading comprehension "
                      "multi-hop paragraph paragraphs article",
               roles=("context", "question", "answer"),
               strong=("long document*", "reading comprehension", "multi-hop", "multi hop", "long narrative*",
                       "long text*", "long stor*", "passage*"),
               # A story is the material of many skills ("judge the people in short stories"), not this
               # one unless it is long: it supports, it does not decide.
               weak=("document*", "narrative*", "paragraph*", "read", "reading", "comprehension", "news",
                     "article*", "story", "stories")),
    Capability("ethical-reasoning", "Ethical reasoning",
               "Judge the morally appropriate choice or evaluation in an everyday scenario.",
               _TEXT, "ethical ethics moral morality right wrong values fairness fair virtue duty judgement "
                      "judgment acceptable",
               strong=("ethic*", "moral*", "right or wrong", "virtue*"),
               weak=("values", "fair*", "duty", "judg*", "acceptable")),
    Capability("dialogue-understanding", "Conversation understanding",
               "Follow a multi-turn conversation between speakers: track its context across turns, the "
               "relations between the speakers and what a fitting reply would be.",
               _TEXT, "dialogue dialogues dialog conversation conversations conversational turn turns speaker "
                      "speakers reply replies chat utterance utterances interlocutor",
               roles=("dialog", "context", "answer"),
               strong=("dialogue*", "dialog", "dialogs", "conversation*", "multi-turn", "next reply", "chat*"),
               weak=("turn*", "speaker*", "reply", "replies", "utterance*", "respon*")),
    Capability("relation-extraction", "Relations between entities",
               "Identify how the people or things mentioned in a text are related to each other.",
               _TEXT, "relation relations relationship relationships entity entities extract extraction between "
                      "family friend colleague", roles=("context", "question", "answer"),
               strong=("relation extraction", "relationship*", "relations between", "how they are related",
                       "related to each other"),
               weak=("relation*", "entit*", "extract*", "family", "friend*")),
    Capability("world-knowledge", "World knowledge",
               "Answer factual questions across school and professional subjects such as history, science, "
               "law, medicine, economics and mathematics.",
               _TEXT, "knowledge fact facts factual subject subjects exam exams school history science law medicine "
                      "economics mathematics trivia expert professional academic mmlu",
               strong=("trivia", "general knowledge", "world knowledge", "exam", "exams", "factual*", "mmlu",
                       "school subject*", "astronomy", "quiz*", "encyclopedic", "history question*",
                       "knowledge question*"),
               weak=("knowledge", "fact", "facts", "subject*", "science", "law", "medicine", "economics",
                     "geography", "history", "academic", "expert", "professional")),
    Capability("sentiment-analysis", "Sentiment and opinion",
               "Tell the sentiment, opinion or emotion a text expresses: positive or negative, the stance of "
               "its author, the feeling of a review or post.",
               _TEXT, "sentiment sentiments opinion opinions polarity positive negative review reviews emotion "
                      "emotions attitude stance tweets posts feeling tone mood",
               answer_type="label",
               strong=("sentiment*", "opinion*", "polarity", "positive or negative", "emotion*", "stance",
                       "positivity", "negativity",
                       "sarcas*", "how the author feels", "how the writer feels"),
               weak=("review*", "tweet*", "post", "posts", "feeling*", "attitude*", "tone", "mood", "positive",
                     "negative", "classif*")),
    Capability("lexical-semantics", "Word meanings and analogies",
               "Reason about the meanings of words: analogies between word pairs, synonyms and antonyms, "
               "word senses and the relations between words.",
               _TEXT, "word words analogy analogies synonym synonyms antonym antonyms meaning meanings lexical "
                      "vocabulary semantic sense relation pair pairs",
               strong=("analogy", "analogies", "analogical", "synonym*", "antonym*", "word meaning*",
                       "meaning of words", "meanings of words", "lexical semantic*", "hypernym*", "hyponym*",
                       "word sense*", "vocabular*", "odd one out",
                       r"re:\b[a-z]+ is to [a-z]+ as\b"),
               weak=("word", "words", "lexical", "meaning*", "semantic*", "pair*")),
    Capability("math-word-problems", "Mathematics word problems",
               "Solve arithmetic and mathematics problems stated in words, working out the numeric answer.",
               _TEXT, "math mathematics arithmetic word problem problems calculation calculate algebra number "
                      "numbers solve equation grade school",
               strong=("math", "maths", "mathemat*", "arithmetic*", "word problem*", "algebra*", "calculat*",
                       "equation*", "grade-school", "gsm8k", "numeric*"),
               weak=("number*", "problem*", "sum", "solve*", "compute*")),
    Capability("translation", "Translation between languages",
               "Translate a sentence from one language into another, or pick the faithful translation.",
               _TEXT, "translate translation translations bilingual multilingual language languages source target "
                      "english french german spanish",
               strong=("translat*", "bilingual", "machine translation", "into english", "from english"),
               weak=("multilingual", "language*", "cross-lingual")),
    Capability("summarisation", "Summarisation",
               "Condense a text into a short, faithful summary of its main points, or pick the summary that "
               "fits it.",
               _TEXT, "summary summaries summarise summarize summarisation condense abstract headline gist main "
                      "points", roles=("context", "answer"),
               strong=("summar*", "tl;dr", "tldr", "headline generation", "main points", "gist"),
               weak=("condens*", "abstract*", "headline*", "short version")),
    # --- image -------------------------------------------------------------------------------
    Capability("artwork-knowledge", "Artwork recognition and art-historical knowledge",
               "Recognise an artwork, its artist, period or style from the image and reason about the art "
               "history, biography and historical context behind it.",
               _IMAGE, "art artwork artworks painting paintings painter artist artists style stylistic period "
                       "museum art-historical history historical biography biographical culture cultural patrons",
               roles=("image", "question", "answer"),
               strong=("artist*", "painter*", "art history", "art-histor*", "who painted", "art movement*",
                       "stylistic*", "biograph*", "patron*", "art historical"),
               weak=("art", "artwork*", "painting*", "museum*", "style*", "period*", "histor*", "cultur*")),
    Capability("visual-recognition", "Visual recognition",
               "Identify what an image shows: the object, brand, species, garment, icon or category it belongs "
               "to.",
               _IMAGE, "recognize recognise recognition identify identification classify classification category "
                       "categories object objects brand brands species car cars clothing garment fashion animal "
                       "icon icons logo logos product scene landmark",
               roles=("image", "answer"), answer_type="label",
               strong=("object", "objects", "brand*", "species", "car", "cars", "clothing", "garment*", "fashion",
                       "animal*",
                       "logo*", "icon*", "landmark*", "plant", "plants", "food", "dish",
                       "dishes", "bird", "dog", "dogs",
                       "cat", "cats", "vehicle*", "scene recognition", "kind of", "what kind", "which kind",
                       "accessor*", "breed*", "flower*", "insect*"),
               weak=("recogni*", "identif*", "classif*", "categor*", "label*", "scene*", "product", "products")),
    Capability("handwriting-recognition", "Handwriting, character and digit recognition",
               "Read handwritten or printed characters, letters and digits from small images.",
               _IMAGE, "handwritten handwriting digit digits character characters letter letters numeral numerals "
                       "mnist written script glyph", roles=("image", "answer"), answer_type="label",
               strong=("handwrit*", "hand-written", "written by hand", "digit*", "mnist", "character recognition",
                       "numeral*", "glyph*",
                       "calligraph*", "letters of the alphabet", "handwritten character*", "captcha*"),
               weak=("character*", "letter*", "written", "recogni*", "script*")),
    Capability("visual-geography", "Flags and geographic symbols",
               "Recognise countries and regions from their flags, maps and symbols.",
               _IMAGE, "flag flags country countries nation nations national geography geographic map maps region "
                       "regions symbol symbols", roles=("image", "answer"), answer_type="label",
               strong=("flags", "a flag", "the flag", "its flag", "this flag", "national flag", "flag of",
                       "their flag", "coat of arms", "coats of arms", "map", "maps"),
               weak=("country", "countries", "nation*", "geograph*", "region*", "symbol*")),
    Capability("diagram-reasoning", "Science and mathematics diagrams",
               "Read a diagram, figure or illustrated problem and reason with it to solve a science or "
               "mathematics question.",
               _IMAGE, "diagram diagrams figure figures illustration chemistry physics biology math "
                       "mathematics mathematical equation problem problems word science scientific geometry",
               roles=("image", "question", "options", "answer"),
               strong=("diagram*", "geometry", "illustrated problem*", "chemistry", "physics", "math", "maths",
                       "mathemat*", "science figure*", "scientific figure*"),
               weak=("figure*", "illustrat*", "biology", "science*", "problem*", "equation*", "word problem*")),
    Capability("chart-table-reading", "Charts, tables and plots",
               "Read values, comparisons and trends off a chart, plot or table and answer a question about "
               "the data it shows.",
               _IMAGE, "chart charts graph graphs plot plots bar line pie table tables infographic axis values data "
                       "visualization trend trends", roles=("image", "question", "answer"),
               strong=("chart*", "table", "tables", "tabular", "infographic*", "spreadsheet*", "bar graph*",
                       "line graph*", "data visuali*", "plots", "graphs", "axis", "axes"),
               weak=("value*", "data", "read*", "number*", "trend*", "graph", "plot")),
    Capability("medical-imaging", "Medical image diagnosis",
               "Read a medical image such as a CT scan and answer a diagnostic question about it.",
               _IMAGE, "medical medicine ct scan scans nodule nodules diagnosis diagnostic radiology lung clinical "
                       "patient malignant tumour tumor x-ray mri", roles=("image", "question", "answer"),
               strong=("medical", "ct", "ct scan*", "x-ray*", "mri", "radiolog*", "nodule*", "tumour*", "tumor*",
                       "lesion*", "diagnos*", "clinical", "patient*", "malignan*", "patholog*", "dermatolog*"),
               weak=("scan*", "lung*", "health*", "medicine")),
    Capability("document-image-reading", "Reading text in images",
               "Read a printed passage, such as a scanned page or a screenshot, and answer a question about what "
               "it says.",
               _IMAGE, "document documents scanned scan page pages screenshot screenshots ocr printed text-rich "
                       "read reading written passage passages", roles=("context", "question", "answer"),
               render_from_text=True,
               strong=("scanned", "screenshot*", "ocr", "printed text", "text in images", "text in an image",
                       "text in the image", "receipt*", "invoice*", "document image*", "page", "pages",
                       "read the text", "reading text", "text-rich", "street sign*",
                       # "read short scenarios ... shown as occluded images": text read from images
                       r"re:\bread(?:s|ing)?\b[^.;?]{0,80}?\b(?:shown|printed|rendered|given|presented|displayed)"
                       r"\s+(?:as|in|on)\s+(?:an?\s+|the\s+)?(?:[a-z-]+\s+){0,2}(?:images?|pictures?|photos?|scans?)\b"),
               weak=("document*", "read", "reading", "reads", "written", "passage*", "printed", "news")),
    Capability("counting", "Counting objects",
               "Count how many objects or people of a kind an image shows.",
               _IMAGE, "count counting how many number of objects items people instances tally",
               roles=("image", "question", "answer"),
               strong=("count", "counts", "counting", "how many", "number of objects", "number of people",
                       "tally"),
               weak=("number*", "objects", "instances")),
    Capability("visual-question-answering", "Visual question answering",
               "Answer a question about what an image shows: its content, scene, objects and their details.",
               _IMAGE, "visual question questions answering scene scenes describe description content details "
                       "vqa", roles=("image", "question", "answer"),
               strong=("vqa", "visual question*", *_ABOUT_IMAGES),
               weak=("scene*", "content", "detail*", "question*", "describe*", "visual")),
    # --- image and audio ---------------------------------------------------------------------
    Capability("spoken-visual-question-answering", "Spoken questions about images",
               "Listen to a question asked aloud about an image and answer it from what the image shows.",
               frozenset({"image", "audio"}), "spoken voice listen listening aloud asked speech question questions "
                                              "image images picture pictures photo photos visual",
               roles=("image", "question", "answer"), speech_from_text=True,
               strong=("spoken question*", "asked aloud", "questions aloud", "question aloud",
                       "listen to the question", *_ABOUT_IMAGES),
               weak=("spoken", "voice", "speech", "question*")),
    # --- audio -------------------------------------------------------------------------------
    Capability("spoken-dialogue-understanding", "Spoken conversation understanding",
               "Listen to a conversation between several speakers and answer a question that needs the "
               "dialogue context tracked across turns.",
               _AUDIO, "conversation conversations conversational dialogue dialog turns turn speaker speakers "
                       "spoken speech listen listening multilingual languages language cross-turn context track",
               roles=("dialog", "context", "answer"), speech_from_text=True,
               strong=("conversation*", "dialogue*", "dialog", "dialogs", "multi-turn", "cross-turn",
                       "across turns"),
               weak=("phone call*", "meeting*", "spoken", "speech", "speaker*", "turn*", "listen*", "context",
                     "track*")),
    Capability("speech-recognition", "Speech recognition",
               "Recognise the words spoken in a recording.",
               _AUDIO, "transcribe transcription transcript recognize recognise recognition spoken words word "
                       "speech asr utterance utterances pronunciation recording recordings",
               roles=("audio", "answer"),
               strong=("transcri*", "asr", "speech recognition", "speech-to-text", "speech to text",
                       "what is said", "what was said", "what is spoken", "spoken words", "dictation*",
                       "recognise the words", "recognize the words", "spoken digit*", "voice note*",
                       "spoken letter*", "spoken number*",
                       # "which letter a speaker says", "what word the child pronounces"
                       r"re:\b(?:which|what)\s+(?:letter|word|digit|number|name|syllable)s?\s+(?:a|the|each)\s+"
                       r"(?:speaker|person|voice|child|man|woman|user)\s+(?:says|said|speaks|spoke|pronounces|utters)\b"),
               weak=("spoken", "words", "utterance*", "recording*", "pronunci*", "recogni*")),
    Capability("sound-recognition", "Sounds, music and voices",
               "Identify what a sound is: its source (an animal, an instrument, a machine, an event), the genre "
               "or instrument of a piece of music, or who is speaking and with what emotion.",
               _AUDIO, "sound sounds environmental event animal instrument instruments music genre noise source "
                       "bird song call", roles=("audio", "answer"), answer_type="label",
               strong=("sound event*", "environmental sound*", "instrument*", "music*", "genre*",
                       "animal sound*", "bird song*", "birdsong*", "bird call*", "which sound", "what sound",
                       "sound source*", "speaker identification", "who is speaking", "tone of voice",
                       "makes a sound", "makes the sound", "makes this sound", "make the sound", "making the sound",
                       r"re:\b(?:emotion|mood|tone)s?\b[^.;]{0,30}\b(?:voices?|speech|speakers?|recordings?)\b",
                       r"re:\b(?:voice|speaker|speech)(?:'s)?\s+(?:emotion|mood|tone)s?\b"),
               weak=("sound*", "recogni*", "classif*", "identif*", "emotion*")),
)

BY_KEY = {c.key: c for c in CAPABILITIES}
