"""From labelled spans to a structured request: attachment, canonical values, negation, JSON output."""

from __future__ import annotations

import json

import pytest

from tryon.request import Item, build_request, find_negated
from tryon.schema import Entity
from tryon.vocab import Price, Size


def spans(text: str, *labelled: tuple[str, str]) -> list[Entity]:
    """Entities for (label, substring) pairs, found left to right so a repeated word gets its next occurrence."""
    out, cursor = [], 0
    for label, sub in labelled:
        start = text.index(sub, cursor)
        out.append(Entity(label, sub, start, start + len(sub)))
        cursor = start + 1
    return out


def request(text: str, *labelled: tuple[str, str], intent: str = "search"):
    return build_request(text, intent, spans(text, *labelled))


def colours(item: Item) -> list[str]:
    return [c.name for c in item.colours]


# --- the examples from the brief ------------------------------------------------------------------------------


def test_try_on_with_attributes_size_and_style():
    text = "try the red leather jacket on me in M, make it vintage"
    r = request(
        text,
        ("COLOR", "red"),
        ("MATERIAL", "leather"),
        ("GARMENT", "jacket"),
        ("SIZE", "M"),
        ("STYLE", "vintage"),
        intent="try_on",
    )
    assert r.intent == "try_on" and r.style == "vintage"
    [jacket] = r.items
    assert (jacket.garment, jacket.family, jacket.material) == ("jacket", "outerwear", "leather")
    assert colours(jacket) == ["red"] and jacket.size == Size("letter", "M", "clothing")


def test_any_colour_but_orange_under_150():
    text = "any colour but orange, under $150"
    r = request(text, ("COLOR", "orange"), ("PRICE", "under $150"))
    assert r.exclude == {"color": ["orange"]}
    assert r.price == Price(None, 150, "USD")
    assert r.items == []  # orange is ruled out, not asked for


def test_two_garments_each_get_their_own_attributes():
    text = "a white shirt and navy chinos in 32x32"
    r = request(
        text, ("COLOR", "white"), ("GARMENT", "shirt"), ("COLOR", "navy"), ("GARMENT", "chinos"), ("SIZE", "32x32")
    )
    shirt, chinos = r.items
    assert (shirt.garment, colours(shirt), shirt.size) == ("shirt", ["white"], None)
    assert (chinos.garment, colours(chinos)) == ("chinos", ["navy"])
    assert chinos.size == Size("waist", "W32 L32", "clothing", 32, 32)


# --- attachment ----------------------------------------------------------------------------------------------


def test_postmodifiers_attach_to_the_garment_before_them():
    text = "the jacket in red and the jeans in blue"
    jacket, jeans = request(
        text, ("GARMENT", "jacket"), ("COLOR", "red"), ("GARMENT", "jeans"), ("COLOR", "blue")
    ).items
    assert colours(jacket) == ["red"] and colours(jeans) == ["blue"]


def test_a_chain_of_premodifiers_reaches_its_garment():
    text = "a red and white striped slim fit shirt with black jeans"
    shirt, jeans = request(
        text,
        ("COLOR", "red"),
        ("COLOR", "white"),
        ("PATTERN", "striped"),
        ("FIT", "slim"),
        ("GARMENT", "shirt"),
        ("COLOR", "black"),
        ("GARMENT", "jeans"),
    ).items
    assert colours(shirt) == ["red", "white"] and (shirt.pattern, shirt.fit) == ("stripe", "slim")
    assert colours(jeans) == ["black"]


def test_attribute_before_a_later_garment_in_the_same_clause():
    text = "something in green for my jacket and a grey scarf"
    jacket, scarf = request(
        text, ("COLOR", "green"), ("GARMENT", "jacket"), ("COLOR", "grey"), ("GARMENT", "scarf")
    ).items
    assert colours(jacket) == ["green"] and colours(scarf) == ["grey"]


def test_a_lone_garment_takes_attributes_from_other_clauses():
    text = "in size 10, please. The dress"
    [dress] = request(text, ("SIZE", "size 10"), ("GARMENT", "dress")).items
    assert dress.size == Size("numeric", "10", "clothing")  # the garment family says "clothing"


def test_attributes_without_any_garment_form_one_item():
    r = request("something silky in emerald, size S", ("MATERIAL", "silky"), ("COLOR", "emerald"), ("SIZE", "S"))
    [item] = r.items
    assert item.garment is None and colours(item) == ["emerald"]
    assert (item.material, item.size.value) == ("silk", "S")


