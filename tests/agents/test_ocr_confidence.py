"""OCR through pytesseract with word confidences: a rendered page whose key stands in its text must
let the key be read, word by word, with confidence; a page degraded until the key is a guess is
refused with the words and their confidences."""
from __future__ import annotations

from PIL import Image, ImageDraw

from agents.executor.verify import KEY_MIN_CONFIDENCE, _render_round_trip
from agents.tools.image import ocr, ocr_words, tesseract_version
from agents.tools.media import LocalTools
from agents.types import MediaRef, SampleDraft
from tests.agents.test_offline_engine import NullLedger

TEXT = "Tom stayed home on Monday because a virus was spreading through his class."


def _draft(tools: LocalTools, page: MediaRef, shown: MediaRef, answer: str) -> SampleDraft:
    return SampleDraft(item_key="s/d/r1", subtask_key="s", grounding_id=1, record_id=1, source_id="r1",
                       question="Why did Tom stay home?", options=[answer, "he was on holiday"], answer=answer,
                       answer_index=0, media=[shown], rendered_text=TEXT, rendered_page=page)


def _covered(tools: LocalTools, page: MediaRef, word: str) -> MediaRef:
    """The page with one word's letters scribbled over: the rest stays legible."""
    image = Image.open(page.abs_path).convert("RGB")
    draw = ImageDraw.Draw(image)
    for box in [b for b in _word_boxes(page.abs_path) if b[0] == word]:
        _, left, top, width, height = box
        for x in range(left, left + width, 3):
            draw.line((x, top, x + 6, top + height), fill=(0, 0, 0), width=2)
    path = tools.media_root / "covered.png"
    image.save(path)
    return MediaRef(path="generated", file="covered.png", abs_path=str(path), kind="image", sha256="covered")


def _word_boxes(path: str) -> list[tuple[str, int, int, int, int]]:
    import pytesseract

    data = pytesseract.image_to_data(path, config="--psm 6", output_type=pytesseract.Output.DICT)
    return [(t, data["left"][i], data["top"][i], data["width"][i], data["height"][i])
            for i, t in enumerate(data["text"]) if t.strip()]


def test_ocr_reads_words_with_their_confidences_through_pytesseract(tmp_path):
    tools = LocalTools(media_root=tmp_path)
    page = tools.render_text(TEXT)
    words = ocr_words(page.abs_path)
    assert " ".join(w for w, _, _ in words) == TEXT
    assert all(confidence >= 85 for _, confidence, _ in words)
    assert ocr(page.abs_path) == TEXT.replace(" his class", "\nhis class")  # the page wraps there
    assert tesseract_version().startswith("tesseract 5.") and tesseract_version().endswith("(pytesseract)")


def test_a_key_read_with_confidence_passes_and_one_scribbled_over_is_refused(tmp_path):
    tools = LocalTools(media_root=tmp_path)
    page = tools.render_text(TEXT)
    checks = _render_round_trip(_draft(tools, page, page, "a virus was spreading"), tools, NullLedger())
    assert [(c.name, c.ok) for c in checks] == [("render_round_trip", True), ("key_legible", True)]

    covered = _covered(tools, page, "virus")
    checks = _render_round_trip(_draft(tools, page, covered, "a virus was spreading"), tools, NullLedger())
    legible = {c.name: c for c in checks}
    assert legible["render_round_trip"].ok and legible["degraded_legible"].ok  # the page as a whole reads
    assert not legible["key_legible"].ok
    assert legible["key_legible"].detail.startswith("the key's words cannot be read on the page as shown: 'virus' ")
    assert f"(at least {KEY_MIN_CONFIDENCE:.0f}% needed)" in legible["key_legible"].detail


def test_a_key_the_page_does_not_spell_out_is_not_read_for(tmp_path):
    tools = LocalTools(media_root=tmp_path)
    page = tools.render_text(TEXT)
    checks = _render_round_trip(_draft(tools, page, page, "he was ill"), tools, NullLedger())
    assert [c.name for c in checks] == ["render_round_trip"]
