"""Load a project for the Docker side: its configuration (found from the project directory upwards, never
from the working directory; ``--config`` wins, ``--isolated`` reads none), what to build, and the specs of
the stages (``[tool.reprocheck.smoke]``, ``verify``, ``rebuild``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from reprocheck.errors import ConfigError, UsageError
from reprocheck.lint.config import find_config, reprocheck_table
from reprocheck.lint.project import display
from reprocheck.lint.run import LintOptions
from reprocheck.model.build import ImageSource
from reprocheck.rebuild.spec import RebuildSpec, load_rebuild
from reprocheck.smoke.spec import SmokeSpec, parse_spec
from reprocheck.verify.spec import VerifySpec, load_verify

from .options import RunOptions

SMOKE_TABLE_HINT = """[tool.reprocheck.smoke]
command = ["python", "predict.py"]   # the prediction, in exec form
golden = "golden.json"               # recorded on this machine by `reprocheck record`"""


@dataclass(frozen=True)
class Configured:
    """The configuration of a project: the file (None: defaults) and how findings are judged."""

    root: Path  # the project directory, resolved
    config: Path | None
    judging: LintOptions

    @property
    def shown(self) -> str | None:
        return display(self.config) if self.config else None

    @cached_property
    def _read(self) -> tuple[dict[str, Any], str]:
        """The reprocheck table and the file's text, read and parsed once for every stage's spec."""
        return reprocheck_table(self.config) if self.config is not None else ({}, "")

    def table(self) -> dict[str, Any]:
        return self._read[0]

    @property
    def text(self) -> str:
        return self._read[1]


@dataclass(frozen=True)
class LoadedProject:
    configured: Configured
    source: ImageSource
    smoke: SmokeSpec | None  # None: no smoke table (or one about another Dockerfile)
    smoke_missing: str  # why there is no smoke spec, for the note
    verify: VerifySpec
    rebuild: RebuildSpec


def configure(options: RunOptions) -> Configured:
    """The project's configuration file and the judging options (select, ignore, severities, threshold)."""
    root = options.project.resolve()
    if not root.is_dir():
        raise UsageError(f"`{display(options.project)}` is not a directory")
    config: Path | None
    if options.config is not None:
        if not options.config.is_file():
            raise UsageError("config file not found", path=str(options.config))
        config = options.config
    elif options.isolated:
        config = None
    else:
        config = find_config(root)
    judging = LintOptions(
        select=options.select,
        extend_select=options.extend_select,
        ignore=options.ignore,
        failure_threshold=options.failure_threshold,
        config=str(config) if config else None,
        isolated=config is None,  # never the working directory's configuration
        debug=options.debug,
        baseline=str(options.baseline) if options.baseline else None,
    )
    return Configured(root, config, judging)


def _smoke_spec(configured: Configured, table: dict[str, Any]) -> SmokeSpec | None:
    smoke = table.get("smoke")
    if configured.config is None or smoke is None:
        return None
    if not isinstance(smoke, dict):
        raise ConfigError("`smoke` must be a table", path=configured.shown)
    if "command" not in smoke and "serve" not in smoke and "cases" not in smoke:
        return None  # only what to build (dockerfile, context...): no prediction to run
    return parse_spec(smoke, configured.config.parent.resolve(), configured.shown or "", configured.text)


