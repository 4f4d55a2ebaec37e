"""Events for corpora larger than one machine: a Spark DataFrame of documents in, one row per event out.

``extract_events`` runs the same engine as the API inside ``mapInPandas``. The pipeline is built
once per Python worker process and kept there (Spark reuses its Python workers between tasks), so
a corpus of millions of rows costs one model load per executor core, not one per row or task; each
Arrow batch goes through ``nlp.pipe`` in slices of ``batch_size`` documents.

PySpark is an optional extra (``pip install '.[spark]'``, lock ``requirements/spark.txt``), not a
dependency of the service: nothing else in ``service`` imports this module.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql.types import (
    ArrayType,
    DataType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from .config import Settings
from .engine import Engine
from .ontology import load_ontology

INPUT_COLUMNS = ("id", "text", "document_date")


def _span_fields() -> list[StructField]:
    return [StructField("text", StringType(), False), StructField("start", IntegerType(), False),
            StructField("end", IntegerType(), False)]


SPAN = StructType(_span_fields())
MENTION = StructType([StructField("trigger", SPAN, False), StructField("sentence", SPAN, False)])
ACTOR = StructType(_span_fields() + [StructField(name, StringType(), False) for name in ("role", "label", "kind", "name")])
DATE = StructType(_span_fields() + [StructField("value", StringType(), True)])
LOCATION = StructType(_span_fields() + [StructField("country", StringType(), False)])


def event_schema(id_type: DataType) -> StructType:
    """One row per event: the document's ``id`` (its input type), then the API's event fields, with
    the event's own ``id`` (``ev1``, ``ev2``, ... within its document) renamed ``event_id``."""
    return StructType([
        StructField("id", id_type, True),
        StructField("event_id", StringType(), False),
        StructField("type", StringType(), False),
        StructField("stage", StringType(), False),
        StructField("polarity", StringType(), False),
        StructField("modality", StringType(), False),
        StructField("confidence", DoubleType(), False),
        StructField("trigger", SPAN, False),
        StructField("mentions", ArrayType(MENTION, False), False),
        StructField("actors", ArrayType(ACTOR, False), False),
        StructField("dates", ArrayType(DATE, False), False),
        StructField("locations", ArrayType(LOCATION, False), False),
        StructField("products", ArrayType(SPAN, False), False),
    ])


@cache
def _engine(settings: Settings) -> Engine:
    """This worker process's engine: built on its first batch, reused for every later task."""
    return Engine(settings)


def _document_date(value: Any, doc_id: Any) -> dt.date | None:
    """A ``document_date`` cell as a date: Spark ``DateType``, ``YYYY-MM-DD`` strings and nulls."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"document {doc_id!r}: document_date {value!r} is not a YYYY-MM-DD date") from None


def _event_rows(settings: Settings, event_types: list[str] | None,
                batch_size: int) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The function ``mapInPandas`` runs on the executors (pickled with its arguments)."""

    def extract(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        engine = _engine(settings)
        for frame in batches:
            for start in range(0, len(frame), batch_size):
                part = frame.iloc[start:start + batch_size]
                ids = part["id"].tolist()
                texts = [text if isinstance(text, str) else "" for text in part["text"].tolist()]  # null: no events
                dates = [_document_date(day, i) for day, i in zip(part["document_date"].tolist(), ids)]
                rows = [{"id": doc_id, "event_id": ev["id"], **{k: v for k, v in ev.items() if k != "id"}}
                        for doc_id, events in zip(ids, engine.extract(texts, dates, event_types))
                        for ev in events]
                if rows:
                    yield pd.DataFrame(rows)

    return extract


def extract_events(documents: DataFrame, event_types: Sequence[str] | None = None,
                   settings: Settings | None = None, batch_size: int = 256) -> DataFrame:
    """Events of ``documents`` (columns ``id``, ``text``, ``document_date`` as a date or a
    ``YYYY-MM-DD`` string, nullable), one row per event, as the engine finds them.

    ``settings`` default to the driver's environment and travel to the executors with the job, so
    workers build the same pipeline whatever their own environment holds.
    """
    missing = [c for c in INPUT_COLUMNS if c not in documents.columns]
    if missing:
        raise ValueError(f"documents lack column(s) {missing}; expected {list(INPUT_COLUMNS)}")
    unknown = sorted(set(event_types or ()) - set(load_ontology()))
    if unknown:
        raise ValueError(f"unknown event types: {unknown}")
    settings = settings or Settings.from_env()
    types = sorted(set(event_types)) if event_types else None
    schema = event_schema(documents.schema["id"].dataType)
    return documents.select(*INPUT_COLUMNS).mapInPandas(_event_rows(settings, types, batch_size), schema)