def test_garment_less_attributes_between_clauses_go_to_their_own_item():
    text = "a shirt, a skirt; and, separately, anything in teal"
    r = request(text, ("GARMENT", "shirt"), ("GARMENT", "skirt"), ("COLOR", "teal"))
    assert [i.garment for i in r.items] == ["shirt", "skirt"]
    assert colours(r.items[1]) == ["teal"]  # the nearest garment before it


def test_words_inside_a_garment_span_become_attributes():
    [jacket] = request("that red leather jacket", ("GARMENT", "red leather jacket")).items
    assert (jacket.garment, colours(jacket), jacket.material) == ("jacket", ["red"], "leather")


def test_shoe_sizes_read_with_the_garment_family():
    [sneakers] = request("Nike trainers in a 9", ("BRAND", "Nike"), ("GARMENT", "trainers"), ("SIZE", "9")).items
    assert (sneakers.garment, sneakers.family, sneakers.brand) == ("sneakers", "shoes", "Nike")
    assert sneakers.size == Size("numeric", "9", "shoe")


# --- canonical values, unknowns, repeats ----------------------------------------------------------------------


def test_unknown_values_are_kept_as_typed():
    r = request(
        "a sunset-coloured hovercraft in size huge",
        ("COLOR", "sunset"),
        ("GARMENT", "hovercraft"),
        ("SIZE", "size huge"),
    )
    [item] = r.items
    assert item.garment is None and item.unrecognised == {
        "garment": ["hovercraft"],
        "color": ["sunset"],
        "size": ["size huge"],
    }


def test_multi_colour_span_is_split():
    [dress] = request("a navy and white dress", ("COLOR", "navy and white"), ("GARMENT", "dress")).items
    assert colours(dress) == ["navy", "white"]


def test_second_value_for_a_single_slot_is_kept_in_also():
    [shirt] = request(
        "a cotton or linen shirt", ("MATERIAL", "cotton"), ("MATERIAL", "linen"), ("GARMENT", "shirt")
    ).items
    assert shirt.material == "cotton" and shirt.also == {"material": ["linen"]}


def test_global_slots():
    text = "boho outfit for a festival, around 80 quid"
    r = request(text, ("STYLE", "boho"), ("OCCASION", "festival"), ("PRICE", "around 80 quid"), intent="recommend")
    assert (r.style, r.occasion, r.price) == ("boho", "festival", Price(64, 96, "GBP"))


def test_price_direction_borrowed_from_before_the_span():
    r = request("a coat for under $200", ("GARMENT", "coat"), ("PRICE", "$200"))
    assert r.price == Price(None, 200, "USD")


@pytest.mark.parametrize(("text", "span", "price"), [
    ("a dress under 0", "under", Price(None, 0, None)),  # the tagger left the number out
    ("boots under $80 please", "under", Price(None, 80, "USD")),
    ("jackets at least 50k", "at least", Price(50000, None, None)),
])
def test_price_amount_borrowed_from_after_a_bound_alone(text, span, price):
    assert request(text, ("PRICE", span)).price == price


def test_a_bound_alone_never_borrows_another_spans_number():
    r = request("jeans under 32 waist", ("GARMENT", "jeans"), ("PRICE", "under"), ("SIZE", "32"))
    assert r.price is None and r.unrecognised == {"price": ["under"]} and r.items[0].size.value == "32"


def test_price_without_amount_is_unrecognised():
    r = request("a cheap dress", ("PRICE", "cheap"), ("GARMENT", "dress"))
    assert r.price is None and r.unrecognised == {"price": ["cheap"]}


def test_style_synonyms_are_canonical():
    assert request("make it more 70s", ("STYLE", "70s"), intent="restyle").style == "vintage"


def test_to_dict_is_plain_json():
    text = "a navy wool coat in L under 300 euros for work, make it minimal"
    r = request(
        text,
        ("COLOR", "navy"),
        ("MATERIAL", "wool"),
        ("GARMENT", "coat"),
        ("SIZE", "L"),
        ("PRICE", "under 300 euros"),
        ("OCCASION", "work"),
        ("STYLE", "minimal"),
    )
    out = json.loads(json.dumps(r.to_dict()))
    assert out["items"][0]["colours"] == [{"name": "navy", "rgb": [0, 0, 128]}]
    assert out["items"][0]["size"]["value"] == "L"
    assert out["price"] == {"min": None, "max": 300, "currency": "EUR"}
    assert (out["style"], out["occasion"], out["intent"]) == ("minimalist", "work", "search")


