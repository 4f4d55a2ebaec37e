"""The engine keeps the ops the model was loaded with in any context it is called from.

gevent runs each request in a greenlet with an empty ``contextvars`` context. There thinc has
no current ops, and every layer call looked its backends up again (failed imports and a scan
of the installed packages' entry points): about half a millisecond per request."""
from __future__ import annotations

import contextvars

import pytest
import thinc.backends

from service.engine import Engine

TEXT = "Acme Robotics filed for an initial public offering on the Nasdaq on Monday."


def test_extract_in_a_fresh_context_does_not_look_up_backends(engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[str] = []
    real_get_ops = thinc.backends.get_ops

    def counting_get_ops(name: str, **kwargs: object) -> thinc.backends.Ops:
        lookups.append(name)
        return real_get_ops(name, **kwargs)

    monkeypatch.setattr(thinc.backends, "get_ops", counting_get_ops)
    events = contextvars.Context().run(engine.extract, [TEXT])
    assert events[0], "the text should hold an event, so that the whole pipeline ran"
    assert lookups == []
