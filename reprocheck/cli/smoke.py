"""``reprocheck smoke``: build the image, run the prediction in a sandbox, compare with the golden output."""

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
    GpusOpt,
    IgnoreOpt,
    ImageOpt,
    IsolatedOpt,
    NoCacheOpt,
    NoReuseOpt,
    Outputs,
    ProgressChoice,
    ProgressOpt,
    ProjectArg,
    SelectOpt,
    ThresholdOpt,
    build_args,
)
from ._output import pair_outputs


def smoke(
    project: ProjectArg = Path("."),
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    image: ImageOpt = None,
    dockerfile: DockerfileOpt = None,
    context: ContextOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    no_reuse: NoReuseOpt = False,
    gpus: GpusOpt = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    failure_threshold: ThresholdOpt = None,
    fmt: Formats = None,
    output: Outputs = None,
    progress: ProgressOpt = ProgressChoice.AUTO,
    color: ColorOpt = ColorChoice.AUTO,
) -> int:
    """Build the image and prove the model predicts inside it what it predicted on this machine."""
    from reprocheck.model.rule import Stage
    from reprocheck.runtime.options import RunOptions

    from ._pipeline import judging, render, run_pipeline

    pairs = pair_outputs(fmt or [], output or [])
    options = RunOptions(
        project=project,
        stages=frozenset({Stage.SMOKE}),
        **judging(config, isolated, select, extend_select, ignore, failure_threshold),
        image=image,
        dockerfile=dockerfile,
        context=context,
        build_args=build_args(build_arg),
        no_cache=no_cache,
        no_reuse=no_reuse,
        gpus=gpus,
    )
    return render(run_pipeline(options, progress), pairs, color)
