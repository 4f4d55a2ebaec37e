"""TIMEX3 values for the DATE expressions that spaCy finds in English news.

A DATE span ("last Friday", "the first quarter of next year", "October 17") becomes a
calendar value at the granularity the text commits to: a day (2025-06-10), an ISO week
(2025-W38), a month (2025-10), a quarter (2024-Q1), a half (2026-H1) or a year (2023).
Relative words resolve against the publication date; "two days later" and the like resolve
against an anchor the caller supplies, because they count from another happening.
Durations, frequencies and ages ("six months", "daily", "three-year-old") are not points
in time and give None.

News-specific vocabulary (relative words, quarters, halves, seasons, fiscal years and the
direction in which a bare "Tuesday" or "October" points) lives here; python-dateutil parses
the absolute calendar forms ("5 December", "June 1, 2020", "2025-06-10").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable

from dateutil.parser import parse as parse_datetime
from dateutil.relativedelta import relativedelta

__all__ = ["TIMEX_VALUE", "normalise_date"]

# The only value forms the service emits.
TIMEX_VALUE = re.compile(r"\d{4}(-(Q[1-4]|H[12]|W\d{2}|\d{2}(-\d{2})?))?")
# Longer texts are never date expressions; the cap keeps hostile input cheap.
MAX_INPUT_CHARS = 100
MIN_YEAR, MAX_YEAR = 1900, 2100
# Two-digit years ("FY24", "3Q25") below this are 20xx, the rest 19xx.
TWO_DIGIT_PIVOT = 70

_WEEKDAYS = {
    name: index
    for index, names in enumerate((
        ("monday", "mon"),
        ("tuesday", "tues", "tue"),
        ("wednesday", "wed"),
        ("thursday", "thurs", "thur", "thu"),
        ("friday", "fri"),
        ("saturday", "sat"),
        ("sunday", "sun"),
    ))
    for name in names
}
_MONTHS = {
    name: index
    for index, names in enumerate((
        ("january", "jan"),
        ("february", "feb"),
        ("march", "mar"),
        ("april", "apr"),
        ("may",),
        ("june", "jun"),
        ("july", "jul"),
        ("august", "aug"),
        ("september", "sept", "sep"),
        ("october", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ), start=1)
    for name in names
}
_SMALL_NUMBERS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_NUMBERS = {
    "a": 1,
    "an": 1,
    **{word: value for value, word in enumerate(_SMALL_NUMBERS, start=1)},
    "twenty": 20,
    **{f"twenty{sep}{word}": 20 + value
       for value, word in enumerate(_SMALL_NUMBERS[:9], start=1) for sep in " -"},
    "thirty": 30,
}
_ORDINALS = {
    "first": 1, "1st": 1, "1": 1,
    "second": 2, "2nd": 2, "2": 2,
    "third": 3, "3rd": 3, "3": 3,
    "fourth": 4, "4th": 4, "4": 4, "final": 4, "last": 4,
}
# Months each season spans (13 and 14 are January and February of the next year): winter
# takes the year it starts in.
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11),
            "winter": (12, 14)}
_DAY_WORDS = {"today": 0, "tonight": 0, "this": 0, "yesterday": -1, "last": -1, "tomorrow": 1}
_PERIOD_OFFSETS = {"this": 0, "last": -1, "next": 1}
_YEAR_OFFSETS = {"this year": 0, "the year": 0, "the current year": 0, "next year": 1,
                 "last year": -1}
_DIRECTIONS = {
    "ago": -1, "earlier": -1, "before": -1, "prior": -1, "previous": -1, "preceding": -1,
    "in": 1, "from now": 1, "from today": 1, "hence": 1, "later": 1, "after": 1,
    "afterwards": 1, "afterward": 1, "on": 1, "following": 1, "next": 1,
    "same": 0, "that": 0,
}


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation of words, longest first so that "sept" wins over "sep"."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile with re.ASCII: the patterns describe English text, never other scripts' digits."""
    return re.compile(pattern, re.ASCII)


_NUM = rf"[0-9]{{1,3}}|{_alternation(_NUMBERS)}"
_WEEKDAY = _alternation(_WEEKDAYS)
_MONTH = _alternation(_MONTHS)
_PART_OF_DAY = r"(?: (?:morning|afternoon|evening|night))?"
_COUNT = rf"(?P<n>{_NUM}) (?P<unit>day|week|month|year)s?"
_FISCAL = r"(?:fiscal(?: year)?|fy) ?'?[0-9]{2}(?:[0-9]{2})?(?:[-/][0-9]{2}(?:[0-9]{2})?)?"
# A year qualifier after a quarter, half or season: "of 2027", "of next year", "FY24".
_YEAR_REF = rf"[0-9]{{4}}|'?[0-9]{{2}}|{_alternation(_YEAR_OFFSETS)}|{_FISCAL}"
_OF_YEAR = rf"(?:(?: of| in|,)? (?P<year>{_YEAR_REF}))?"
# The year glued to "3Q25" and "1H26".
_SHORT_YEAR = r"(?P<year>'?[0-9]{2}|[0-9]{4})"

