"""CI configurations linted with the Dockerfile rules: a CI job installs and downloads just as a RUN does, and
its images are base images. GitHub Actions workflows and actions, GitLab CI, Azure Pipelines, Jenkinsfiles and
pre-commit configurations are read for their shell lines (``run``, ``script``, ``sh '...'``), their images
(``image``, ``services``, ``container``, ``docker://``, ``docker { image '...' }``) and the references they
pull in (``uses: owner/repo@ref``, pre-commit ``rev``), which must name a commit (RC904).

The shell lines and images become a Dockerfile with the same line numbers (a ``RUN`` or ``FROM`` on the line
where the CI file has them, YAML comments kept, so pragmas work as in a Dockerfile), linted by the rules that
judge single instructions; findings point at the CI file. A CI file that does not parse is left alone (it is
the CI system's to reject), never reported as ours."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reprocheck.model.finding import Finding
from reprocheck.model.location import Location

REF_NOT_PINNED = "RC904"
_NAMES = re.compile(
    r"(^|/)(\.github/workflows/[^/]+\.ya?ml|action\.ya?ml|\.?gitlab-ci\.ya?ml|[^/]*\.gitlab-ci\.ya?ml"
    r"|azure-pipelines[^/]*\.ya?ml|\.?pre-commit-config\.ya?ml|github-actions[^/]*\.ya?ml"
    r"|Jenkinsfile(\.[^/]+)?|[^/]+\.jenkinsfile)$"
)
_SHELL_KEYS = frozenset({"run", "script", "before_script", "after_script", "bash", "sh", "inlineScript"})
_SHA = re.compile(r"^[0-9a-f]{40}$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_][\w-]*)\1")
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]")
# Jenkinsfile (Groovy): sh 'cmd' / sh "cmd" / sh '''...''' and docker images
_JENKINS_SH = re.compile(r"""\bsh\s*\(?\s*(?:script\s*:\s*)?(?P<q>'''|\"\"\"|'|")(?P<body>.*?)(?:(?P=q)|$)""")
_JENKINS_IMAGE = re.compile(r"""\b(?:image|docker\.image)\s*\(?\s*['"](?P<image>[^'"$]+)['"]""")


def is_ci_file(path: str) -> bool:
    return _NAMES.search(path.replace("\\", "/")) is not None


class _Collected:
    def __init__(self) -> None:
        self.runs: dict[int, list[str]] = {}  # line -> shell commands
        self.images: dict[int, str] = {}  # line -> image reference
        self.refs: list[tuple[int, int, str, str]] = []  # (line, column, what, reference)

    def run(self, line: int, command: str) -> None:
        # `${{ matrix.pkg }}` (GitHub, Azure `${{ }}`/`$(var)` alike) is a value the CI fills in: a variable
        command = _EXPRESSION.sub("${CI_EXPRESSION}", command)
        # a here-document's body is data, and `<<` would open one in the Dockerfile we write: left out
        command = _HEREDOC.sub("", command).strip()
        if command:
            self.runs.setdefault(line, []).append(command)

    def shell_block(self, first_line: int, text: str) -> None:
        """Each line of a script (continuation lines joined onto the first) on its own line number."""
        pending: list[str] = []
        start = first_line
        terminator: str | None = None
        for k, line in enumerate(text.split("\n")):
            if terminator is not None:
                if line.strip() == terminator:
                    terminator = None
                continue
            heredoc = _HEREDOC.search(line)
            if heredoc is not None and "<<<" not in line:
                terminator = heredoc["word"]
            if not pending:
                start = first_line + k
            if line.rstrip().endswith("\\"):
                pending.append(line.rstrip()[:-1])
                continue
            self.run(start, " ".join([*pending, line]))
            pending = []
        if pending:
            self.run(start, " ".join(pending))


def _scalar_text(node: Any) -> tuple[int, str] | None:
    """(1-based line of the first content line, text) of a YAML scalar."""
    import yaml

    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        return None
    line = node.start_mark.line + 1
    if node.style in ("|", ">"):
        line += 1  # the content starts below the indicator
    return line, node.value


def _image_of(node: Any) -> tuple[int, str] | None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) in ("name", "image"):
                return _scalar_text(value)
        return None
    return _scalar_text(node)


def _walk_yaml(node: Any, found: _Collected, parent: Mapping[str, Any] | None = None) -> None:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk_yaml(item, found)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    keys = {getattr(k, "value", None): v for k, v in node.value}
    for key_node, value in node.value:
        key = getattr(key_node, "value", None)
        if key in _SHELL_KEYS:
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in items:
                scalar = _scalar_text(item)
                if scalar is not None:
                    found.shell_block(*scalar)
            continue
        if key in ("image", "container"):
            image = _image_of(value)
            if image is not None and image[1].strip() and "$" not in image[1]:
                found.images[image[0]] = image[1].strip()
            if isinstance(value, yaml.MappingNode):
                _walk_yaml(value, found)
            continue
        if key == "services" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                image = _image_of(item)
                if image is not None and image[1].strip() and "$" not in image[1]:
                    found.images[image[0]] = image[1].strip()
            continue
        if key == "uses":
            scalar = _scalar_text(value)
            if scalar is not None:
                _uses(scalar, value.start_mark.column + 1, found)
            continue
        if key == "rev" and "repo" in keys:
            repo = _scalar_text(keys["repo"])
            rev = _scalar_text(value)
            if repo and rev and repo[1] not in ("local", "meta") and not _SHA.match(rev[1]):
                found.refs.append((rev[0], value.start_mark.column + 1, f"pre-commit hooks `{repo[1]}`", rev[1]))
            continue
        _walk_yaml(value, found)


def _uses(scalar: tuple[int, str], column: int, found: _Collected) -> None:
    line, ref = scalar[0], scalar[1].strip()
    if ref.startswith("docker://"):
        found.images[line] = ref.removeprefix("docker://")
    elif ref.startswith("./") or "@" not in ref:
        return  # a local action: pinned by the commit that holds it
    else:
        name, _, version = ref.partition("@")
        if not _SHA.match(version):
            found.refs.append((line, column, f"action `{name}`", version))


def _jenkins(text: str, found: _Collected) -> None:
    in_block: tuple[str, int] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if in_block is not None:
            quote, _start = in_block
            body, sep, _ = line.partition(quote)
            found.run(number, body)
            if sep:
                in_block = None
            continue
        for m in _JENKINS_SH.finditer(line):
            quote, body = m["q"], m["body"]
            if len(quote) == 3 and not line[m.end("body") :].startswith(quote):
                in_block = (quote, number)
            if "$" not in body or quote != '"':
                found.run(number, body)
        for m in _JENKINS_IMAGE.finditer(line):
            found.images[number] = m["image"]


def collect(text: str, path: str) -> _Collected | None:
    """What a CI file runs, pulls and references; None when it does not parse."""
    found = _Collected()
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if "jenkinsfile" in name.lower():
        _jenkins(text, found)
        return found
    import yaml

    try:
        for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
            _walk_yaml(document, found)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    return found


def as_dockerfile(text: str, found: _Collected) -> str:
    """A Dockerfile whose line N+1 holds what the CI file's line N runs (a FROM scratch on line 1 opens the
    stage the RUNs need); comment lines are kept (pragmas), every other line is blank."""
    lines = text.split("\n")
    out = ["FROM scratch"]
    for number, line in enumerate(lines, start=1):
        if number in found.images:
            out.append(f"FROM {found.images[number]}")
        elif number in found.runs:
            out.append("RUN " + " && ".join(c.replace("\n", " ") for c in found.runs[number]))
        elif line.lstrip().startswith(("#", "//")):
            out.append("# " + line.lstrip().lstrip("#/").strip())
        else:
            out.append("")
    return "\n".join(out) + "\n"


def ref_findings(found: _Collected, path: str, severity: Any) -> list[Finding]:
    return [
        Finding(
            REF_NOT_PINNED,
            severity,
            f"{what} is referenced by `{ref}`, which its owner can move to other code",
            Location(path, line, column),
            hint="pin the full 40-character commit SHA and keep the tag as a comment (`@<sha> # v1.2.3`)",
        )
        for line, column, what, ref in found.refs
    ]


def shift(findings: Sequence[Finding], path: str) -> Iterator[Finding]:
    """The synthetic Dockerfile's findings on the CI file's lines (one line down: the opening FROM)."""
    from dataclasses import replace

    for f in findings:
        if f.location.line <= 1 or f.rule == "RC900":
            continue  # the opening FROM scratch, and what our own synthesis could not parse
        # columns are the synthetic line's, not the CI file's: left out
        loc = replace(f.location, path=path, line=f.location.line - 1, column=None, end_line=None, end_column=None)
        yield replace(f, location=loc, related=())
