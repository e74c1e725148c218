"""Live progress: what a terminal shows (replayed through a small terminal model), what a CI log gets, and
that the backends hand over every build line."""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path

import pytest

from reprocheck.cli._engine import ProgressPrinter
from reprocheck.errors import UsageError
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.text import plain_text
from reprocheck.progress import OutputLine


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(written: str) -> list[str]:
    """The lines a terminal shows after ``written``: handles \\n, \\r, cursor up (ESC[nA), clear below (ESC[J)."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[\d*[AJ]|\r|\n|[^\x1b\r\n]+", written):
        if token == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif token == "\r":
            col = 0
        elif token.endswith("A"):
            row = max(0, row - int(token[2:-1] or 1))
        elif token.endswith("J"):
            lines[row] = lines[row][:col]
            del lines[row + 1 :]
        else:
            lines[row] = lines[row][:col] + token + lines[row][col + len(token) :]
            col += len(token)
    return [line for line in lines if line]


def test_live_shows_the_current_step_its_time_and_the_last_lines_of_its_output():
    clock, tty = Clock(), Tty()
    printer = ProgressPrinter("auto", stream=tty, clock=clock, tick=None)
    assert printer.mode == "live"
    printer("Docker engine 20.10 at unix:///var/run/docker.sock")
    printer("Step 1/3 : FROM python:3.11")
    clock.now += 0.4
    printer("Step 2/3 : RUN pip install numpy")
    for k in range(8):
        clock.now += 2
        printer(OutputLine(f"\x1b[32mCollecting package-{k}\x1b[0m"))
    shown = screen(tty.getvalue())
    assert shown[0] == "Docker engine 20.10 at unix:///var/run/docker.sock"
    assert re.fullmatch(r"\s*0\.4s Step 1/3 : FROM python:3.11", shown[1])  # finished: its time stays
    assert re.fullmatch(r"\s*16\.0s Step 2/3 : RUN pip install numpy", shown[2])  # current: elapsed
    assert [line.split("│ ")[1] for line in shown[3:]] == [f"Collecting package-{k}" for k in range(3, 8)]
    assert "\x1b[32m" not in tty.getvalue()
    clock.now += 1
    printer.done()
    shown = screen(tty.getvalue())
    assert re.fullmatch(r"\s*17\.0s Step 2/3 : RUN pip install numpy", shown[-1])  # the output is gone
    assert len(shown) == 3


def test_live_elapsed_time_ticks_without_output():
    tty = Tty()
    printer = ProgressPrinter("live", stream=tty, tick=0.02)
    printer("Step 1/1 : RUN sleep 60")
    deadline = time.monotonic() + 30
    while tty.getvalue().count("Step 1/1") < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    printer.done()
    assert tty.getvalue().count("Step 1/1") >= 3  # redrawn by the ticker, not by new output


def test_plain_prints_every_line_with_step_timings():
    clock, log = Clock(), io.StringIO()
    printer = ProgressPrinter("auto", stream=log, clock=clock)
    assert printer.mode == "plain"
    printer("Step 1/2 : FROM python:3.11")
    printer(OutputLine(" ---> 1a2b3c4d"))
    clock.now += 18.25
    printer("Step 2/2 : RUN pip install numpy")
    printer(OutputLine("Downloading 10%\rDownloading 100%"))
    clock.now += 1
    printer("#7 [2/3] RUN echo hi")
    printer(OutputLine("#7 0.21 hi"))
    printer.done()
    assert log.getvalue().splitlines() == [
        "reprocheck: Step 1/2 : FROM python:3.11",
        "     ---> 1a2b3c4d",
        "reprocheck: Step 1/2 done in 18.2 s",
        "reprocheck: Step 2/2 : RUN pip install numpy",
        "    Downloading 100%",
        "reprocheck: Step 2/2 done in 1.0 s",
        "reprocheck: #7 [2/3] RUN echo hi",
        "    #7 0.21 hi",
        "reprocheck: #7 [2/3] done in 0.0 s",
    ]


def test_quiet_prints_nothing_and_unknown_modes_are_usage_errors():
    log = Tty()
    printer = ProgressPrinter("quiet", stream=log)
    printer("Step 1/1 : FROM scratch")
    printer(OutputLine("output"))
    printer.done()
    assert log.getvalue() == ""
    with pytest.raises(UsageError, match=r"loud.*auto, live, plain, quiet"):
        ProgressPrinter("loud")


def test_findings_never_carry_terminal_escapes():
    raw = "\x1b[1;31mERROR\x1b[0m: no matching distribution\r\nDownloading 10%\rDownloading 100%\n\x1b]0;title\x07done"
    finding = Finding("RC801", Severity.ERROR, "\x1b[31mbuild failed\x1b[0m", Location("Dockerfile", 3), hint=raw)
    assert finding.message == "build failed"
    assert finding.hint == "ERROR: no matching distribution\nDownloading 100%\ndone"
    assert plain_text("plain text\twith a tab") == "plain text\twith a tab"  # nothing to clean: unchanged


@pytest.mark.engine
@pytest.mark.parametrize("buildkit", [False, True], ids=["classic", "buildkit"])
def test_backends_hand_every_build_line_to_progress(buildkit: bool, tmp_path: Path):
    from reprocheck.backend.base import BuildRequest
    from tests.support.engine import BASE_IMAGE, engine_or_skip

    backend = engine_or_skip()
    marker = uuid.uuid4().hex[:12]
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nRUN echo out-{marker} && echo err-{marker} >&2\n")
    tag = f"reprocheck-test/progress:{marker}"
    seen: list[str] = []
    try:
        result = backend.build(
            BuildRequest(
                tmp_path,
                tmp_path / "Dockerfile",
                tag,
                labels={"io.reprocheck.run": marker},
                buildkit=buildkit,
                no_cache=True,
            ),
            seen.append,
        )
    finally:
        backend.remove_image(tag)
    assert result.ok, result.error
    heads = [s for s in seen if not isinstance(s, OutputLine)]
    outputs = [s for s in seen if isinstance(s, OutputLine)]
    assert any("RUN echo" in h for h in heads)
    assert any(f"out-{marker}" in o for o in outputs) and any(f"err-{marker}" in o for o in outputs)


@pytest.mark.engine
def test_on_a_terminal_the_build_is_shown_live_on_stderr_and_stdout_stays_clean(tmp_path: Path):
    """The real command with stderr on a pseudo-terminal: the live display redraws there (steps with their
    times); the JSON report on stdout carries no escape."""
    import json
    import os
    import pty
    import subprocess
    import sys

    from tests.support.engine import BASE_IMAGE, engine_or_skip, project_objects, remove_project

    backend = engine_or_skip()
    marker = uuid.uuid4().hex[:12]
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN for i in 1 2 3; do echo tick-{marker}-$i; sleep 1; done\n"
    )
    (tmp_path / "requirements.txt").write_text("")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reprocheck", "verify", "--format", "json", "--no-reuse"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(slave)
    shown = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            shown += chunk
        out, _ = proc.communicate(timeout=900)
    finally:
        os.close(master)
        remove_project(backend, tmp_path)  # the image it built, and only that
    assert project_objects(backend, tmp_path) == ([], [], [])
    text = shown.decode("utf-8", "replace")
    assert "\x1b[J" in text  # redrawn in place, not scrolled
    assert re.search(r"\d+\.\ds Step 2/\d+ : RUN for i in", text)  # a finished step keeps its time
    assert f"tick-{marker}-3" in text  # the step's own output, shown under it
    assert "\x1b" not in out.decode() and json.loads(out)["version"] == 1