_EDGE_JUNK = " \"'()[]{},.;:!?\u201c\u201d"
_PERIOD_PART = _rx(r"(?:end|beginning|start|middle|turn|rest|remainder) of the (year|month|week)$")
# Words around a DATE span that do not change its value; "in" stays before a count
# because "in 30 days" is a date while "30 days" is a duration.
_LEADING = _rx(
    r"(?:the|on|at|by|since|until|till|from|around|about|before|after|during|of"
    rf"|in(?! (?:{_NUM}) (?:day|week|month|year))"
    r"|as (?:early|late|soon) as|earlier|later|early|late|mid|end|beginning|start|middle)[ -]"
)
_ABSOLUTE_CHARS = _rx(r"[a-z0-9][a-z0-9 ,./'-]*")
_ABSOLUTE_CUE = _rx(rf"\b(?:{_MONTH})\b|[0-9]{{4}}")
_WEEKDAY_WORD = _rx(rf"\b(?:{_WEEKDAY})\b")
_FIRST_NUMBER = _rx(r"[0-9]+")


@dataclass(frozen=True)
class _Context:
    """What a relative expression may resolve against, and which way bare names point."""

    document: date | None
    anchor: date | None
    future: bool


_Rule = Callable[[re.Match[str], _Context], str | None]


def normalise_date(
    text: str,
    document_date: date | None,
    *,
    anchor: date | None = None,
    future: bool = False,
) -> str | None:
    """TIMEX3 value of a DATE expression, or None when it names no point or period in time.

    Relative expressions need document_date; "two days later" and its kin need anchor.
    future only turns a bare weekday, month or month-day forwards instead of backwards.
    Values outside 1900..2100 and any text over MAX_INPUT_CHARS give None.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    context = _Context(_as_date(document_date), _as_date(anchor), future)
    try:
        value = _resolve(_clean(text), context)
    except (ValueError, ArithmeticError):
        # Arithmetic past the calendar's ends and dateutil's rejections (ParserError, and
        # OverflowError or decimal.InvalidOperation on huge numbers) all land here.
        return None
    if value is None or not TIMEX_VALUE.fullmatch(value):
        return None
    return value if MIN_YEAR <= int(value[:4]) <= MAX_YEAR else None


def _as_date(value: date | None) -> date | None:
    """A datetime would refuse comparison with the dates built here, so keep its date."""
    return value.date() if isinstance(value, datetime) else value


def _clean(text: str) -> str:
    """Lower-case, one space between words, no edge punctuation, possessive or filler words."""
    text = " ".join(text.lower().replace("\u2019", "'").split()).strip(_EDGE_JUNK)
    text = text.removesuffix("'s").strip(_EDGE_JUNK)
    text = _PERIOD_PART.sub(r"this \1", text)
    while match := _LEADING.match(text):
        text = text[match.end():]
    return text


def _resolve(text: str, context: _Context) -> str | None:
    """The first rule whose pattern covers the whole text decides; dateutil takes the rest."""
    for pattern, rule in _RULES:
        if match := pattern.fullmatch(text):
            return rule(match, context)
    return _absolute(text, context)


def _day(value: date) -> str:
    return value.isoformat()


def _week(value: date) -> str:
    year, week, _ = value.isocalendar()
    return f"{year}-W{week:02d}"


def _month(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def _shift(start: date, unit: str, count: int) -> str:
    """Move count units from start; the value keeps the unit's granularity."""
    if unit == "day":
        return _day(start + timedelta(days=count))
    if unit == "week":
        return _week(start + timedelta(weeks=count))
    if unit == "month":
        moved = start + relativedelta(months=count)
        return _month(moved.year, moved.month)
    return str(start.year + count)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _year_ref(raw: str | None, context: _Context) -> int | None:
    """Year a qualifier names ("of next year", "2027", "FY24"); none means the document's."""
    if raw is None or raw in _YEAR_OFFSETS:
        if context.document is None:
            return None
        return context.document.year + _YEAR_OFFSETS.get(raw or "this year", 0)
    digits = _FIRST_NUMBER.search(raw)[0]
    if len(digits) == 4:
        return int(digits)
    short = int(digits)
    return short + (2000 if short < TWO_DIGIT_PIVOT else 1900)


