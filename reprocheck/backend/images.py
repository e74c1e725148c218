"""Get the image a project's checks run against: the one given, one already built from the same inputs, or
a fresh build (with BuildKit through the CLI when the Dockerfile needs it). Shared by smoke, verify, check."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reprocheck.backend.base import DIGEST_LABEL, BuildRequest, BuildResult, ContainerBackend, Progress
from reprocheck.backend.inputs import image_name, inputs_digest
from reprocheck.errors import ConfigError
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location

_STEP = re.compile(r"^Step (\d+)/\d+ : ")


@dataclass(frozen=True)
class ImageSource:
    """What a build reads: context, Dockerfile, target and build arguments; ``project`` names the image."""

    project: str
    context: Path
    dockerfile: Path
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Obtained:
    image: str | None  # None when the build failed
    build: BuildResult | None  # None when reused or given
    reused: bool
    notes: tuple[str, ...] = ()


def buildkit_reasons(dockerfile: Path) -> list[str]:
    from reprocheck.backend.buildkit_cli import buildkit_reasons as reasons
    from reprocheck.parsing.dockerfile import parse_dockerfile

    return reasons(parse_dockerfile(dockerfile.read_bytes(), str(dockerfile)))


def obtain_image(
    backend: ContainerBackend,
    source: ImageSource,
    progress: Progress,
    image_ref: str | None = None,
    no_cache: bool = False,
    rebuild: bool = False,
) -> Obtained:
    """The image to check. An image whose inputs digest label matches is reused unless ``rebuild``/``no_cache``."""
    if image_ref is not None:
        if backend.inspect(image_ref) is None:
            raise ConfigError(f"image `{image_ref}` is not on the engine (reprocheck never pulls)")
        return Obtained(image_ref, None, False, (f"checked image {image_ref} as given (not built)",))
    digest = inputs_digest(source)
    tag = f"{image_name(source.project)}:{digest[:16]}"
    if not (no_cache or rebuild):
        for info in backend.find_images({DIGEST_LABEL: digest}):
            note = f"reused image {tag} ({info.id[7:19]}): the build inputs are unchanged"
            return Obtained(tag if tag in info.tags else info.id, None, True, (note,))
    notes: list[str] = []
    reasons = buildkit_reasons(source.dockerfile)
    if reasons:
        notes.append(f"built with BuildKit through the docker CLI: {', '.join(reasons[:3])} need it")
    request = BuildRequest(
        context=source.context,
        dockerfile=source.dockerfile,
        tag=tag,
        build_args=source.build_args,
        target=source.target,
        labels={DIGEST_LABEL: digest},  # no run id: an unchanged build stays fully cached
        no_cache=no_cache,
        buildkit=bool(reasons),
    )
    result = backend.build(request, progress)
    if result.ok:
        notes.append(f"built {tag} with the {result.builder} builder in {result.seconds:.1f} s")
    return Obtained(tag if result.ok else None, result, False, tuple(notes))


def build_finding(build: BuildResult, dockerfile: Path, shown: str | None = None) -> Finding:
    """RC801 at the Dockerfile line of the step that failed, with the end of the build log."""
    from reprocheck.rules import META

    line = 1
    m = _STEP.match(build.failed_step or "")
    if m:
        line = instruction_line(dockerfile, int(m.group(1)))
    from reprocheck.evidence import pick_explanatory

    tail = "\n".join(pick_explanatory(build.log_tail, limit=16, tail=6))
    where = f" at `{build.failed_step}`" if build.failed_step else ""
    return Finding(
        "RC801",
        META["RC801"].severity,
        f"the image does not build{where}: {build.error}",
        Location(shown or str(dockerfile), line),
        hint=f"what the build log says (explanatory lines and its end):\n{tail}",
    )


def instruction_line(dockerfile: Path, step: int) -> int:
    """The line of the N-th instruction (the classic builder's ``Step N/M``)."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    df = parse_dockerfile(dockerfile.read_bytes(), str(dockerfile))
    instructions = df.instructions  # ARG before FROM and ONBUILD lines are steps too
    return instructions[step - 1].line if 0 < step <= len(instructions) else 1
