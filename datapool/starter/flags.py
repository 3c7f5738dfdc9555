"""World flags from Debian's `kgeography-data` (KDE's KGeography, GPL-2+): every country of the
package's world map (/usr/share/kgeography/world.kgm) with its flag (a PNG the package ships) and
its capital. The question asks which country's flag the image shows; the country is the answer."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

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

PACKAGE = "kgeography-data"
DATA_DIR = Path("/usr/share/kgeography")
MAP_FILE = "world.kgm"
PROMPT = "Which country's flag is this?"
LICENSE = "GPL-2+ (GNU GPL version 2 or later; KDE's KGeography, Debian package kgeography-data)"
FOLDER = "data/datasets/image/World-Flags"
SOURCE_JSON = f"{FOLDER}/world_flags.json"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def countries(map_path: Path | None = None) -> list[tuple[str, str, str]]:
    """(country, capital, flag file name) of every division of the map that is not ignored, sorted by country."""
    root = ET.parse(map_path or DATA_DIR / MAP_FILE).getroot()
    rows = []
    for division in root.findall("division"):
        if (division.findtext("ignore") or "").strip() == "yes":
            continue
        name, flag = (division.findtext("name") or "").strip(), (division.findtext("flag") or "").strip()
        if name and flag:
            rows.append((name, (division.findtext("capital") or "").strip(), flag))
    return sorted(rows)


def build(ctx: BuildContext) -> str:
    map_path = DATA_DIR / MAP_FILE
    if not map_path.is_file() or not (DATA_DIR / "flags").is_dir():
        raise SourceMissing(f"World flags: the Debian package {PACKAGE} is not installed (no {map_path}); "
                            f"run {INSTALL_SCRIPT} or `apt-get install {PACKAGE}`")
    records = []
    for name, capital, flag in countries(map_path):
        source = DATA_DIR / "flags" / flag
        if not source.is_file() or source.suffix.lower() != ".png":
            continue  # every world-map flag of the package is a PNG today; an absent one is left out, not made up
        file_name = f"images/{_slug(name)}.png"
        ctx.copy_file(source, f"{FOLDER.removeprefix('data/')}/{file_name}")
        records.append({"id": f"flag-{_slug(name)}", "input": {"image_file": file_name, "prompt": PROMPT},
                        "output": {"country": name, "capital": capital}})
    source_info = {"registry": "Debian", "package": PACKAGE, "version": debian_version(PACKAGE),
                   "files": [str(map_path), str(DATA_DIR / "flags") + "/*.png"],
                   "selection": "every country of the world map with a flag, sorted by name; ids are flag-<country>"}
    document = dataset_document(task="World flag recognition", type_="comprehension", modality_in=["image", "text"],
                                records=records, license_=LICENSE, source=source_info)
    fields = {
        "image": field_spec("input.image_file", modality="image", extent="short", style="objects",
                            semantics="A picture of a national flag (300x200 pixels)."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A short question asking which country the flag belongs to; it does not "
                                         "name the country."),
        "answer": field_spec("output.country", modality="text", extent="short", style="other",
                             semantics="The name of the country whose flag the image shows."),
        "other_aux": field_spec("output.capital", modality="text", extent="short", style="other",
                                semantics="The capital city of that country."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="World Flags", modalities=["image", "text"], size=len(records),
        description=("National flags of the countries of the world; each flag image is to be matched to the "
                     "country it belongs to."),
        card_text=("Flags of the world's countries from KGeography, KDE's geography learning game: for each "
                   "country of its world map, a picture of the national flag, the country's name and its capital "
                   "city. Each sample shows one flag with the question which country's flag it is; the answer is "
                   "the country. It evaluates recognition of national flags and symbols, a visual geography "
                   "knowledge task. KGeography distributes the flag pictures and map data under the GNU GPL, "
                   "version 2 or later (the package's copyright file: Copyright 2004-2008 Albert Astals Cid and "
                   "others); its terms apply to any redistribution."),
        tasks=["classification_multiclass", "visual_question_answering", "knowledge_probing"],
        domain="geography: countries, national flags and capitals",
        fields=fields,
        structure=("Each sample has a flag image, a question asking which country it belongs to, the country as "
                   "the answer and the country's capital beside it."),
        license_=LICENSE, source=source_info,
        tags={"task": "World Flags", "type": "comprehension", "skill": "Object Recognition", "domain": "Geography"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