def _day_word(match: re.Match[str], context: _Context) -> str | None:
    if context.document is None:
        return None
    return _shift(context.document, "day", _DAY_WORDS[match["w"]])


def _relative_period(match: re.Match[str], context: _Context) -> str | None:
    """"last week", "this month", "next quarter"; a weekend is reported as its ISO week."""
    document = context.document
    if document is None:
        return None
    offset = _PERIOD_OFFSETS[match["rel"]]
    unit = match["unit"]
    if unit == "quarter":
        index = document.year * 4 + (document.month - 1) // 3 + offset
        return f"{index // 4}-Q{index % 4 + 1}"
    return _shift(document, "week" if unit == "weekend" else unit, offset)


def _from_document(match: re.Match[str], context: _Context) -> str | None:
    """"three months ago", "in 30 days": counted from publication."""
    if context.document is None:
        return None
    count = _DIRECTIONS[match["dir"]] * _number(match["n"])
    return _shift(context.document, match["unit"], count)


def _from_anchor(match: re.Match[str], context: _Context) -> str | None:
    """"twelve days later", "the following day": counted from another happening."""
    if context.anchor is None:
        return None
    count = _number(match.groupdict().get("n") or "1")
    return _shift(context.anchor, match["unit"], _DIRECTIONS[match["dir"]] * count)


def _weekday(match: re.Match[str], context: _Context) -> str | None:
    """Bare weekdays look back (on or before), or forward when future; last/next are strict."""
    document = context.document
    if document is None:
        return None
    target = _WEEKDAYS[match["wd"]]
    back = (document.weekday() - target) % 7
    forward = (target - document.weekday()) % 7
    relation = match["rel"]
    if relation in ("last", "past", "this past"):
        offset = -(back or 7)
    elif relation in ("next", "coming", "this coming"):
        offset = forward or 7
    else:
        offset = forward if context.future else -back
    return _day(document + timedelta(days=offset))


def _weekday_with_date(match: re.Match[str], context: _Context) -> str | None:
    """"Friday, 2 January 2026": the explicit date wins over the weekday."""
    value = _absolute(match["rest"], context)
    return value if value is not None and len(value) == len("yyyy-mm-dd") else None


def _quarter(match: re.Match[str], context: _Context) -> str | None:
    year = _year_ref(match["year"], context)
    return None if year is None else f"{year}-Q{_ORDINALS[match['ord']]}"


def _month_quarter(match: re.Match[str], context: _Context) -> str | None:
    """"the June quarter" is the quarter that ends in June."""
    year = _year_ref(match["year"], context)
    return None if year is None else f"{year}-Q{(_MONTHS[match['month']] - 1) // 3 + 1}"


def _half(match: re.Match[str], context: _Context) -> str | None:
    year = _year_ref(match["year"], context)
    return None if year is None else f"{year}-H{_ORDINALS[match['ord']]}"


def _year_only(match: re.Match[str], context: _Context) -> str | None:
    """Fiscal years keep the number they carry, per the annotation guide."""
    year = _year_ref(match["year"], context)
    return None if year is None else str(year)


def _season(match: re.Match[str], context: _Context) -> str | None:
    """Seasons resolve to a year: the document's, or the nearest one before/after it."""
    if match["year"] is not None:
        return _year_only(match, context)
    document = context.document
    if document is None:
        return None
    first, last = _SEASONS[match["season"]]
    now = document.year * 12 + document.month - 1
    year = document.year
    if match["rel"] in ("last", "past"):
        while year * 12 + last - 1 >= now:
            year -= 1
    elif match["rel"] in ("next", "coming"):
        while year * 12 + first - 1 <= now:
            year += 1
    return str(year)


def _relative_month(match: re.Match[str], context: _Context) -> str | None:
    return _month_without_year(_MONTHS[match["month"]], context, match["rel"])


def _month_of_year(match: re.Match[str], context: _Context) -> str | None:
    """"October last year", "March of this year"."""
    year = _year_ref(match["year"], context)
    return None if year is None else _month(year, _MONTHS[match["month"]])


def _month_without_year(month: int, context: _Context, relation: str | None) -> str | None:
    """A month named without a year: the latest on or before the document's month, the
    earliest on or after it when future, strictly before/after for last/next."""
    document = context.document
    if document is None:
        return None
    if relation == "this":
        year = document.year
    elif relation in ("last", "past"):
        year = document.year - int(month >= document.month)
    elif relation in ("next", "coming"):
        year = document.year + int(month <= document.month)
    elif context.future:
        year = document.year + int(month < document.month)
    else:
        year = document.year - int(month > document.month)
    return _month(year, month)


