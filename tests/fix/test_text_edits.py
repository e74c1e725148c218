"""Edits on the original text, and the diffs of them: pure, plus the real git for `git apply`."""

from __future__ import annotations

from pathlib import Path

from reprocheck.fix.machinery.diff import unified_diff
from reprocheck.fix.text.edits import Edit, Source, apply_edits
from tests.fix.conftest import git_apply

CRLF = (
    b"# syntax comment stays\r\n"
    b"FROM python:3.11   # the base\r\n"
    b"RUN apt-get update && \\\r\n"
    b"    apt-get install -y curl  # tools\r\n"
)


def test_edits_keep_crlf_comments_and_continuations():
    src = Source.from_bytes("Dockerfile", CRLF)
    edits = [
        Edit("Dockerfile", 2, 5, 16, "python:3.11@sha256:" + "a" * 64),
        Edit("Dockerfile", 4, 23, 27, "curl=7.88.1-10"),
    ]
    text, applied, skipped = apply_edits(src, edits)
    assert len(applied) == 2 and not skipped
    out = src.encode(text)
    assert out == CRLF.replace(b"python:3.11 ", b"python:3.11@sha256:" + b"a" * 64 + b" ").replace(
        b"curl  #", b"curl=7.88.1-10  #"
    )
    assert out.count(b"\r\n") == 4 and b"\n" not in out.replace(b"\r\n", b"")


def test_a_newline_in_a_replacement_takes_the_line_ending_of_the_file():
    src = Source.from_bytes("Dockerfile", b"FROM a\r\nRUN x\r\n")
    text, _, _ = apply_edits(src, [Edit("Dockerfile", 2, 5, 5, " \\\n    && y")])
    assert src.encode(text) == b"FROM a\r\nRUN x \\\r\n    && y\r\n"


def test_overlapping_edits_keep_the_first_and_skip_the_rest():
    src = Source.from_bytes("Dockerfile", b"FROM abc\n")
    text, applied, skipped = apply_edits(
        src, [Edit("Dockerfile", 1, 5, 8, "x"), Edit("Dockerfile", 1, 6, 7, "y"), Edit("Dockerfile", 9, 0, 0, "z")]
    )
    assert text == "FROM x\n" and len(applied) == 1 and len(skipped) == 2


def test_bom_and_invalid_bytes_survive():
    data = b"\xef\xbb\xbfFROM a\n# caf\xe9\n"
    src = Source.from_bytes("Dockerfile", data)
    text, _, _ = apply_edits(src, [Edit("Dockerfile", 1, 5, 6, "b:1")])
    assert src.encode(text) == b"\xef\xbb\xbfFROM b:1\n# caf\xe9\n"


def test_diff_applies_with_git_apply_crlf_and_no_final_newline(tmp_path: Path):
    before = "FROM a:1\r\n# keep\r\nRUN x \\\r\n  && y"
    after = "FROM a:1@sha256:" + "b" * 64 + "\r\n# keep\r\nRUN x \\\r\n  && y=2"
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "Dockerfile"
    target.write_bytes(before.encode())
    patch = unified_diff("sub/Dockerfile", before, after) + unified_diff("sub/new.txt", None, "one\ntwo\n")
    r = git_apply(tmp_path, patch)
    assert r.returncode == 0, r.stderr
    assert target.read_bytes() == after.encode()
    assert (tmp_path / "sub" / "new.txt").read_text() == "one\ntwo\n"


def test_no_change_no_diff():
    assert unified_diff("Dockerfile", "FROM a\n", "FROM a\n") == ""
