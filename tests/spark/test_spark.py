"""``service.spark.extract_events`` on a real local Spark (``local[2]``: two executor cores).

What a data engineer relies on: on the dev set the event rows are the engine's own events, every
one and nothing else, with their nested arguments; dates may be strings or Spark dates.
Needs the optional extra: ``make test-spark`` installs it (and Java must be on PATH).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from service.engine import Engine
from tests.conftest import EVAL_DIR, load_jsonl

pytest.importorskip("pyspark", reason="PySpark is an optional extra: `make test-spark` installs it and runs this")
pytest.importorskip("pyarrow", reason="PySpark's mapInPandas needs pyarrow: `make test-spark` installs it")
if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17+ (java on PATH or JAVA_HOME); Debian: apt-get install openjdk-17-jre-headless",
                allow_module_level=True)

from pyspark.sql import Row, SparkSession
from pyspark.sql import functions as F

from service.spark import extract_events

REPO = str(EVAL_DIR.parent)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """A local Spark whose Python workers run this interpreter and can import ``service``."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))
    session = (SparkSession.builder.master("local[2]").appName("event-extraction-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.host", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def events_by_document(rows: list[Row]) -> dict[Any, list[dict[str, Any]]]:
    """Rows back into the engine's shape: per document id, its events in ``ev1, ev2, ...`` order."""
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        item = row.asDict(recursive=True)
        doc_id = item.pop("id")
        grouped[doc_id].append({"id": item.pop("event_id"), **item})
    return {doc_id: sorted(events, key=lambda e: int(e["id"][2:])) for doc_id, events in grouped.items()}


def test_dev_set_events_equal_the_engines(spark: SparkSession, engine: Engine) -> None:
    docs = load_jsonl("dev.jsonl")
    frame = spark.createDataFrame([(d["id"], d["text"], d["document_date"]) for d in docs],
                                  "id string, text string, document_date string").repartition(4)
    result = extract_events(frame, batch_size=8).cache()
    rows = result.collect()

    dates = [dt.date.fromisoformat(d["document_date"]) if d["document_date"] else None for d in docs]
    expected = {d["id"]: events for d, events in zip(docs, engine.extract([d["text"] for d in docs], dates)) if events}
    assert len(rows) == sum(map(len, expected.values())) > len(docs)
    assert events_by_document(rows) == expected
    # Nested arguments are real Spark structs, queryable as such.
    actors = result.select("id", F.explode("actors").alias("actor")).select("actor.role", "actor.name")
    assert actors.count() == sum(len(e["actors"]) for events in expected.values() for e in events)


def test_date_column_integer_ids_nulls_and_type_filter(spark: SparkSession, engine: Engine) -> None:
    text = ("On Tuesday the China Securities Regulatory Commission approved Biren Technology's application "
            "to list in Hong Kong. Nvidia unveiled its Blackwell Ultra AI chip on Monday.")
    frame = spark.createDataFrame(
        [(1, text, dt.date(2025, 6, 12)), (2, None, None), (3, "Nothing happened today.", None)],
        "id long, text string, document_date date")
    rows = extract_events(frame, event_types=["ipo"]).collect()
    assert events_by_document(rows) == {1: engine.extract([text], [dt.date(2025, 6, 12)], ["ipo"])[0]}
    assert rows[0]["dates"][0]["value"] == "2025-06-10"
    with pytest.raises(ValueError, match="unknown event types"):
        extract_events(frame, event_types=["weather"])
    with pytest.raises(ValueError, match="document_date"):
        extract_events(frame.drop("document_date"))
