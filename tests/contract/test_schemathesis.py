"""Contract fuzzing: schemathesis generates requests from openapi.yaml, valid and invalid, sends them
to a real gunicorn on loopback (the shared ``server`` fixture: the real model, default settings)
and judges every response with every check it has, none left out: no 5xx, the body, the headers,
the status code and the content type are the ones documented for the operation, a request the
document calls invalid is refused with a 4xx (``negative_data_rejection``), a valid one is not
(``positive_data_acceptance``), the method, ``Allow`` and required-header checks, and no answer
takes longer than the limits are sized for (``max_response_time``, a third of the worker timeout;
see docs/operations.md). The checks for stateful APIs find no resources here and pass. The
number of examples per operation is bounded so that the module fits CI.

``negative_data_rejection`` holds because the document states what the service does: the
``X-Request-ID`` request header is any string, and a value outside ``[A-Za-z0-9._-]{1,128}`` is
replaced by a new UUID rather than refused. Refusing it instead would break clients and proxies
that already send their own trace ids (a UUID in braces, ``trace:span``) for a header that only
serves tracing, so the service keeps accepting them and the document no longer claims a pattern
it does not enforce; the pattern is documented where it holds, on the response header.
"""
from __future__ import annotations

import json
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode, HookContext
from schemathesis.config import SchemathesisConfig

from service.config import ServerSettings
from tests.service.conftest import HOST, Server

MAX_EXAMPLES = 25
OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
# How the document says invalid requests are refused: schemathesis's default list lacks 413, the
# answer to an invalid body that is also over the byte limit, and has statuses this API never sends.
REFUSALS = [400, 401, 404, 405, 413, 415, 422]
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "negative_data_rejection": {"expected-statuses": REFUSALS},
    "max_response_time": ServerSettings.from_env().timeout / 3,
}})
# Loaded at import, so the operations are known at collection; each case goes to the shared
# gunicorn, whose address is known only once the fixture has started it.
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)
SPEC = schema.raw_schema
MAX_BODY_BYTES: int = SPEC["paths"]["/v1/extract"]["post"]["requestBody"]["x-max-body-bytes"]
MAX_BATCH_CHARS: int = SPEC["components"]["schemas"]["BatchRequest"]["properties"]["documents"][
    "x-max-total-characters"]


@schema.hook
def filter_case(context: HookContext, case: schemathesis.Case) -> bool:
    """A positive case must be valid by every rule the document states, also the three it states in
    prose and ``x-`` keywords because JSON Schema cannot: the body's byte limit, the batch's total
    characters and distinct document ids. Without this filter ``positive_data_acceptance`` would
    count their documented 413 and 422 as failures."""
    positive = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
    if not positive or not isinstance(case.body, dict):
        return True
    if len(json.dumps(case.body).encode("utf-8")) > MAX_BODY_BYTES:
        return False
    documents = case.body.get("documents")
    if not isinstance(documents, list):
        return True
    ids = [document["id"] for document in documents]
    return len(set(ids)) == len(ids) and sum(len(document["text"]) for document in documents) <= MAX_BATCH_CHARS


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_conforms_to_openapi(case: schemathesis.Case, server: Server) -> None:
    """Every check schemathesis has (``checks`` left at its default: all of them)."""
    case.call_and_validate(base_url=f"http://{HOST}:{server.port}")
