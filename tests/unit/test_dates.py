"""Unit tests for service.dates: TIMEX3 values of news DATE expressions."""
from __future__ import annotations

import random
import time
from datetime import date, datetime

import pytest

from service.dates import MAX_INPUT_CHARS, TIMEX_VALUE, normalise_date

D = date.fromisoformat

# (text, document date, expected) with the default, backward-looking direction.
RESOLVED = [
    # Weekdays: the latest on or before the document date.
    ("Tuesday", "2025-06-12", "2025-06-10"),
    ("Friday", "2026-01-02", "2026-01-02"),
    ("Thursday", "2023-09-14", "2023-09-14"),
    ("on Monday", "2025-06-12", "2025-06-09"),
    ("Monday's", "2025-06-12", "2025-06-09"),
    ("Monday\u2019s", "2025-06-12", "2025-06-09"),
    ("FRIDAY", "2026-01-05", "2026-01-02"),
    ("friday", "2026-01-05", "2026-01-02"),
    ("Tues.", "2025-06-12", "2025-06-10"),
    ("Tuesday night", "2025-06-12", "2025-06-10"),
    ("last Friday", "2026-01-05", "2026-01-02"),
    ("last Friday", "2026-01-02", "2025-12-26"),
    ("next Tuesday", "2026-01-05", "2026-01-06"),
    ("next Tuesday", "2026-01-06", "2026-01-13"),
    ("Friday, 2 January 2026", "2025-06-01", "2026-01-02"),
    ("Friday, 2 January 2026", None, "2026-01-02"),
    # Days and weeks around the document date.
    ("today", "2025-06-12", "2025-06-12"),
    ("yesterday", "2025-06-12", "2025-06-11"),
    ("tomorrow", "2025-12-31", "2026-01-01"),
    ("yesterday afternoon", "2025-06-12", "2025-06-11"),
    ("last night", "2025-06-12", "2025-06-11"),
    ("this week", "2025-09-17", "2025-W38"),
    ("last week", "2024-10-08", "2024-W40"),
    ("next week", "2024-10-08", "2024-W42"),
    ("early next week", "2024-10-08", "2024-W42"),
    ("last week", "2025-01-02", "2024-W52"),
    ("this weekend", "2025-09-17", "2025-W38"),
    # Months, quarters and years around the document date.
    ("this month", "2025-12-17", "2025-12"),
    ("earlier this month", "2025-12-17", "2025-12"),
    ("last month", "2025-12-17", "2025-11"),
    ("last month", "2025-01-10", "2024-12"),
    ("next month", "2025-04-21", "2025-05"),
    ("this year", "2025-12-17", "2025"),
    ("later this year", "2025-04-21", "2025"),
    ("earlier this year", "2025-04-21", "2025"),
    ("this year's", "2025-04-21", "2025"),
    ("last year", "2023-10-18", "2022"),
    ("late last year", "2023-10-18", "2022"),
    ("next year", "2023-11-24", "2024"),
    ("by the end of the year", "2025-08-01", "2025"),
    ("the end of next year", "2025-08-01", "2026"),
    ("this quarter", "2025-06-13", "2025-Q2"),
    ("last quarter", "2025-02-13", "2024-Q4"),
    ("next quarter", "2025-11-13", "2026-Q1"),
    # Counts from the document date: the unit sets the granularity.
    ("in 30 days", "2023-10-18", "2023-11-17"),
    ("in 30 days' time", "2023-10-18", "2023-11-17"),
    ("in two weeks", "2024-10-08", "2024-W43"),
    ("10 days ago", "2025-07-15", "2025-07-05"),
    ("a week ago", "2025-07-15", "2025-W28"),
    ("two weeks ago", "2025-07-15", "2025-W27"),
    ("three months ago", "2025-07-15", "2025-04"),
    ("two years ago", "2025-07-15", "2023"),
    ("twenty-one days ago", "2025-07-22", "2025-07-01"),
    ("thirty days from now", "2025-07-01", "2025-07-31"),
    # Month names: the latest on or before the document's month.
    ("October", "2025-12-05", "2025-10"),
    ("December", "2025-12-05", "2025-12"),
    ("December", "2025-11-05", "2024-12"),
    ("In March", "2023-08-22", "2023-03"),
    ("the end of June", "2025-12-05", "2025-06"),
    ("late August", "2025-12-05", "2025-08"),
    ("early October", "2025-12-05", "2025-10"),
    ("mid-July", "2025-12-05", "2025-07"),
    ("since May", "2025-12-05", "2025-05"),
    ("last October", "2025-10-05", "2024-10"),
    ("next March", "2025-03-05", "2026-03"),
    ("October last year", "2025-08-01", "2024-10"),
    ("March of this year", "2025-08-01", "2025-03"),
    # Month and day: the latest such date on or before the document date.
    ("December 5", "2025-12-17", "2025-12-05"),
    ("5 December", "2025-12-17", "2025-12-05"),
    ("Dec. 5", "2025-12-17", "2025-12-05"),
    ("the 5th of December", "2025-12-17", "2025-12-05"),
    ("October 17", "2024-01-02", "2023-10-17"),
    ("Feb. 29", "2025-03-01", "2024-02-29"),
    # Absolute dates need no document date.
    ("October 2023", None, "2023-10"),
    ("July 2020", None, "2020-07"),
    ("September 2023", None, "2023-09"),
    ("mid-2024", None, "2024"),
    ("2019", None, "2019"),
    ("in 2025", None, "2025"),
    ("June 1, 2020", None, "2020-06-01"),
    ("2 Jan. 2026", None, "2026-01-02"),
    ("2025-06-10", None, "2025-06-10"),
    ("as early as 2027", None, "2027"),
    ("until June 1, 2020.", None, "2020-06-01"),
    # Quarters and halves.
    ("the first quarter of next year", "2023-11-24", "2024-Q1"),
    ("the third quarter", "2025-06-13", "2025-Q3"),
    ("second quarter", "2025-06-13", "2025-Q2"),
    ("Q2", "2025-06-13", "2025-Q2"),
    ("the June quarter", "2025-08-01", "2025-Q2"),
    ("the fourth quarter of 2027", None, "2027-Q4"),
    ("the first quarter of this year", "2025-09-18", "2025-Q1"),
    ("the second quarter of 2024", None, "2024-Q2"),
    ("the final quarter of last year", "2025-09-18", "2024-Q4"),
    ("first-quarter", "2025-09-18", "2025-Q1"),
    ("Q3 2025", None, "2025-Q3"),
    ("3Q25", None, "2025-Q3"),
    ("the first quarter of fiscal 2024", None, "2024-Q1"),
    ("the first half of 2026", None, "2026-H1"),
    ("H1 2026", None, "2026-H1"),
    ("1H26", None, "2026-H1"),
    ("the second half of next year", "2025-04-01", "2026-H2"),
    ("the second half", "2025-04-01", "2025-H2"),
    # Fiscal years keep their number.
    ("fiscal 2024", None, "2024"),
    ("fiscal year 2024", None, "2024"),
    ("FY2024", None, "2024"),
    ("FY24", None, "2024"),
    ("FY 2024-25", None, "2024"),
    # Seasons give the year.
    ("before the summer", "2023-05-01", "2023"),
    ("this summer", "2023-05-01", "2023"),
    ("spring", "2023-05-01", "2023"),
    ("the summer of 2019", None, "2019"),
    ("last summer", "2024-08-01", "2023"),
    ("last summer", "2024-09-01", "2024"),
    ("next winter", "2024-01-15", "2024"),
]

