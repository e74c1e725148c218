from __future__ import annotations

from reprocheck.model.dockerfile import CopyInstruction, FromInstruction, KeyValueInstruction, RunInstruction
from reprocheck.parsing.dockerfile import parse_dockerfile


def runs(df):
    return [i for i in df.instructions if isinstance(i, RunInstruction)]


def test_lines_are_one_based_and_continuations_join():
    df = parse_dockerfile('FROM a:1\n\nRUN apt-get update \\\n  && apt-get install -y x\nCMD ["x"]\n', "Dockerfile")
    run = runs(df)[0]
    assert (run.line, run.end_line) == (3, 4)
    assert [c.argv for c in run.commands] == [("apt-get", "update"), ("apt-get", "install", "-y", "x")]


def test_crlf_file():
    df = parse_dockerfile(b"FROM a:1\r\nRUN pip install x \\\r\n  y\r\n", "Dockerfile")
    assert runs(df)[0].commands[0].argv == ("pip", "install", "x", "y")
    assert df.issues == ()


def test_escape_directive_backtick():
    df = parse_dockerfile("# escape=`\nFROM a:1\nRUN echo a `\n  b\n", "Dockerfile")
    assert runs(df)[0].commands[0].argv == ("echo", "a", "b")


def test_empty_lines_inside_a_continuation_are_skipped_like_buildkit():
    df = parse_dockerfile("FROM a:1\nRUN foo \\\n\nbar \\\n\nbaz\n", "Dockerfile")
    assert df.issues == ()
    assert runs(df)[0].commands[0].argv == ("foo", "bar", "baz")


def test_comment_lines_inside_a_continuation():
    df = parse_dockerfile("FROM a:1\nRUN a \\\n# note\n  && b\n", "Dockerfile")
    assert [c.argv for c in runs(df)[0].commands] == [("a",), ("b",)]


def test_heredoc_run_is_one_instruction_with_its_script():
    text = "FROM a:1\nRUN <<EOF\napt-get update\nFROM not-an-instruction\npip install x==1\nEOF\nRUN echo after\n"
    df = parse_dockerfile(text, "Dockerfile")
    first, second = runs(df)
    assert (first.line, first.end_line) == (2, 6)
    assert [c.argv for c in first.commands] == [
        ("apt-get", "update"),
        ("FROM", "not-an-instruction"),
        ("pip", "install", "x==1"),
    ]
    assert second.line == 7
    assert len([i for i in df.instructions if isinstance(i, FromInstruction)]) == 1


def test_heredoc_with_command_and_mount_flag():
    text = "FROM a:1\nRUN --mount=type=cache,target=/root/.cache python3 - <<'PY'\nimport os\nPY\n"
    df = parse_dockerfile(text, "Dockerfile")
    run = runs(df)[0]
    assert run.flags["mount"] == "type=cache,target=/root/.cache"
    assert run.commands[0].argv == ("python3", "-")


def test_unclosed_heredoc_is_a_parse_issue():
    df = parse_dockerfile("FROM a:1\nRUN <<EOF\necho x\n", "Dockerfile")
    assert any("not closed" in i.message and i.line == 2 for i in df.issues)


def test_copy_heredoc():
    df = parse_dockerfile("FROM a:1\nCOPY <<EOF /app/x.txt\nhello\nEOF\n", "Dockerfile")
    copy = next(i for i in df.instructions if isinstance(i, CopyInstruction))
    assert copy.sources == ("<<EOF",)
    assert copy.dest == "/app/x.txt"


def test_exec_form_run():
    df = parse_dockerfile('FROM a:1\nRUN ["pip", "install", "numpy>=1"]\n', "Dockerfile")
    run = runs(df)[0]
    assert run.script is None
    assert run.commands[0].argv == ("pip", "install", "numpy>=1")


def test_invalid_json_is_shell_form_like_docker():
    df = parse_dockerfile("FROM a:1\nRUN [ -f /x ] && pip install y\n", "Dockerfile")
    assert [c.argv for c in runs(df)[0].commands] == [("[", "-f", "/x", "]"), ("pip", "install", "y")]


def test_arg_defaults_resolve_in_from_and_stage_scope():
    text = (
        "ARG BASE=python:3.11-slim\nARG VER=1.26.4\nFROM ${BASE} AS build\nARG VER\nRUN pip install numpy==$VER\n"
        "FROM build\nRUN pip install x==$VER\n"
    )
    df = parse_dockerfile(text, "Dockerfile")
    froms = [i for i in df.instructions if isinstance(i, FromInstruction)]
    assert froms[0].image.raw == "python:3.11-slim"
    assert froms[0].image.tag == "3.11-slim"
    assert froms[1].image.is_stage_ref
    first, second = runs(df)
    assert first.commands[0].argv[-1] == "numpy==1.26.4"
    assert second.commands[0].argv[-1] == "x==$VER"  # ARG is not inherited by a child stage


def test_env_is_inherited_by_child_stage_and_overrides_arg():
    text = "FROM a:1 AS base\nENV V=2\nFROM base\nARG V=9\nRUN echo $V\n"
    df = parse_dockerfile(text, "Dockerfile")
    assert runs(df)[0].commands[0].argv == ("echo", "2")


