"""``reprocheck verify``: does the image hold exactly what the lock and the Dockerfile say?"""

from __future__ import annotations

from pathlib import Path

from ._options import (
    BuildArgOpt,
    ColorChoice,
    ColorOpt,
    ConfigOpt,
    ContextOpt,
    DockerfileOpt,
    ExtendSelectOpt,
    Formats,
    IgnoreOpt,
    ImageOpt,
    IsolatedOpt,
    NoCacheOpt,
    NoReuseOpt,
    OnlineOpt,
    Outputs,
    ProgressChoice,
    ProgressOpt,
    ProjectArg,
    SelectOpt,
    ThresholdOpt,
    build_args,
)
from ._output import pair_outputs


def verify(
    project: ProjectArg = Path("."),
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    image: ImageOpt = None,
    dockerfile: DockerfileOpt = None,
    context: ContextOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    no_reuse: NoReuseOpt = False,
    online: OnlineOpt = False,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressOpt = ProgressChoice.AUTO,
    color: ColorOpt = ColorChoice.AUTO,
) -> int:
    """List the Python and OS packages inside the image (no network) and compare them with the lock and the
    Dockerfile's pins; report the Python version and a root user."""
    from reprocheck.model.rule import Stage
    from reprocheck.runtime.options import RunOptions

    from ._pipeline import judging, render, run_pipeline

    pairs = pair_outputs(fmt or [], output or [])
    options = RunOptions(
        project=project,
        stages=frozenset({Stage.VERIFY}),
        **judging(config, isolated, select, extend_select, ignore, failure_threshold),
        image=image,
        dockerfile=dockerfile,
        context=context,
        build_args=build_args(build_arg),
        no_cache=no_cache,
        no_reuse=no_reuse,
        online=online,
    )
    return render(run_pipeline(options, progress), pairs, color)
