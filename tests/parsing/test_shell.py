from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprocheck.parsing.shell import ShellSyntaxError, cook, docker_words, expand_vars, parse_script


def argvs(script: str, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    return [c.argv for c in parse_script(script, env or {}, 1, 0)]


def test_lists_and_operators_split_commands():
    assert argvs("a 1 && b 2 || c 3; d 4 & e 5") == [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "4"),
        ("e", "5"),
    ]


def test_newlines_and_line_continuations():
    assert argvs("apt-get update \\\n && apt-get install -y \\\n    curl\n echo done") == [
        ("apt-get", "update"),
        ("apt-get", "install", "-y", "curl"),
        ("echo", "done"),
    ]


def test_quotes_are_removed_and_kept_together():
    assert argvs("""pip install "numpy>=1.24" 'scipy < 2' x\\ y""") == [
        ("pip", "install", "numpy>=1.24", "scipy < 2", "x y")
    ]


def test_ansi_c_quotes():
    assert argvs("echo $'a\\'b\\n' next") == [("echo", "a'b\n", "next")]


def test_pipeline_records_downstream_readers():
    cmds = parse_script("curl -fsSL https://x/install.sh | sudo bash -s -- -y | tee log", {}, 1, 0)
    curl = cmds[0]
    assert curl.name == "curl"
    assert curl.downstream == ("bash", "tee")


def test_substitution_in_command_position_is_executed():
    cmds = parse_script('sh -c "$(curl -fsSL https://x/i.sh)"', {}, 1, 0)
    curl = next(c for c in cmds if c.name == "curl")
    assert "sh" in curl.downstream


def test_substitution_as_argument_is_read_by_the_command():
    cmds = parse_script("echo $(curl -s https://x) > f", {}, 1, 0)
    curl = next(c for c in cmds if c.name == "curl")
    assert curl.downstream == ("echo",)


def test_process_substitution_feeds_the_outer_command():
    cmds = parse_script("bash <(wget -qO- https://x)", {}, 1, 0)
    wget = next(c for c in cmds if c.name == "wget")
    assert wget.downstream == ("bash",)


def test_sh_c_script_is_parsed_with_options():
    cmds = parse_script("/bin/bash -euo pipefail -c 'pip install a && apt-get install -y b'", {}, 1, 0)
    assert ("pip", "install", "a") in [c.argv for c in cmds]
    assert ("apt-get", "install", "-y", "b") in [c.argv for c in cmds]
    assert {c.context for c in cmds if c.name in ("pip", "apt-get")} == {"sh -c"}


def test_compound_commands_are_flattened():
    script = (
        "if [[ -n $A && $B == *x* ]]; then pip install a; elif true; then :; else pip install b; fi; "
        "for p in x y; do pip install $p; done; "
        "case $ARCH in amd64) apt-get install -y c ;; arm64|aarch64) apk add d ;; esac; "
        "while false; do echo w; done; f() { echo fn; }; (cd /x && make); { echo g; }"
    )
    names = [c.argv[0] for c in parse_script(script, {}, 1, 0)]
    assert names == [
        "[[",
        "pip",
        "true",
        ":",
        "pip",
        "pip",
        "apt-get",
        "apk",
        "false",
        "echo",
        "echo",
        "cd",
        "make",
        "echo",
    ]


def test_double_brackets_keep_their_operators_inside():
    cmds = parse_script("[[ -f a && -f b ]] && pip install c", {}, 1, 0)
    assert cmds[0].argv == ("[[", "-f", "a", "-f", "b", "]]")
    assert cmds[1].argv == ("pip", "install", "c")


def test_assignments_prefix_and_redirections():
    (cmd,) = parse_script("DEBIAN_FRONTEND=noninteractive apt-get install -y x >/dev/null 2>&1", {}, 1, 0)
    assert cmd.argv == ("apt-get", "install", "-y", "x")
    assert cmd.assignments == ("DEBIAN_FRONTEND=noninteractive",)
    assert [(r.op, r.target) for r in cmd.redirects] == [(">", "/dev/null"), (">&", "1")]


def test_heredoc_bodies_are_not_commands_unless_run_by_a_shell():
    cmds = parse_script(
        "cat > /x <<'EOF'\npip install inside\nEOF\nbash <<EOS\npip install run\nEOS\necho done", {}, 1, 0
    )
    argv = [c.argv for c in cmds]
    assert ("pip", "install", "inside") not in argv
    assert ("pip", "install", "run") in argv
    assert ("echo", "done") in argv


def test_dockerfile_style_heredoc_script_without_a_command():
    cmds = parse_script("<<EOF\napt-get update\npip install x==1\nEOF", {}, 1, 0)
    assert [c.argv for c in cmds] == [("apt-get", "update"), ("pip", "install", "x==1")]


def test_wrappers_expose_the_inner_command():
    cmds = parse_script(
        "sudo -u app env A=1 conda run -n base pip install x; timeout 60 uv run --frozen pytest", {}, 1, 0
    )
    inner = [c.argv for c in cmds if c.context == "wrapper"]
    assert ("pip", "install", "x") in inner
    assert ("pytest",) in inner


def test_known_variables_are_expanded():
    env = {"V": "1.26.4", "PKGS": "a b"}
    assert argvs('pip install numpy==$V "x==${V}" ${MISSING:-dflt} ${V:+set} $UNKNOWN', env) == [
        ("pip", "install", "numpy==1.26.4", "x==1.26.4", "dflt", "set", "$UNKNOWN")
    ]


def test_nested_braces_in_expansion():
    assert expand_vars("/cuda/bin${PATH:+:${PATH}}", {"PATH": "/usr/bin"}) == "/cuda/bin:/usr/bin"
    assert expand_vars("${PATH:+:${PATH}}", {}) == "${PATH:+:${PATH}}"


def test_cook_handles_mixed_quoting():
    assert cook("""a"b $X"'$X'""", {"X": "1"}) == "ab 1$X"


def test_docker_words_split_on_whitespace_only():
    assert docker_words('A=x|y B="1 2" C=cuda>=12.8 D=a\\ b') == [
        "A=x|y",
        'B="1 2"',
        "C=cuda>=12.8",
        "D=a\\ b",
    ]


@pytest.mark.parametrize("script", ["echo 'open", 'echo "open', "echo `open", "echo $(open", "echo ${open"])
def test_unterminated_constructs_raise_our_error(script: str):
    with pytest.raises(ShellSyntaxError):
        parse_script(script, {}, 1, 0)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab =$(){}[]|&;<>'\"`\\\n#*!-_")), max_size=60))
def test_random_scripts_raise_only_shell_syntax_errors(script: str):
    try:
        cmds = parse_script(script, {"a": "b"}, 1, 0)
    except ShellSyntaxError:
        return
    for c in cmds:
        assert isinstance(c.argv, tuple)
