"""The domain entity layer on the real pipeline: chip models by shape and after a product line,
authorities named by an owner and a noun, companies the gazetteer does not know."""
from __future__ import annotations

from service.engine import Engine


def entities(engine: Engine, text: str) -> dict[str, tuple[str, str]]:
    return {e.text: (e.label_, e.id_) for e in engine.nlp(text).ents}


def test_model_codes_are_products_unless_listed_as_something_else(engine: Engine) -> None:
    found = entities(engine, "Nvidia's H20 and a new XQ450 rival met the G20 and COVID-19 rules; M1 sales fell.")
    assert found["H20"] == ("PRODUCT", "product|H20")
    assert found["XQ450"] == ("PRODUCT", "product|")
    # Not chips by their shape (the statistical model may still call "M1" a product of its own).
    assert all(not found.get(name, ("", ""))[1].startswith("product|") for name in ("G20", "COVID-19", "M1"))


def test_a_product_line_followed_by_a_model_is_one_product(engine: Engine) -> None:
    found = entities(engine, "Qualcomm showed the Snapdragon X3 while Huawei shipped the Ascend 910C.")
    assert found["Snapdragon X3"] == ("PRODUCT", "product|Snapdragon")
    assert found["Ascend 910C"][0] == "PRODUCT"


def test_authorities_take_their_owner_and_possessive(engine: Engine) -> None:
    found = entities(engine, "China's securities regulator and the Dutch government both acted.")
    assert found["China's securities regulator"] == ("ORG", "regulator|")
    assert found["Dutch government"] == ("ORG", "government|")


def test_an_authority_takes_at_most_three_owner_tokens(engine: Engine) -> None:
    found = entities(engine, "Beijing Shanghai Shenzhen Guangzhou officials said so.")
    authority = [text for text, (_, span_id) in found.items() if span_id == "regulator|"]
    assert authority == ["Shanghai Shenzhen Guangzhou officials"]


def test_unknown_companies_are_found_by_their_suffix(engine: Engine) -> None:
    assert entities(engine, "Shares of Zorblat Semiconductor Inc. rose.")["Zorblat Semiconductor Inc."] == \
        ("ORG", "company|")
    # A suffix that ends the text is read without looking past it.
    assert entities(engine, "They sold it to Acme Silicon Co")["Acme Silicon"] == ("ORG", "company|")


def test_a_company_name_keeps_a_place_in_brackets_and_words_in_capitals(engine: Engine) -> None:
    found = entities(engine, "Shares of Qorvex Integrated Circuits (Shenzhen) Co. rose.")
    assert found["Qorvex Integrated Circuits (Shenzhen) Co."] == ("ORG", "company|")
    assert entities(engine, "The deal with ZenithX Photonics Inc. closed.")["ZenithX Photonics Inc."] == \
        ("ORG", "company|")
    # Brackets that hold something other than capitalised words end the name.
    assert "Qorvex Photonics (formerly) Co." not in entities(engine, "Qorvex Photonics (formerly) Co. said so.")


def test_title_case_offering_words_in_a_headline_are_not_organisations(engine: Engine) -> None:
    found = entities(engine, "Qorvex Semiconductor Announces Pricing of Initial Public Offering")
    assert found["Qorvex Semiconductor"][0] == "ORG"
    assert "Initial Public Offering" not in found