def _day_without_year(month: int, day: int, context: _Context) -> str | None:
    """A month-day without a year: the latest on or before the document date, or the
    earliest on or after it when future. Up to eight years away for 29 February."""
    document = context.document
    if document is None:
        return None
    step = 1 if context.future else -1
    for year in range(document.year, document.year + 9 * step, step):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate >= document) if context.future else (candidate <= document):
            return _day(candidate)
    return None


# dateutil fills what the text leaves out from a default; parsing with two defaults that
# differ in every field shows which fields the text gave. Both are leap years, so that
# "29 February" survives, and both months have 31 days, so that any day survives.
_DEFAULT_A = datetime(1904, 1, 1)
_DEFAULT_B = datetime(1908, 12, 28)


def _absolute(text: str, context: _Context) -> str | None:
    """Calendar forms via dateutil, at the granularity the text gives.

    Only texts with a month name or a four-digit number reach dateutil, so that numbers
    such as "12" or "1/2" are not read as days; weekdays are kept away because dateutil
    would move the date to match them.
    """
    if (not _ABSOLUTE_CHARS.fullmatch(text) or not _ABSOLUTE_CUE.search(text)
            or _WEEKDAY_WORD.search(text)):
        return None
    first = parse_datetime(text, default=_DEFAULT_A, fuzzy=False)
    second = parse_datetime(text, default=_DEFAULT_B, fuzzy=False)
    has_year, has_month, has_day = (
        first.year == second.year, first.month == second.month, first.day == second.day)
    if not has_month:
        return str(first.year) if has_year and not has_day else None
    if has_year:
        return _day(first.date()) if has_day else _month(first.year, first.month)
    if has_day:
        return _day_without_year(first.month, first.day, context)
    return _month_without_year(first.month, context, None)


_RULES: list[tuple[re.Pattern[str], _Rule]] = [
    (_rx(rf"(?P<w>today|tonight|yesterday|tomorrow){_PART_OF_DAY}"), _day_word),
    (_rx(r"(?P<w>this|last) (?:morning|afternoon|evening|night)"), _day_word),
    (_rx(r"(?P<rel>this|last|next) (?P<unit>week|weekend|month|quarter|year)"), _relative_period),
    (_rx(rf"{_COUNT} (?P<dir>ago|from now|from today|hence)"), _from_document),
    (_rx(rf"(?P<dir>in) {_COUNT}(?:'? time)?"), _from_document),
    (_rx(rf"{_COUNT} (?P<dir>later|earlier|after|before|afterwards?|on|prior)"), _from_anchor),
    (_rx(r"(?P<dir>following|previous|preceding|prior) (?P<unit>day|week|month|year)"),
     _from_anchor),
    (_rx(r"(?P<dir>next) (?P<unit>day)"), _from_anchor),
    (_rx(r"(?P<unit>day|week|month|year) (?P<dir>before|after|earlier|later)"), _from_anchor),
    (_rx(r"(?P<dir>same|that) (?P<unit>day|week|month|year)"), _from_anchor),
    (_rx(rf"(?:(?P<rel>this past|this coming|last|past|next|coming|this) )?"
         rf"(?P<wd>{_WEEKDAY}){_PART_OF_DAY}"), _weekday),
    (_rx(rf"(?:{_WEEKDAY})\.?,? (?P<rest>.+)"), _weekday_with_date),
    (_rx(rf"(?:fiscal )?(?P<ord>{_alternation(_ORDINALS)})[ -](?:fiscal[ -])?quarter{_OF_YEAR}"),
     _quarter),
    (_rx(rf"q(?P<ord>[1-4]){_OF_YEAR}"), _quarter),
    (_rx(rf"(?P<ord>[1-4])q{_SHORT_YEAR}"), _quarter),
    (_rx(rf"(?P<month>{_MONTH})\.? quarter{_OF_YEAR}"), _month_quarter),
    (_rx(rf"(?P<ord>first|second|1st|2nd)[ -]half{_OF_YEAR}"), _half),
    (_rx(rf"h(?P<ord>[12]){_OF_YEAR}"), _half),
    (_rx(rf"(?P<ord>[12])h{_SHORT_YEAR}"), _half),
    (_rx(rf"(?P<year>{_FISCAL})"), _year_only),
    (_rx(rf"(?:(?P<rel>last|past|next|coming|this) )?"
         rf"(?P<season>{_alternation(_SEASONS)}){_OF_YEAR}"), _season),
    (_rx(rf"(?P<rel>last|past|next|coming|this) (?P<month>{_MONTH})"), _relative_month),
    (_rx(rf"(?P<month>{_MONTH})\.?,?(?: of)? (?P<year>this year|next year|last year)"),
     _month_of_year),
]