def test_bad_intent_or_label_is_refused():
    with pytest.raises(ValueError, match="intent"):
        build_request("hi", "dance", [])
    with pytest.raises(ValueError, match="slot"):
        build_request("red", "search", [Entity("COLOUR", "red", 0, 3)])


# --- negation ------------------------------------------------------------------------------------------------


def negated(text: str, *labelled: tuple[str, str]) -> list[str]:
    return [e.text for e in find_negated(text, spans(text, *labelled)) if e.negated]


@pytest.mark.parametrize(
    "text",
    [
        "not red",
        "no red please",
        "a non-red top",
        "without red",
        "anything but red",
        "any colour but red",
        "any color except red",
        "everything except red",
        "other than red",
        "I don't want red",
        "I dont want red",
        "I don’t want red",
        "it shouldn't be red",
        "avoid red",
        "instead of red",
        "nothing red",
    ],
)
def test_negation_cues(text):
    assert negated(text, ("COLOR", "red")) == ["red"]


@pytest.mark.parametrize(
    ("text", "labelled", "expected"),
    [
        ("not red but blue", [("COLOR", "red"), ("COLOR", "blue")], ["red"]),
        (
            "no leather, and a blue shirt",
            [("MATERIAL", "leather"), ("COLOR", "blue"), ("GARMENT", "shirt")],
            ["leather"],
        ),
        (
            "anything but orange, brown or yellow",
            [("COLOR", "orange"), ("COLOR", "brown"), ("COLOR", "yellow")],
            ["orange", "brown", "yellow"],
        ),
        (
            "no polyester and a red dress",
            [("MATERIAL", "polyester"), ("COLOR", "red"), ("GARMENT", "dress")],
            ["polyester"],
        ),
        ("no jackets or coats", [("GARMENT", "jackets"), ("GARMENT", "coats")], ["jackets", "coats"]),
        ("not a red jacket", [("COLOR", "red"), ("GARMENT", "jacket")], ["red"]),
        ("no dresses in red", [("GARMENT", "dresses"), ("COLOR", "red")], ["dresses"]),
        ("a top with no sleeves in red", [("GARMENT", "top"), ("SLEEVE", "no sleeves"), ("COLOR", "red")], []),
        ("nothing but black", [("COLOR", "black")], []),
        ("no more than $50 in red", [("PRICE", "more than $50"), ("COLOR", "red")], []),
        ("not over $80", [("PRICE", "$80")], []),
        ("I don't think the shop has ever had a red one", [("COLOR", "red")], []),
        ("a red dress, not too tight", [("COLOR", "red"), ("GARMENT", "dress"), ("FIT", "tight")], ["tight"]),
    ],
)
def test_negation_scope(text, labelled, expected):
    assert negated(text, *labelled) == expected


def test_find_negated_returns_new_entities_in_the_same_order():
    text = "red, not blue"
    given = [Entity("COLOR", "blue", 9, 13), Entity("COLOR", "red", 0, 3)]
    out = find_negated(text, given)
    assert [e.text for e in out] == ["blue", "red"] and [e.negated for e in out] == [True, False]
    assert not any(e.negated for e in given)


def test_negated_garments_and_attributes_go_to_exclude():
    text = "no dresses, a skirt that isn't polyester, without sequins"
    r = request(text, ("GARMENT", "dresses"), ("GARMENT", "skirt"), ("MATERIAL", "polyester"), ("MATERIAL", "sequins"))
    assert [i.garment for i in r.items] == ["skirt"] and r.items[0].material is None
    assert r.exclude == {"garment": ["dress"], "material": ["polyester", "sequins"]}


def test_flags_set_by_the_parser_are_kept_and_rules_can_be_off():
    text = "a blue coat"
    given = [Entity("COLOR", "blue", 2, 6, negated=True), Entity("GARMENT", "coat", 7, 11)]
    assert build_request(text, "search", given).exclude == {"color": ["blue"]}
    plain = spans("no blue coat", ("COLOR", "blue"), ("GARMENT", "coat"))
    assert build_request("no blue coat", "search", plain, detect_negation=False).exclude == {}