# (text, document date, expected) with future=True.
RESOLVED_FUTURE = [
    ("Saturday", "2024-09-06", "2024-09-07"),
    ("Thursday", "2025-05-14", "2025-05-15"),
    ("on Wednesday", "2025-05-14", "2025-05-14"),
    ("September", "2023-08-22", "2023-09"),
    ("in September", "2023-08-22", "2023-09"),
    ("March", "2023-08-22", "2024-03"),
    ("September 1", "2023-06-30", "2023-09-01"),
    ("January 5", "2023-06-30", "2024-01-05"),
    ("next Tuesday", "2026-01-05", "2026-01-06"),
    ("last Friday", "2026-01-05", "2026-01-02"),
    ("October 2023", "2025-01-01", "2023-10"),
]

# (text, anchor, expected): counted from another happening, whatever the document date.
RESOLVED_ANCHORED = [
    ("twelve days later", "2025-12-05", "2025-12-17"),
    ("the following day", "2024-09-06", "2024-09-07"),
    ("the next day", "2024-09-06", "2024-09-07"),
    ("the day before", "2024-09-06", "2024-09-05"),
    ("the day after", "2024-09-06", "2024-09-07"),
    ("two days later", "2024-09-06", "2024-09-08"),
    ("a year earlier", "2023-05-10", "2022"),
    ("two months after", "2023-05-10", "2023-07"),
    ("three weeks later", "2023-05-10", "2023-W22"),
    ("the previous year", "2023-05-10", "2022"),
    ("the same day", "2023-05-10", "2023-05-10"),
]

