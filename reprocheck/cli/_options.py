"""Options the commands declare alike: one declaration each, so the same option means the same thing (and
shows the same help) everywhere. Choices are typed: a wrong value exits 2 naming the accepted ones."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from reprocheck.report import FORMATS


class ProgressChoice(enum.StrEnum):
    AUTO = "auto"
    PLAIN = "plain"
    QUIET = "quiet"


class ColorChoice(enum.StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class ThresholdChoice(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FormatChoice(enum.StrEnum):
    """The report formats (``reprocheck.report.FORMATS``; a test keeps the two equal)."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    STATISTICS = "statistics"
    GITLAB = "gitlab"
    AZURE = "azure"
    SONAR = "sonar"
    CHECKSTYLE = "checkstyle"
    CONCISE = "concise"


# ---- the project and its configuration

ProjectArg = Annotated[
    Path,
    typer.Argument(
        help="The project directory; its configuration is found from there upwards.",
        metavar="[PROJECT]",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Configuration file (default: the nearest .reprocheck.toml, reprocheck.toml, or pyproject.toml "
        "with a [tool.reprocheck] table, upwards from what is checked).",
        show_default=False,
    ),
]
IsolatedOpt = Annotated[bool, typer.Option("--isolated", help="Ignore all configuration files.")]
ExitZeroOpt = Annotated[
    bool,
    typer.Option("--exit-zero", help="Report only: exit 0 whatever is found (2 still means a usage or fatal error)."),
]

# ---- judging, as lint does

SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select", metavar="RULE", help="Rules to run (id, name, or prefix such as RC8); replaces the config's."
    ),
]
ExtendSelectOpt = Annotated[
    list[str] | None, typer.Option("--extend-select", metavar="RULE", help="Rules to add to the selection.")
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option("--ignore", metavar="RULE", help="Rules to skip, added to the config's ignore."),
]
ThresholdOpt = Annotated[
    ThresholdChoice | None,
    typer.Option("--failure-threshold", help="Lowest severity that fails the run.", show_default=False),
]

# ---- reports

Formats = Annotated[
    list[FormatChoice] | None,
    typer.Option("--format", "-f", metavar="FORMAT", help=f"Report format, repeatable: {', '.join(FORMATS)}."),
]
Outputs = Annotated[
    list[str] | None,
    typer.Option("--output", "-o", metavar="FILE", help="File for the --format at the same position ('-': stdout)."),
]
StatisticsOpt = Annotated[
    bool,
    typer.Option("--statistics", help="Print how many findings each rule gave instead of the findings themselves."),
]
ProgressOpt = Annotated[
    ProgressChoice,
    typer.Option("--progress", help="Progress on stderr: live on a terminal (auto), plain lines, or none."),
]
ColorOpt = Annotated[ColorChoice, typer.Option("--color", help="Colour the text report (auto: on a terminal).")]

# ---- the image

ImageOpt = Annotated[
    str | None,
    typer.Option("--image", metavar="IMAGE", help="Check this image (built elsewhere) instead of building."),
]
DockerfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--dockerfile", metavar="FILE", help="Dockerfile to build (default: the smoke spec's, else PROJECT/Dockerfile)."
    ),
]
ContextOpt = Annotated[
    Path | None,
    typer.Option("--context", metavar="DIR", help="Build context (default: the smoke spec's, else found from COPY)."),
]
BuildArgOpt = Annotated[
    list[str] | None,
    typer.Option("--build-arg", metavar="KEY=VALUE", help="Build argument, repeatable; wins over the config's."),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Build from scratch: no layer cache, no reuse of an image.")
]
NoReuseOpt = Annotated[
    bool,
    typer.Option("--no-reuse", help="Build even if an image of the same inputs exists (the layer cache is used)."),
]
OnlineOpt = Annotated[bool, typer.Option("--online", help="Also compare base images with their registries' digests.")]
GpusOpt = Annotated[
    str | None,
    typer.Option(
        "--gpus",
        metavar="all|N|none",
        help="Run the smoke prediction with GPUs (overrides the smoke spec's `gpus`; none: on the CPU).",
    ),
]


def split_rules(values: list[str] | None) -> tuple[str, ...] | None:
    """``--select RC1,RC3 --select RC2`` -> (RC1, RC3, RC2); None when not given."""
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def build_args(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise typer.BadParameter(f"`{item}` is not KEY=VALUE", param_hint="'--build-arg'")
        out[key] = value
    return out
