"""Handwritten digits (UCI "Optical Recognition of Handwritten Digits", E. Alpaydin and C. Kaynak),
the 1,797-image copy scikit-learn ships in sklearn/datasets/data/digits.csv.gz, read straight out
of the scikit-learn wheel (never installed by this builder). The first 30 images of each digit in
file order, each written as a PNG.

Each image is 8x8 cells of 0..16: the count of ink pixels in a 4x4 block of the 32x32 scanned
bitmap. A PNG shows it as 32x32 greyscale, every cell a 4x4 block of one grey (ink dark on white,
255 - 255 * count / 16 rounded), so the picture keeps the blocks the scan was counted in and adds
nothing to them."""
from __future__ import annotations

import gzip
import io

from PIL import Image

from datapool.starter.common import (
    BuildContext,
    PinnedWheel,
    SourceMissing,
    card,
    dataset_document,
    field_spec,
    wheel_member,
    write_dataset,
)

WHEEL = PinnedWheel(package="scikit-learn", version="1.9.1",
                    filename="scikit_learn-1.9.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
                    sha256="52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df", platform=True)
DATA_FILE = "sklearn/datasets/data/digits.csv.gz"
DATA_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
PER_CLASS = 30
CELLS, BLOCK = 8, 4  # 8x8 cells, each a 4x4 block of the scanned 32x32 bitmap
PROMPT = "Which digit (0 to 9) is handwritten in this image?"
LICENSE = ("CC BY 4.0 (UCI Machine Learning Repository, Optical Recognition of Handwritten Digits, E. Alpaydin and "
           "C. Kaynak, 1998), as shipped in the BSD-3-Clause PyPI package scikit-learn 1.9.1")
FOLDER = "data/datasets/image/UCI-Handwritten-Digits"
SOURCE_JSON = f"{FOLDER}/uci_handwritten_digits.json"


def rows(data: bytes) -> list[tuple[list[int], int]]:
    """(64 cell counts, digit) per line of digits.csv.gz."""
    out = []
    for number, line in enumerate(gzip.decompress(data).decode("ascii").splitlines()):
        values = [int(v) for v in line.split(",")]
        if len(values) != CELLS * CELLS + 1 or not 0 <= values[-1] <= 9:
            raise SourceMissing(f"{DATA_FILE} line {number + 1} is not 64 cells and a digit")
        out.append((values[:-1], values[-1]))
    return out


def png(cells: list[int]) -> bytes:
    """The 8x8 cells as a 32x32 greyscale PNG, ink dark on white, each cell a 4x4 block."""
    image = Image.new("L", (CELLS * BLOCK, CELLS * BLOCK))
    image.putdata([255 - round(255 * cells[(y // BLOCK) * CELLS + x // BLOCK] / 16)
                   for y in range(CELLS * BLOCK) for x in range(CELLS * BLOCK)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build(ctx: BuildContext) -> str:
    data, where = wheel_member(ctx.src_dir, WHEEL, DATA_FILE, DATA_SHA256, label="Handwritten digits")
    taken = [0] * 10
    records = []
    for index, (cells, digit) in enumerate(rows(data)):
        if taken[digit] >= PER_CLASS:
            continue
        taken[digit] += 1
        file_name = f"images/digit-{index:04d}.png"
        ctx.write_bytes(f"{FOLDER.removeprefix('data/')}/{file_name}", png(cells))
        records.append({"id": f"digits-{index:04d}", "input": {"image_file": file_name, "prompt": PROMPT},
                        "output": {"digit": str(digit)}})
        if sum(taken) == 10 * PER_CLASS:
            break
    source = {"registry": "PyPI", "package": WHEEL.package, "version": WHEEL.version, "data_file": DATA_FILE, **where,
              "selection": f"the first {PER_CLASS} images of each digit in file order; ids are digits-<0-based line "
                           "number in digits.csv.gz>"}
    document = dataset_document(task="Handwritten digit recognition", type_="comprehension",
                                modality_in=["image", "text"], records=records, license_=LICENSE, source=source)
    fields = {
        "image": field_spec("input.image_file", modality="image", extent="short", style="handwriting",
                            semantics="A small greyscale scan of one handwritten digit: 8x8 cells shown as a 32x32 "
                                      "pixel image, dark ink on white."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A short question asking which digit is handwritten in the image; it does "
                                         "not contain the answer."),
        "answer": field_spec("output.digit", modality="text", extent="short", style="other",
                             semantics="The handwritten digit, one of 0 to 9."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="UCI Handwritten Digits", modalities=["image", "text"], size=len(records),
        description=("Small scanned images of handwritten digits (8x8 cells, shown as 32x32 greyscale pictures) "
                     "from the UCI Optical Recognition of Handwritten Digits data; each is to be recognised as the "
                     "digit 0 to 9 it shows."),
        card_text=("Handwritten digits written by 43 people on preprinted forms and scanned (NIST preprocessing, "
                   "E. Alpaydin and C. Kaynak, 1998): each 32x32 bitmap is reduced to 8x8 cells counting the ink "
                   "pixels of each 4x4 block. This is the copy of the UCI test set that scikit-learn ships "
                   f"(1,797 images); this subset keeps the first {PER_CLASS} of each digit. Each sample shows one "
                   "low-resolution handwritten digit with the question which digit it is; the answer is the digit. "
                   "It evaluates optical character recognition of handwriting: visual recognition of tiny, "
                   "blocky handwritten numerals. The data is read from the scikit-learn wheel (BSD-3-Clause); the "
                   "UCI repository distributes the dataset under CC BY 4.0."),
        tasks=["classification_multiclass", "visual_question_answering", "optical_character_recognition"],
        domain="handwriting: handwritten digits, optical character recognition",
        fields=fields,
        structure="Each sample has a small handwritten digit image, a question asking which digit it is, and the digit.",
        license_=LICENSE, source=source,
        tags={"task": "Handwritten Digits", "type": "comprehension", "skill": "Handwriting Recognition",
              "domain": "Handwriting"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
