"""Issue 24, fault 6: text a project controls (prediction output, paths, names) reaches no terminal and no CI
runner raw, in any format. Every reporter in ``FORMATS`` gets the same hostile strings in every field."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from reprocheck.cli._engine import ProgressPrinter
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.report import Report, StageResult
from reprocheck.model.safe import safe_json, safe_text
from reprocheck.progress import OutputLine
from reprocheck.report import FORMATS, renderer
from reprocheck.rules import META

HOSTILE = (
    "OSC52\x1b]52;c;ZWNobyBwd25lZA==\x07",  # writes the clipboard
    "TITLE\x1b]0;pwned title\x1b\\",  # window title
    "CLEAR\x1b[2J\x1b[H",  # clear screen
    "C1\x9b31m\x9d0;t\x07\x85",  # the same in 8-bit controls, and NEL
    "::error::pwned error",
    "::add-mask::secret",
    "   ::warning::pwned warning",
    "\t::notice::tab first",
    "##vso[task.setvariable variable=X]pwned",
    "##[error]pwned azure",
    "BIDI\u202etxt.exe",
    "BYTE\udcff",  # a name's byte that was not UTF-8, kept by surrogateescape
    "CR\rover",
)
PAYLOAD = "\n".join(HOSTILE)
# characters no output may hold raw: C0 but newline and tab, DEL, C1, line separators, bidi, BOM, surrogates
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
# the workflow commands a reporter may write itself (--format github); anything else at a line's start is live
OWN_COMMAND = re.compile(r"::(error|warning|notice) (file=|title=reprocheck::)")


def hostile_report() -> Report:
    path = "svc/\x1b]0;x\x07::error::name\udcfe/Dockerfile"
    findings = tuple(
        Finding(
            rule,
            severity,
            f"prediction failed:\n{PAYLOAD}",
            Location(path, 3, 1),
            hint=f"look at\n{PAYLOAD}",
            cause=f"cause\n{PAYLOAD}",
            evidence=HOSTILE,
            suppressed_by=suppressed,
        )
        for rule, severity, suppressed in (
            ("RC801", Severity.ERROR, None),
            ("RC301", Severity.INFO, None),
            ("RC201", Severity.WARNING, f"pragma\n{PAYLOAD}"),
        )
    )
    rules = {f.rule: META[f.rule] for f in findings}
    stages = (
        StageResult("smoke", "failed", 1.0, f"stderr: {PAYLOAD}", 1),
        StageResult("verify", "skipped", 0.0, PAYLOAD),
        StageResult("lint", "passed", 0.1, PAYLOAD),
    )
    return Report(findings, rules, (path, "b/\x9b2J"), "0", notes=(PAYLOAD,), stages=stages)


def assert_safe(out: str) -> None:
    raw = RAW.search(out)
    assert raw is None, f"raw {raw.group()!r} near {out[max(raw.start() - 40, 0) : raw.end() + 40]!r}"
    out.encode("utf-8")  # no lone surrogate left to fail the write
    for line in out.splitlines():
        rest = line.lstrip()
        if rest.startswith("::"):
            assert OWN_COMMAND.match(rest), line
        assert not rest.startswith("##["), line
    assert "##vso[task.setvariable" not in out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_reporter_writes_project_text_raw(fmt: str):
    out = renderer(fmt)(hostile_report())
    assert_safe(out)
    if fmt != "statistics":  # counts per rule: it quotes no finding
        assert "pwned" in out  # shown, not dropped
    if fmt in ("json", "sarif"):
        json.loads(out)
    if fmt == "junit":
        ET.fromstring(out)  # XML 1.0 allows no controls: the escapes keep it well-formed


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_colour_adds_only_the_reporters_own_escapes(fmt: str):
    out = renderer(fmt)(hostile_report(), color=True)
    assert_safe(re.sub(r"\x1b\[[0-9;]*m", "", out))  # colours are ours; nothing else may be an escape


def test_visible_forms():
    assert safe_text("a\x1b]52;c;eA==\x07b") == "a\\x1b]52;c;eA==\\x07b"
    assert safe_text("x\x9by\x85") == "x\\x9by\\x85"
    assert safe_text("::add-mask::s") == "\\::add-mask::s"
    assert safe_text("ok\n  ::error::x") == "ok\n  \\::error::x"
    assert safe_text("a ##vso[task.complete]") == "a #\\#vso[task.complete]"
    assert safe_text("f\udcffo") == "f\\xffo"
    assert safe_text("tab\tand a::b ## heading") == "tab\tand a::b ## heading"  # harmless text unchanged
    assert safe_text("\u202e") == "\\u202e"


def test_json_keeps_the_data_exact():
    value = {"m": PAYLOAD, "p": "x\udcff"}
    dumped = safe_json(json.dumps(value, ensure_ascii=False))
    assert RAW.search(dumped) is None and "##vso[" not in dumped
    assert json.loads(dumped) == value


def test_json_report_round_trips_the_hostile_message():
    data = json.loads(renderer("json")(hostile_report()))
    assert data["findings"][0]["evidence"] == list(HOSTILE)


@pytest.mark.parametrize("mode", ["plain", "live"])
def test_progress_lines_are_safe(mode: str):
    stream = io.StringIO()
    printer = ProgressPrinter(mode, stream=stream, tick=None)
    printer("Running the prediction \x1b]0;t\x07")
    for line in HOSTILE:
        printer(OutputLine(line))
    printer.done()
    out = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", stream.getvalue())  # the live region's own cursor moves
    assert_safe(out.replace("\r", ""))


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_audit_rows_are_safe(fmt: str):
    from reprocheck.model.audit import Row
    from reprocheck.report.audit_table import render

    row = Row(f"proj{PAYLOAD}/Dockerfile", f"ctx{PAYLOAD}", verdict="error", error=f"failed: {PAYLOAD}")
    out = render([row], fmt)
    assert_safe(out)
    assert "pwned" in out


def test_cli_error_line_is_safe(capsys, tmp_path):
    from reprocheck.cli.app import main

    assert main(["lint", str(tmp_path / "x\x1b]52;c;eA==\x07\n::error::pwned")]) == 2
    err = capsys.readouterr().err
    assert_safe(err)
    assert "\\x1b]52" in err


def test_an_output_that_is_a_device_is_written_to_not_replaced(tmp_path):
    """`--output /dev/null` as root replaced the machine's /dev/null with a regular file (os.replace)."""
    import os
    import stat

    from reprocheck.files import write_atomic

    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write_atomic(node, "report\n")
    assert stat.S_ISCHR(node.stat().st_mode)
    (tmp_path / "plain.txt").write_text("old")
    write_atomic(tmp_path / "plain.txt", "new")
    assert (tmp_path / "plain.txt").read_text() == "new"
