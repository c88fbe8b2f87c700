"""The words choose the try-on garment: type first, then colour and details, then closeness; the choice is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from tryon import Ask, GarmentChoiceError, Wearable, ask_from, build_request, choose_garment, read_wearables
from tryon.request import vocabulary_checked
from tryon.schema import Entity

DEMO = Path(__file__).resolve().parents[1] / "ui" / "demo_catalog"
HERE = Path(".")
CATALOG = [
    Wearable("jeans", "Pink high-waisted slim jeans", "lower", HERE, "jeans", "pink"),
    Wearable("polo", "Red pique polo shirt", "upper", HERE, "polo shirt", "red"),
    Wearable("tee", "Grey cotton T-shirt", "upper", HERE, "t-shirt", "grey"),
    Wearable("tee2", "Black logo T-shirt", "upper", HERE, "t-shirt", "black", "logo"),
    Wearable("dress", "Orange floral sundress", "dress", HERE, "dress", "orange", "floral"),
]


def ask(text: str, *labelled: tuple[str, str]) -> Ask:
    """The Ask for labelled spans of ``text`` (the parser's job, done by hand so the rules are tested alone)."""
    entities, cursor = [], 0
    for label, sub in labelled:
        start = text.index(sub, cursor)
        entities.append(Entity(label, sub, start, start + len(sub)))
        cursor = start + 1
    return ask_from(build_request(text, "try_on", entities))


def test_type_beats_colour_and_similar_words():
    # The old rule (title similarity alone) chose the pink jeans for this; a t-shirt comes first, then recoloured.
    choice = choose_garment(ask("try the red t-shirt on me", ("COLOR", "red"), ("GARMENT", "t-shirt")), CATALOG,
                            lambda words, titles: [1.0 if "jeans" in t else 0.0 for t in titles])
    assert choice.garment.garment == "t-shirt" and choice.recolour
    assert "drawn in red" in choice.message


def test_colour_then_details_then_similarity():
    black = ask("a black t-shirt", ("COLOR", "black"), ("GARMENT", "t-shirt"))
    assert choose_garment(black, CATALOG).garment.id == "tee2"
    picked = choose_garment(ask("the logo tee", ("PATTERN", "logo"), ("GARMENT", "tee")), CATALOG)
    assert picked.garment.id == "tee2" and picked.message is None and not picked.recolour
    by_words = choose_garment(ask("the t-shirt", ("GARMENT", "t-shirt")), CATALOG,
                              lambda words, titles: [1.0 if "Black" in t else 0.0 for t in titles])
    assert by_words.garment.id == "tee2"


def test_missing_type_offers_the_nearest_of_its_family():
    choice = choose_garment(ask("the blouse please", ("GARMENT", "blouse")), CATALOG[:2])
    assert choice.garment.id == "polo"
    assert choice.message == "no blouse here; closest: the Red pique polo shirt"
    skirt = choose_garment(ask("a skirt", ("GARMENT", "skirt")), CATALOG)
    assert skirt.garment.id == "jeans" and skirt.message.startswith("no skirt here")


@pytest.mark.parametrize("words, labelled, says", [
    ("blorp zzz qwerty", [("GARMENT", "qwerty")], "no garment named in .blorp"),
    ("try these sneakers on me", [("GARMENT", "sneakers")], "sneakers is shoes"),
    ("put it on me", [], "no garment named in .put it on me"),
])
def test_refusals_say_why(words, labelled, says):
    with pytest.raises(GarmentChoiceError, match=says):
        choose_garment(ask(words, *labelled), CATALOG)


def test_a_family_the_catalog_lacks_is_refused_with_what_there_is():
    with pytest.raises(GarmentChoiceError, match="there are: polo shirt, t-shirt"):
        choose_garment(ask("a dress", ("GARMENT", "dress")), CATALOG[1:4])


def test_vocabulary_corrects_a_confused_word_slot():
    text = "show me the velvet wrap top, boho"
    boho = Entity("COLOR", "boho", text.index("boho"), len(text))
    assert vocabulary_checked([boho])[0].label == "STYLE"
    navy = Entity("STYLE", "navy", 0, 4)
    assert vocabulary_checked([navy])[0].label == "COLOR"
    unknown = Entity("COLOR", "blorp", 0, 5)  # known nowhere: left as the model said
    assert vocabulary_checked([unknown])[0].label == "COLOR"


def test_demo_listing_reads_types_and_colours():
    garments = read_wearables(DEMO)
    assert len(garments) >= 6 and all(g.garment and g.colour for g in garments)
    assert {g.category for g in garments} == {"upper", "lower", "dress"}


@pytest.mark.parametrize("listing, says", [
    ("{not json", "not a list of garments"),
    ('[{"id": "x"}]', "not a list of garments"),
    ('[{"id": "x", "title": "Red tee", "category": "upper", "image": "../../outside.jpg"}]', "no photo in the catalog"),
])
def test_a_bad_listing_is_refused_with_its_path(tmp_path, listing, says):
    folder = tmp_path / "shop"
    (folder / "tryon").mkdir(parents=True)
    (folder / "tryon" / "garments.json").write_text(listing)
    (tmp_path / "outside.jpg").write_bytes((DEMO / "tryon" / "garments" / "09236_00.jpg").read_bytes())
    with pytest.raises(ValueError, match=says):
        read_wearables(folder)