def test_from_with_unresolved_arg_and_platform_args():
    df = parse_dockerfile("ARG IMG\nFROM --platform=$BUILDPLATFORM ${IMG}\nFROM base-${TARGETARCH}:1\n", "Dockerfile")
    f1, f2 = [i for i in df.instructions if isinstance(i, FromInstruction)]
    assert f1.platform == "$BUILDPLATFORM"
    assert f1.image.unresolved == ("IMG",)
    assert f2.image.unresolved == ()


def test_image_reference_parts():
    df = parse_dockerfile("FROM localhost:5000/team/app:1.2@sha256:" + "a" * 64 + " AS x\n", "Dockerfile")
    image = df.stages[0].image
    assert (image.registry, image.repository, image.tag, image.digest) == (
        "localhost:5000",
        "team/app",
        "1.2",
        "sha256:" + "a" * 64,
    )
    assert df.stages[0].alias == "x"


def test_env_forms():
    df = parse_dockerfile('FROM a:1\nENV A=1 B="two words" C=x|y\nENV LEGACY some value\n', "Dockerfile")
    kv = [i for i in df.instructions if isinstance(i, KeyValueInstruction)]
    assert kv[0].pairs == (("A", "1"), ("B", "two words"), ("C", "x|y"))
    assert kv[1].pairs == (("LEGACY", "some value"),)


def test_onbuild_trigger_is_parsed():
    df = parse_dockerfile("FROM a:1\nONBUILD RUN pip install x\n", "Dockerfile")
    run = runs(df)[0]
    assert run.onbuild and run.commands[0].argv == ("pip", "install", "x")


def test_shell_instruction_non_posix_shell_skips_parsing():
    df = parse_dockerfile('FROM a:1\nSHELL ["powershell", "-Command"]\nRUN Install-Module -Force "x\n', "Dockerfile")
    assert runs(df)[0].commands == ()
    assert df.issues == ()


def test_issues_are_reported_not_raised():
    df = parse_dockerfile(b"FROM a:1\nFORM x\nENV PATH\nRUN echo 'x\n\xff\xfe\n", "Dockerfile")
    messages = {(i.line, i.message.split(":")[0]) for i in df.issues}
    assert (2, "unknown instruction `FORM`") in messages
    assert any(line == 3 and "needs a value" in m for line, m in messages)
    assert any(line == 4 and m.startswith("RUN does not parse as shell") for line, m in messages)
    assert (5, "not valid UTF-8") in messages


def test_empty_comment_only_and_fragment_files():
    assert parse_dockerfile("", "D").issues[0].message == "no instructions: the file is empty"
    assert parse_dockerfile("# x\n\n", "D").issues[0].message == "no instructions: the file holds only comments"
    frag = parse_dockerfile("RUN pip install x\n", "D")
    assert "no FROM instruction" in frag.issues[0].message
    assert runs(frag)[0].installs[0].packages[0].name == "x"


def test_instruction_before_first_from_is_an_issue():
    df = parse_dockerfile("RUN x\nFROM a:1\n", "D")
    assert df.issues[0].line == 1 and "before the first FROM" in df.issues[0].message


# ---- the linear instruction splitter agrees with dockerfile-parse's `structure`

_SPLITTER_SAMPLES = [
    "FROM a\nRUN echo 1 \\\n  && echo 2\n# c\nRUN x \\\n# inner comment\n  y\n",
    "# escape=`\nFROM a\nRUN echo `\n  two\n",
    "FROM a\nRUN \\\n\\\n  late start\nCMD\nRUN trailing \\",
    "  from   a  \n\tRUN\tx\r\nRUN y \\ \r\n  z\r\nENV A=1 \\\n\n",
    "FROM a\nRUN a\x0cb\nRUN c\u2028d \\\n e\n",
    "#syntax=docker/dockerfile:1\n#escape=\\\nFROM a\nONBUILD RUN x \\\n y\nRUN only\n",
    "",
    "\n\n   \n",
]


def _both_splitters(text: str):
    import io

    from dockerfile_parse import DockerfileParser

    from reprocheck.parsing.dockerfile import _prepare, _structure, split_lines

    theirs = [
        (e["instruction"], e["startline"], e["endline"], e["value"] or "")
        for e in DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False).structure
    ]
    ours = [tuple(e) for e in _structure(split_lines(text), _prepare(text).escape)]
    return ours, theirs


def test_splitter_agrees_with_dockerfile_parse_on_samples():
    for text in _SPLITTER_SAMPLES:
        ours, theirs = _both_splitters(text)
        assert ours == theirs, text


def test_splitter_agrees_with_dockerfile_parse_on_the_corpus():
    import os

    from tests.conftest import corpus_or_skip

    root = corpus_or_skip()
    count = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if "ockerfile" in name or "ontainerfile" in name:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    text = fh.read().decode("utf-8", errors="replace")
                ours, theirs = _both_splitters(text)
                assert ours == theirs, name
                count += 1
    assert count > 700


def test_one_run_of_many_continuation_lines_parses():
    df = parse_dockerfile("FROM a\nRUN echo start \\\n" + "    && echo next \\\n" * 20000 + "    && true\n", "D")
    run = df.instructions[1]
    assert isinstance(run, RunInstruction) and len(run.commands) == 20002
