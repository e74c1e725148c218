"""The image a project's stages run against: the one given (``--image``), one already built from the same
inputs (reused by the inputs digest label), or a fresh build; and RC801 when the build fails."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from reprocheck.backend.base import (
    DIGEST_LABEL,
    BuildRequest,
    BuildResult,
    ContainerBackend,
    ImageInfo,
    Progress,
)
from reprocheck.backend.inputs import image_name, inputs_digest
from reprocheck.errors import ConfigError
from reprocheck.lint.project import display
from reprocheck.model.build import ImageSource
from reprocheck.model.finding import Finding
from reprocheck.model.location import Location
from reprocheck.rules.runtime import BUILD_FAILED

from .buildkit import needs_buildkit

_STEP = re.compile(r"^Step (\d+)/\d+ : ")


@dataclass(frozen=True)
class Obtained:
    image: str | None  # None when the build failed
    build: BuildResult | None  # None when reused or given
    reused: bool
    notes: tuple[str, ...] = ()
    info: ImageInfo | None = None  # the reused image as just inspected

    @property
    def how(self) -> str:
        if self.build is None and not self.reused:
            return "given"
        return "reused (inputs unchanged)" if self.reused else "built"


def obtain_image(
    backend: ContainerBackend,
    source: ImageSource,
    progress: Progress,
    image_ref: str | None = None,
    no_cache: bool = False,
    rebuild: bool = False,
) -> Obtained:
    """The image to check. An image whose inputs digest label matches is reused unless ``rebuild``/``no_cache``."""
    from reprocheck.backend.base import PROJECT_LABEL, project_id

    backend.use_project(source.root or source.context)
    if image_ref is not None:
        if backend.inspect(image_ref) is None:
            raise ConfigError(f"image `{image_ref}` is not on the engine (reprocheck never pulls)")
        return Obtained(image_ref, None, False, (f"checked image {image_ref} as given (not built)",))
    digest = inputs_digest(source, source.volatile)
    project = project_id(source.root or source.context)
    # the tag names the project's directory too (the hash ending its id): two checkouts with the same inputs on
    # one engine (CI workspaces) would otherwise move one tag between them, and miss the look-up below
    tag = f"{image_name(source.project)}:{digest[:16]}-{project.rsplit('-', 1)[-1]}"
    if not (no_cache or rebuild):
        wanted = {DIGEST_LABEL: digest, PROJECT_LABEL: project}
        # the tag this digest was built under first: one look-up, where listing the engine's images by label
        # costs a scan of them all; the scan is for a tag moved or removed since
        tagged = backend.inspect(tag)
        found = [tagged] if tagged and all(tagged.labels.get(k) == v for k, v in wanted.items()) else []
        for info in found or backend.find_images(wanted):
            if tag not in info.tags:  # found by the scan: tagged, so that the next run finds it by the tag
                with contextlib.suppress(Exception):
                    backend.tag(info.id, tag)
                    info = replace(info, tags=(*info.tags, tag))
            note = f"reused image {tag} ({info.id[7:19]}): the build inputs are unchanged"
            return Obtained(tag if tag in info.tags else info.id, None, True, (note,), info)
    notes: list[str] = []
    reasons = needs_buildkit(source.dockerfile)
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
        project_root=source.root or source.context,
    )
    result = backend.build(request, progress)
    if result.ok:
        notes.append(f"built {tag} with the {result.builder} builder in {result.seconds:.1f} s")
        removed = backend.prune_cache(source.keep_images, spare=result.image_id)
        if removed:
            notes.append(
                f"removed {len(removed)} older cached image(s) of this project (keep-images = {source.keep_images})"
            )
    return Obtained(tag if result.ok else None, result, False, tuple(notes))


def build_finding(build: BuildResult, dockerfile: Path) -> Finding:
    """BUILD_FAILED at the Dockerfile line of the step that failed, with the end of the build log."""
    line = 1
    m = _STEP.match(build.failed_step or "")
    if m:
        line = instruction_line(dockerfile, int(m.group(1)))
    from reprocheck.evidence import pick_explanatory

    tail = "\n".join(pick_explanatory(build.log_tail, limit=16, tail=6))
    where = f" at `{build.failed_step}`" if build.failed_step else ""
    return BUILD_FAILED.finding(
        Location(display(dockerfile), line),
        f"the image does not build{where}: {build.error}",
        hint=f"what the build log says (explanatory lines and its end):\n{tail}",
    )


def instruction_line(dockerfile: Path, step: int) -> int:
    """The line of the N-th instruction (the classic builder's ``Step N/M``)."""
    from reprocheck.parsing.dockerfile import parse_dockerfile

    df = parse_dockerfile(dockerfile.read_bytes(), str(dockerfile))
    instructions = df.instructions  # ARG before FROM and ONBUILD lines are steps too
    return instructions[step - 1].line if 0 < step <= len(instructions) else 1
