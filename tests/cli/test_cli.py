"""``python -m service extract``: the API's answer from the shell, for files and JSON Lines corpora.

What a data engineer relies on: the events are the engine's and the API's for the same documents,
in input order, whatever the number of processes; a bad line is named by its number and either
stops the run (exit 1, no output file) or is skipped; and the exit status tells what happened.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from service.engine import Engine
from tests.conftest import EVAL_DIR, api_answer, load_jsonl

REPO = EVAL_DIR.parent
CHIP = "Nvidia unveiled its Blackwell Ultra AI chip on Monday."
# CRLF and an emoji before the event: offsets must index the file's text exactly as stored.
CRLF_EMOJI = "🚀 Launch day.\r\nOn Tuesday the China Securities Regulatory Commission approved Biren Technology's IPO."


def run_cli(*args: str, stdin: bytes = b"", **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """The tool as a user runs it: a new Python process at the repository root."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "service", *args], check=False, cwd=REPO, input=stdin, timeout=600, **kwargs)


def without_timing(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer less ``elapsed_ms``, the one field that differs between two runs."""
    return {**answer, "meta": {k: v for k, v in answer["meta"].items() if k != "elapsed_ms"}}


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def dev_docs() -> list[dict[str, Any]]:
    return load_jsonl("dev.jsonl")


def test_dev_set_in_two_processes_gives_the_engines_and_the_apis_events(
        tmp_path: Path, dev_docs: list[dict[str, Any]], engine: Engine, client: FlaskClient) -> None:
    """eval/dev.jsonl (gold ``events`` keys and all) through --processes 2: one line per document,
    in order, each the API's body for that document plus its id."""
    out = tmp_path / "events.jsonl"
    result = run_cli("extract", "--jsonl", str(EVAL_DIR / "dev.jsonl"), str(out), "--processes", "2",
                     "--batch-size", "8")
    assert result.returncode == EXIT_OK, result.stderr.decode()
    assert result.stdout == b""
    assert result.stderr == b"", "no progress bar when stderr is not a terminal"
    lines = read_lines(out)
    assert [line["id"] for line in lines] == [doc["id"] for doc in dev_docs]

    dates = [dt.date.fromisoformat(d["document_date"]) if d["document_date"] else None for d in dev_docs]
    expected = engine.extract([d["text"] for d in dev_docs], dates)
    assert [line["events"] for line in lines] == expected
    assert sum(map(len, expected)) > len(dev_docs), "the dev set should yield events"
    for doc, line in zip(dev_docs, lines):
        answer = api_answer(client, doc["text"], doc["document_date"])
        assert without_timing({"events": line["events"], "meta": line["meta"]}) == without_timing(answer), doc["id"]


def test_files_and_stdin_print_the_api_answer_for_each(tmp_path: Path, client: FlaskClient) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(CHIP.encode("utf-8"))
    second.write_bytes(CRLF_EMOJI.encode("utf-8"))
    result = run_cli("extract", str(first), "-", str(second), "--document-date", "2025-06-12",
                     stdin=b"Beijing banned government agencies from buying Micron chips.")
    assert result.returncode == EXIT_OK, result.stderr.decode()
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    texts = [CHIP, "Beijing banned government agencies from buying Micron chips.", CRLF_EMOJI]
    assert [without_timing(a) for a in answers] == [without_timing(api_answer(client, t, "2025-06-12")) for t in texts]
    ipo = answers[2]["events"][0]
    assert CRLF_EMOJI[ipo["trigger"]["start"]:ipo["trigger"]["end"]] == "approved"


def test_event_types_and_indent(tmp_path: Path, client: FlaskClient, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """In the same process: main() returns the status; --event-types filters as the API's field does."""
    path = tmp_path / "three.txt"
    text = ("China's securities regulator approved Biren Technology's IPO in Hong Kong on Tuesday. "
            "Nvidia unveiled its Blackwell Ultra AI chip on Monday.")
    path.write_text(text, encoding="utf-8")
    assert main(["extract", str(path), "--event-types", "ipo", "--indent", "2"]) == EXIT_OK
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith("{\n  \"events\"")
    answer = json.loads(out)
    assert without_timing(answer) == without_timing(api_answer(client, text, event_types=["ipo"]))
    assert [e["type"] for e in answer["events"]] == ["ipo"]


BAD_JSONL = "\n".join([
    json.dumps({"id": "ok-1", "text": CHIP}),
    "{not json",
    "",
    json.dumps({"id": "blank", "text": "   "}),
    json.dumps(["a list"]),
    json.dumps({"text": "no id"}),
    json.dumps({"id": "bad-date", "text": CHIP, "document_date": "2025-13-01"}),
    json.dumps({"id": "ok-2", "text": CRLF_EMOJI, "document_date": "2025-06-12", "events": []}),
]) + "\n"
BAD_LINES = {2: "not valid JSON", 4: "text is empty", 5: "not a JSON object", 6: "id", 7: "document_date"}


def test_bad_line_fails_the_run_and_leaves_no_output(tmp_path: Path) -> None:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(BAD_JSONL, encoding="utf-8")
    result = run_cli("extract", "--jsonl", str(source), str(out))
    assert result.returncode == EXIT_FAILED
    assert f"{source}:2: not valid JSON" in result.stderr.decode()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source], "no temporary file is left behind"


def test_skip_bad_reports_each_line_and_writes_the_rest(tmp_path: Path, client: FlaskClient) -> None:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(BAD_JSONL, encoding="utf-8")
    result = run_cli("extract", "--jsonl", str(source), str(out), "--skip-bad")
    assert result.returncode == EXIT_OK, result.stderr.decode()
    report = result.stderr.decode().splitlines()
    assert len(report) == len(BAD_LINES) + 1
    for (number, reason), line in zip(BAD_LINES.items(), report):
        assert line.startswith(f"{source}:{number}: skipped: ") and reason in line, line
    assert report[-1] == f"2 written, {len(BAD_LINES)} skipped"
    lines = read_lines(out)
    assert [line["id"] for line in lines] == ["ok-1", "ok-2"]
    assert lines[1]["events"] == api_answer(client, CRLF_EMOJI, "2025-06-12")["events"]


def test_jsonl_from_stdin_to_stdout() -> None:
    result = run_cli("extract", "--jsonl", "-", "-", stdin=(json.dumps({"id": 7, "text": CHIP}) + "\n").encode())
    assert result.returncode == EXIT_OK, result.stderr.decode()
    [line] = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert line["id"] == 7 and [e["type"] for e in line["events"]] == ["chip_development"]


def test_unreadable_and_undecodable_files_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Société Générale unveiled a chip.".encode("latin-1"))
    assert main(["extract", str(latin1)]) == EXIT_FAILED
    assert f"{latin1}: not valid UTF-8 (byte 4)" in capsys.readouterr().err
    assert main(["extract", str(tmp_path / "missing.txt")]) == EXIT_FAILED
    assert "missing.txt: cannot read: No such file or directory" in capsys.readouterr().err
    assert main(["extract", "--jsonl", str(tmp_path / "missing.jsonl"), str(tmp_path / "out.jsonl")]) == EXIT_FAILED
    assert "missing.jsonl" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    pytest.param([], id="no-input"),
    pytest.param(["a.txt", "--jsonl", "in", "out"], id="files-and-jsonl"),
    pytest.param(["a.txt", "--event-types", "ipo,weather"], id="unknown-type"),
    pytest.param(["a.txt", "--document-date", "12/06/2025"], id="bad-date"),
    pytest.param(["a.txt", "--processes", "0"], id="zero-processes"),
    pytest.param(["--jsonl", "in", "out", "--document-date", "2025-06-12"], id="date-with-jsonl"),
])
def test_wrong_usage_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract", *args])
    assert exc.value.code == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal shows tqdm's bar, counted in lines of IN."""
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": CHIP}) + "\n" for i in range(5)), encoding="utf-8")
    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, where tqdm draws nothing; a real one has a size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        result = run_cli("extract", "--jsonl", str(source), str(out), stderr=follower)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert result.returncode == EXIT_OK
    assert b"5/5" in shown and b"line" in shown, shown
    assert len(read_lines(out)) == 5