def _source(options: RunOptions, configured: Configured, table: dict[str, Any], smoke: SmokeSpec | None) -> ImageSource:
    """What to build: the smoke spec's image unless ``--dockerfile`` names another, else the project's
    Dockerfile with the context its COPY lines need; ``--context`` and ``--build-arg`` apply on top."""
    if smoke is not None and (options.dockerfile is None or _same(options.dockerfile, smoke.dockerfile)):
        source = smoke.source
    else:
        from reprocheck.confine import ProjectRoot
        from reprocheck.lint.table import ConfigTable

        raw = table.get("smoke")
        section: dict[str, Any] = raw if isinstance(raw, dict) else {}
        t = ConfigTable(section, configured.shown or "", configured.text, "smoke")
        base = configured.config.parent.resolve() if configured.config is not None else configured.root
        project = ProjectRoot.of(base)
        # the table's context, confined to the project: resolved once, when the table decides what to build
        from_table = options.dockerfile is None and ("dockerfile" in section or "context" in section)
        ctx_dir = (
            project.path_of(t.string("context", ".") or ".", t.failer("context"), must="dir") if from_table else base
        )
        if options.dockerfile is not None:  # the command line's choice: the user's own, not the project's
            df = options.dockerfile.resolve()
        elif "dockerfile" in section:
            df = project.path_of(t.string("dockerfile") or "Dockerfile", t.failer("dockerfile"), base=ctx_dir)
        else:
            df = configured.root / "Dockerfile"
        if not df.is_file():
            raise UsageError(f"no Dockerfile at `{display(df)}` (give one with --dockerfile)")
        if options.context is None and "context" in section and options.dockerfile is None:
            ctx = ctx_dir
        else:
            from reprocheck.lint.project import choose_context
            from reprocheck.parsing.dockerfile import parse_dockerfile

            ctx, _ = choose_context(df, parse_dockerfile(df.read_bytes(), display(df)), None)
        name = (ctx if ctx.name else df.parent).name or "project"
        keep = int(t.number("keep-images", 2, minimum=1, maximum=100, integer=True))
        source = ImageSource(name, ctx, df, root=base, keep_images=keep)
    if options.context is not None:
        source = replace(source, context=options.context.resolve())
    if not source.context.is_dir():
        raise UsageError(f"the build context `{display(source.context)}` is not a directory")
    if options.build_args:
        source = replace(source, build_args={**source.build_args, **options.build_args})
    return source


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _gpus_option(value: str) -> str | None:
    from reprocheck.smoke.gpu import parse_gpus

    try:
        return parse_gpus(value)
    except ValueError as exc:
        raise UsageError(f"--gpus {exc}") from None


def load_project(options: RunOptions, configured: Configured | None = None) -> LoadedProject:
    configured = configured or configure(options)
    table = configured.table()
    smoke = _smoke_spec(configured, table)
    if smoke is not None and options.gpus is not None:  # --gpus (none: a CPU run whatever the spec says)
        smoke = replace(smoke, gpus=_gpus_option(options.gpus))
    source = _source(options, configured, table, smoke)
    missing = ""
    if smoke is None:
        where = configured.shown or display(configured.root / "pyproject.toml")
        missing = f"no smoke spec in {where}"
    elif options.gate and not _same(smoke.dockerfile, source.dockerfile):
        # check and audit go through every Dockerfile of a project: the spec is about one of them
        missing = f"the smoke spec of {configured.shown} is about {display(smoke.dockerfile)}"
        smoke = None
    return LoadedProject(
        configured,
        source,
        smoke,
        missing,
        load_verify(configured.config),
        load_rebuild(configured.config),
    )


def missing_smoke(configured: Configured, why: str) -> str:
    """Why no prediction was run, and the exact table that would run one."""
    from .scaffold import detect

    name = configured.shown or display(configured.root / "pyproject.toml")
    table = SMOKE_TABLE_HINT if name.endswith("pyproject.toml") else SMOKE_TABLE_HINT.replace("tool.reprocheck.", "")
    script = detect(configured.root).script
    if script:
        table = table.replace('"predict.py"]', f'"{script}"]')
    return (
        f"{why}: no prediction was run. Add this table to {name} (or run `reprocheck init`), then "
        f"`reprocheck record`; or pass --no-smoke to accept a check without one:\n{table}"
    )


def smoke_spec(project: Path, config: Path | None) -> SmokeSpec:
    """The project's smoke spec (``record``): a ConfigError saying what to add when there is none."""
    configured = configure(RunOptions(project=project, config=config))
    spec = _smoke_spec(configured, configured.table())
    if spec is None:
        where = configured.shown or display(configured.root / "pyproject.toml")
        raise ConfigError(missing_smoke(configured, f"no smoke spec in {where}"))
    return spec