NOT_DATES = [
    "six months",
    "the past 12 months",
    "three-year-old",
    "a decade",
    "decades",
    "daily",
    "annual",
    "quarterly",
    "the year",
    "years",
    "30%",
    "",
    "   ",
    "\t\n",
    "the quarter",
    "Mondays",
    "12",
    "1/2",
    "the 1990s",
    "within a week",
    "in a decade",
    "hours ago",
    "next Tuesday week",
    "1850",
    "2200",
    "fiscal year",
    "the weekend",
]


def _timex(value: str | None) -> str | None:
    """Every value the module returns must have one of the valid TIMEX forms."""
    assert value is None or TIMEX_VALUE.fullmatch(value), value
    return value


def _date(value: str | None) -> date | None:
    return None if value is None else D(value)


@pytest.mark.parametrize(("text", "document", "expected"), RESOLVED)
def test_resolves(text: str, document: str | None, expected: str) -> None:
    assert _timex(normalise_date(text, _date(document))) == expected


@pytest.mark.parametrize(("text", "document", "expected"), RESOLVED_FUTURE)
def test_future_turns_bare_weekdays_and_months_forward(
    text: str, document: str, expected: str
) -> None:
    assert _timex(normalise_date(text, D(document), future=True)) == expected


@pytest.mark.parametrize(("text", "anchor", "expected"), RESOLVED_ANCHORED)
def test_anchored_expressions_count_from_the_anchor(text: str, anchor: str, expected: str) -> None:
    assert _timex(normalise_date(text, D("2000-01-01"), anchor=D(anchor))) == expected


@pytest.mark.parametrize(("text", "_anchor", "_expected"), RESOLVED_ANCHORED)
def test_anchored_expressions_need_an_anchor(text: str, _anchor: str, _expected: str) -> None:
    assert normalise_date(text, D("2025-06-12")) is None


@pytest.mark.parametrize(
    "text",
    ["Tuesday", "last week", "October", "December 5", "the third quarter", "this summer",
     "three months ago", "in 30 days", "today"],
)
def test_relative_expressions_need_a_document_date(text: str) -> None:
    assert normalise_date(text, None) is None


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_a_point_in_time(text: str) -> None:
    assert normalise_date(text, D("2025-06-12")) is None


def test_datetime_document_date_is_accepted() -> None:
    assert normalise_date("Tuesday", datetime(2025, 6, 12, 15, 30)) == "2025-06-10"


def test_calendar_edges_give_none_rather_than_raise() -> None:
    assert normalise_date("tomorrow", date.max) is None
    assert normalise_date("yesterday", date.min) is None
    assert normalise_date("next year", D("2100-06-01")) is None


HOSTILE = [
    "x" * 100_000,
    "2025 " * 30_000,
    "in " * 33 + "30 days",
    "the " * 25,
    "1" * MAX_INPUT_CHARS,
    "9" * 40,
    "December " + "9" * 40,
    "9" * 30 + "1h99",
    "\U0001f4c5 Friday \U0001f389",
    "\x00\x01\x1b[31mMonday",
    "\u202eyadnoM",
    "\ud800",
    "\u0663\u0660 days ago",
    "\u0130stanbul",
    "Q" * 99,
    "'s",
    "'" * 50,
    "a-" * 50,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises(text: str) -> None:
    start = time.perf_counter()
    _timex(normalise_date(text, D("2025-06-12"), anchor=D("2025-06-01"), future=True))
    assert time.perf_counter() - start < 0.5


def test_random_token_soup_gives_valid_values_or_none() -> None:
    tokens = ("the", "in", "last", "next", "this", "of", "a", "two", "30", "2025", "25",
              "day", "days", "week", "month", "year", "quarter", "half", "ago", "later",
              "Friday", "December", "Dec.", "5", "fiscal", "FY", "Q3", "H1", "summer",
              ",", "'s", "-", "early", "mid", "/", ".", "1st", "\u00e9", "%")
    generator = random.Random(20250612)
    start = time.perf_counter()
    for _ in range(3000):
        text = " ".join(generator.choices(tokens, k=generator.randint(1, 6)))
        _timex(normalise_date(text, D("2025-06-12"), anchor=D("2025-06-01"),
                              future=generator.random() < 0.5))
    assert time.perf_counter() - start < 10
