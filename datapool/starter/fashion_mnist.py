"""Fashion-MNIST (Zalando Research), the test set as Debian's `dataset-fashion-mnist` ships it
(IDX files under /usr/share/datasets/fashion-mnist). The first 30 test images of each of the ten
classes, in file order, each written as a 28x28 greyscale PNG; the class names are read from the
package's own README."""
from __future__ import annotations

import gzip
import io
import re
import struct
from pathlib import Path

from PIL import Image

from datapool.starter.common import (
    INSTALL_SCRIPT,
    BuildContext,
    SourceMissing,
    card,
    dataset_document,
    debian_version,
    field_spec,
    write_dataset,
)

PACKAGE = "dataset-fashion-mnist"
DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
README = Path("/usr/share/doc/dataset-fashion-mnist/README.md.gz")
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
PER_CLASS = 30
PROMPT = "Which kind of clothing item or accessory is shown in this image?"
LICENSE = "MIT (Expat), Copyright 2017 Zalando SE (Debian package dataset-fashion-mnist)"
FOLDER = "data/datasets/image/Fashion-MNIST-Test-Subset"
SOURCE_JSON = f"{FOLDER}/fashion_mnist_test_subset.json"


def class_names(readme: Path = README) -> list[str]:
    """The ten class names, from the "| Label | Description |" table of the package's README."""
    text = gzip.decompress(readme.read_bytes()).decode("utf-8")
    names = dict((int(label), name.strip()) for label, name in re.findall(r"^\|\s*(\d)\s*\|\s*([^|]+?)\s*\|\s*$",
                                                                         text, re.MULTILINE))
    if sorted(names) != list(range(10)):
        raise SourceMissing(f"{readme} has no table of the ten Fashion-MNIST labels")
    return [names[i] for i in range(10)]


def _idx(path: Path, magic: int) -> tuple[tuple[int, ...], bytes]:
    data = gzip.decompress(path.read_bytes())
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        raise SourceMissing(f"{path} is not an IDX file (magic {found:#x})")
    dims = struct.unpack(f">{magic & 0xFF}I", data[4:4 + 4 * (magic & 0xFF)])
    return dims, data[4 + 4 * len(dims):]


def build(ctx: BuildContext) -> str:
    missing = [p for p in (DATA_DIR / IMAGES, DATA_DIR / LABELS, README) if not p.is_file()]
    if missing:
        raise SourceMissing(f"Fashion-MNIST: the Debian package {PACKAGE} is not installed (no {missing[0]}); "
                            f"run {INSTALL_SCRIPT} or `apt-get install {PACKAGE}`")
    names = class_names()
    (count, rows, cols), pixels = _idx(DATA_DIR / IMAGES, 0x00000803)
    (label_count,), labels = _idx(DATA_DIR / LABELS, 0x00000801)
    if label_count != count:
        raise SourceMissing(f"{IMAGES} has {count} images but {LABELS} {label_count} labels")
    taken = [0] * 10
    records = []
    size = rows * cols
    for index in range(count):
        label = labels[index]
        if taken[label] >= PER_CLASS:
            continue
        taken[label] += 1
        image = Image.frombytes("L", (cols, rows), pixels[index * size:(index + 1) * size])
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        file_name = f"images/test-{index:05d}.png"
        ctx.write_bytes(f"{FOLDER.removeprefix('data/')}/{file_name}", buffer.getvalue())
        records.append({"id": f"fashion-mnist-test-{index:05d}",
                        "input": {"image_file": file_name, "prompt": PROMPT},
                        "output": {"label": names[label], "label_index": label}})
        if sum(taken) == 10 * PER_CLASS:
            break
    source = {"registry": "Debian", "package": PACKAGE, "version": debian_version(PACKAGE),
              "files": [str(DATA_DIR / IMAGES), str(DATA_DIR / LABELS)], "class_names_from": str(README),
              "selection": f"the first {PER_CLASS} test images of each class in file order; ids are "
                           "fashion-mnist-test-<0-based index in the test set>"}
    document = dataset_document(task="Fashion-MNIST test subset", type_="comprehension",
                                modality_in=["image", "text"], records=records, license_=LICENSE, source=source)
    fields = {
        "image": field_spec("input.image_file", modality="image", extent="short", style="objects",
                            semantics="A 28x28 greyscale photo of a single fashion product (clothing, shoe or bag)."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A short instruction asking which kind of clothing item or accessory the "
                                         "image shows; it does not contain the answer."),
        "answer": field_spec("output.label", modality="text", extent="short", style="other",
                             semantics=f"The product class, one of ten labels: {', '.join(names)}."),
        "other_aux": field_spec("output.label_index", modality="text", extent="short", style="other", kind="int",
                                semantics="The numeric class label (0-9) of the original dataset."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="Fashion-MNIST Test Subset", modalities=["image", "text"], size=len(records),
        description=("Small greyscale photos of fashion products from the Fashion-MNIST test set, each to be "
                     "classified into one of ten clothing and accessory classes."),
        card_text=("Fashion-MNIST (Zalando Research, 2017) is an image classification dataset of Zalando article "
                   "photos: 28x28 greyscale images of single fashion products, labelled with one of ten classes "
                   f"({', '.join(names)}). This subset takes the first {PER_CLASS} test images of each class. Each "
                   "sample pairs an image with an instruction asking which kind of clothing item or accessory it "
                   "shows; the answer is the class name. It evaluates visual object recognition and "
                   "classification of clothes, shoes and bags. The images are Copyright 2017 Zalando SE, under the MIT "
                   "licence."),
        tasks=["classification_multiclass", "visual_question_answering", "instruction_following"],
        domain="fashion products, clothing and accessories",
        fields=fields,
        structure=("Each sample has a greyscale product image, an instruction asking for its kind and the class "
                   "name as the answer (with the numeric label beside it)."),
        license_=LICENSE, source=source,
        tags={"task": "Fashion-MNIST", "type": "comprehension", "skill": "Object Recognition", "domain": "Fashion"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
