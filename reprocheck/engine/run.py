"""lint_paths: discover -> parse -> dispatch rules -> severities, pragmas, sorting -> Report."""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from reprocheck import __version__
from reprocheck.errors import ConfigError, UsageError
from reprocheck.model.deps import DependencyFile, LockPair
from reprocheck.model.dockerfile import Dockerfile, RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.project import Project
from reprocheck.model.report import Report
from reprocheck.model.rule import Needs
from reprocheck.parsing.depfiles import parse_dependency_file
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rules import ALL_RULES, META, Rule, RuleContext

from .config import Config, find_config, load_config
from .deps import DepPragmas, follow_includes, lock_pairs
from .discover import FileKind, Target, discover
from .pragmas import collect
from .project import DepLoader, build_project
from .selection import Selection, unknown_selectors


@dataclass(frozen=True, slots=True)
class LintOptions:
    """Everything a lint run takes besides the paths. CLI flags win over the config file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    failure_threshold: Severity | None = None
    config: str | None = None
    isolated: bool = False  # ignore every config file
    stdin: bytes | None = None
    stdin_filename: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    debug: bool = False  # let internal errors propagate instead of reporting them on the file


def _config(options: LintOptions, start: Path | None = None) -> Config:
    """``--isolated``: none; ``--config``: that file; else the nearest to ``start`` (a directory; default: the
    working directory), so that a command judges a project by the project's own configuration."""
    if options.isolated:
        return Config()
    if options.config:
        path = Path(options.config)
        if not path.is_file():
            raise UsageError("config file not found", path=options.config)
        return load_config(path)
    return load_config(find_config(start or Path.cwd()))


def _search_start(path: str, stdin_filename: str | None = None) -> Path:
    """Where the configuration search starts for a path given on the command line: a directory itself, a file
    its directory, standard input the directory of ``--stdin-filename`` (else the working directory)."""
    if path == "-":
        return Path(stdin_filename).parent if stdin_filename else Path.cwd()
    p = Path(path)
    return p if p.is_dir() else p.parent


def _selection(config: Config, options: LintOptions) -> Selection:
    select = options.select if options.select is not None else (config.select or ("ALL",))
    select = (*select, *config.extend_select, *options.extend_select)
    ignore = (*config.ignore, *options.ignore)
    metas = list(META.values())
    for where, sels in (
        ("--select", options.select or ()),
        ("--ignore", options.ignore),
        ("--extend-select", options.extend_select),
    ):
        bad = unknown_selectors(sels, metas)
        if bad:
            raise UsageError(f"{where}: `{bad[0]}` names no rule (see `reprocheck rules`)")
    for key, sels in (
        ("select", config.select or ()),
        ("ignore", config.ignore),
        ("extend-select", config.extend_select),
        ("severity", tuple(config.severity)),
    ):
        bad = unknown_selectors(sels, metas)
        if bad:
            from .config import key_line

            text = Path(config.path).read_text(encoding="utf-8") if config.path else ""
            raise ConfigError(
                f"{key}: `{bad[0]}` names no rule (see `reprocheck rules`)",
                path=config.path,
                line=key_line(text, bad[0]) or key_line(text, key),
            )
    return Selection(tuple(select), tuple(ignore), dict(config.severity))


class Dispatcher:
    """Rules grouped by the node type they subscribe to, built once per run."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.by_type: dict[type, list[Rule]] = defaultdict(list)
        for r in rules:
            if r.check is not None and r.meta.needs is Needs.STATIC:
                for t in r.on:
                    self.by_type[t].append(r)

    def rules_for(self, node: object) -> Iterator[Rule]:
        for cls in type(node).__mro__:
            yield from self.by_type.get(cls, ())

    def run(self, node: object, path: str, dockerfile: Dockerfile | None, options: dict[str, Any]) -> Iterator[Finding]:
        for r in self.rules_for(node):
            assert r.check is not None
            yield from r.check(node, RuleContext(r.meta, path, dockerfile, options))


def _walk_dockerfile(df: Dockerfile) -> Iterator[object]:
    yield df
    for ins in df.instructions:
        yield ins
        if isinstance(ins, RunInstruction):
            yield from ins.commands
            yield from ins.installs


def lint_dockerfile(
    df: Dockerfile, dispatcher: Dispatcher, options: dict[str, Any], project: Project | None = None
) -> list[Finding]:
    """Raw findings of one parsed Dockerfile (parse issues included; with its project, the cross-file
    checks too), with the Dockerfile's pragmas applied. Findings on other files are returned unmarked."""
    out = [Finding("RC900", META["RC900"].severity, i.message, Location(df.path, i.line, i.column)) for i in df.issues]
    for node in _walk_dockerfile(df):
        out.extend(dispatcher.run(node, df.path, df, options))
    if project is not None:
        out.extend(dispatcher.run(project, df.path, df, options))
    pragmas = collect(df.comments, df.instructions, META)
    out.extend(Finding("RC901", META["RC901"].severity, msg, Location(df.path, line)) for line, msg in pragmas.invalid)
    marked = []
    for f in dict.fromkeys(out):  # the same message twice on one line (if/else branches) is said once
        why = pragmas.suppression(f.rule, f.location.line) if f.location.path == df.path else None
        marked.append(f.suppressed(why) if why else f)
    return marked


def _read(target: Target, options: LintOptions) -> bytes | Finding:
    if target.fs_path is None:
        return options.stdin or b""
    try:
        return target.fs_path.read_bytes()
    except OSError as exc:
        return Finding("RC900", Severity.ERROR, f"cannot read: {exc.strerror or exc}", Location(target.path, 1))


def _per_file_ignored(path: str, rule: str, config: Config) -> bool:
    for glob, sels in config.per_file_ignores.items():
        matches = fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(os.path.basename(path), glob)
        if matches and any(s.upper() == "ALL" or rule.startswith(s.upper()) or s == META[rule].name for s in sels):
            return True
    return False


class _Run:
    """One lint run: Dockerfiles with their projects, then every dependency file met on the way."""

    def __init__(self, options: LintOptions, dispatcher: Dispatcher, rule_options: dict[str, Any]) -> None:
        self.options = options
        self.dispatcher = dispatcher
        self.rule_options = rule_options
        self.loader = DepLoader()
        self.stdin_deps: list[DependencyFile] = []
        self.findings: list[Finding] = []
        self.projects: list[Project] = []

    def guarded(self, path: str, work: Callable[[], list[Finding]]) -> None:
        try:
            self.findings.extend(work())
        except RecursionError:
            self.findings.append(Finding("RC900", Severity.ERROR, "too deeply nested to parse", Location(path, 1)))
        except Exception as exc:
            if self.options.debug:
                raise
            # A bug of ours must not stop a run over hundreds of files: report it on the file and go on.
            message = f"internal error while linting this file ({type(exc).__name__}: {exc}); please report it"
            self.findings.append(Finding("RC900", Severity.ERROR, message, Location(path, 1)))

    def target(self, target: Target) -> None:
        data = _read(target, self.options)
        if isinstance(data, Finding):
            self.findings.append(data)
            return
        if target.kind is FileKind.DOCKERFILE:
            self.guarded(target.path, lambda: self._dockerfile(target, data))
        else:
            self.guarded(target.path, lambda: self._dependency(target, data))

    def _dockerfile(self, target: Target, data: bytes) -> list[Finding]:
        df = parse_dockerfile(data, target.path)
        project = None
        if target.fs_path is not None:
            platform = str(self.rule_options.get("platform") or "linux/amd64")
            project = build_project(df, target.fs_path, self.loader, target.root, platform)
            self.projects.append(project)
        return lint_dockerfile(df, self.dispatcher, self.rule_options, project)

    def _dependency(self, target: Target, data: bytes) -> list[Finding]:
        assert target.dep_kind is not None
        if target.fs_path is None:
            self.stdin_deps.append(parse_dependency_file(data, target.path, target.dep_kind))
        else:
            self.loader.load(target.fs_path, target.dep_kind, shown=target.path)
        return []

    def finish(self) -> None:
        pairs: list[LockPair] = []

        def prepare() -> list[Finding]:
            follow_includes(self.loader)
            pairs.extend(lock_pairs(self.loader))
            return []

        self.guarded("-", prepare)
        for f in [*self.loader.files.values(), *self.stdin_deps]:
            self.guarded(f.path, partial(self._dep_findings, f))
        for pair in pairs:
            self.guarded(pair.lock.path, partial(self._pair_findings, pair))
        self._dep_pragmas()

    def _pair_findings(self, pair: LockPair) -> list[Finding]:
        return list(self.dispatcher.run(pair, pair.lock.path, None, self.rule_options))

    def _dep_findings(self, f: DependencyFile) -> list[Finding]:
        out = [
            Finding("RC900", META["RC900"].severity, i.message, Location(f.path, i.line, i.column)) for i in f.issues
        ]
        out.extend(self.dispatcher.run(f, f.path, None, self.rule_options))
        return out

    def _dep_pragmas(self) -> None:
        texts = self.loader.texts()
        cache: dict[str, DepPragmas] = {}
        for k, f in enumerate(self.findings):
            text = texts.get(f.location.path)
            if text is None or f.suppressed_by:
                continue
            pragmas = cache.setdefault(f.location.path, DepPragmas(text, dict(META)))
            why = pragmas.suppression(f.rule, f.location.line)
            if why:
                self.findings[k] = f.suppressed(why)

    def shown_files(self, targets: Sequence[Target]) -> tuple[str, ...]:
        shown = [t.path for t in targets]
        extra = sorted({f.path for f in self.loader.files.values()} - set(shown))
        return tuple(shown + extra)


def judged(
    findings: Iterable[Finding],
    files: Sequence[str],
    options: LintOptions | None = None,
    notes: Sequence[str] = (),
) -> Report:
    """A Report of findings made elsewhere (smoke, verify, rebuild), with the configuration's selection,
    severities, per-file ignores and threshold applied as for lint."""
    options = options or LintOptions()
    config = _config(options, _search_start(files[0]) if files else None)
    selection = _selection(config, options)
    out: list[Finding] = []
    for f in dict.fromkeys(findings):
        meta = META[f.rule]
        if not selection.enabled(meta) or _per_file_ignored(f.location.path, f.rule, config):
            continue
        sev = selection.severity_of(meta)
        out.append(f.with_severity(sev) if sev is not f.severity else f)
    out.sort(key=lambda f: f.sort_key)
    return Report(
        findings=tuple(out),
        rules={rid: META[rid] for rid in sorted({f.rule for f in out})},
        files=tuple(files),
        tool_version=__version__,
        threshold=options.failure_threshold or config.failure_threshold,
        notes=tuple(notes),
    )


def lint_paths(
    paths: Sequence[str], options: LintOptions | None = None, projects: list[Project] | None = None
) -> Report:
    """Lint files and directories (``-`` is stdin) and return the Report; ``projects`` collects the
    Dockerfiles followed into their contexts. Each file is judged by the configuration nearest to it (found
    from its directory upwards, as ruff does), unless ``--config`` or ``--isolated`` says otherwise: the same
    paths give the same result from any working directory."""
    options = options or LintOptions()
    paths = list(paths or ["."])
    if options.isolated or options.config:
        config = _config(options)
        targets = discover(paths, config.exclude, options.stdin_filename)
        return _lint_targets(targets, config, options, projects)
    configs: dict[Path | None, Config] = {}
    nearest: dict[Path, Path | None] = {}

    def config_of(path: Path | None) -> Config:
        if path not in configs:
            configs[path] = load_config(path)
        return configs[path]

    def nearest_to(directory: Path) -> Path | None:
        if directory not in nearest:
            nearest[directory] = find_config(directory)
        return nearest[directory]

    by_path: dict[Path | None, list[str]] = {}
    for given in paths:
        by_path.setdefault(nearest_to(_search_start(given, options.stdin_filename).absolute()), []).append(given)
    by_config: dict[Path | None, list[Target]] = {}
    for where, given_paths in by_path.items():
        for target in discover(given_paths, config_of(where).exclude, options.stdin_filename):
            # a project nested in a directory given on the command line has a configuration of its own
            own = where if target.fs_path is None else nearest_to(target.fs_path.parent.absolute())
            by_config.setdefault(own, []).append(target)
    if not by_config:
        return _lint_targets([], config_of(next(iter(by_path))), options, projects)
    reports = [_lint_targets(targets, config_of(where), options, projects) for where, targets in by_config.items()]
    return reports[0] if len(reports) == 1 else _merged(reports)


def _merged(reports: Sequence[Report]) -> Report:
    """One Report of several runs with their own configurations. The failure threshold is the strictest of
    theirs (``--failure-threshold`` set them all alike)."""
    findings = sorted(dict.fromkeys(f for r in reports for f in r.findings), key=lambda f: f.sort_key)
    rules = {rid: META[rid] for rid in sorted({f.rule for f in findings})}
    files = tuple(dict.fromkeys(path for r in reports for path in r.files))
    threshold = min((r.threshold for r in reports), key=lambda t: t.rank)
    return Report(findings=tuple(findings), rules=rules, files=files, tool_version=__version__, threshold=threshold)


def _lint_targets(
    targets: Sequence[Target], config: Config, options: LintOptions, projects: list[Project] | None
) -> Report:
    selection = _selection(config, options)
    enabled = {rid for rid, meta in META.items() if selection.enabled(meta)}
    dispatcher = Dispatcher(r for r in ALL_RULES if r.meta.id in enabled)
    rule_options: dict[str, Any] = {
        "trusted-registries": config.trusted_registries,
        "platform": config.platform,
        **options.extra,
    }
    run = _Run(options, dispatcher, rule_options)
    for target in targets:
        run.target(target)
    run.finish()
    if projects is not None:
        projects.extend(run.projects)
    findings: list[Finding] = []
    for f in dict.fromkeys(run.findings):
        if f.rule not in enabled or _per_file_ignored(f.location.path, f.rule, config):
            continue
        sev = selection.severity_of(META[f.rule])
        findings.append(f.with_severity(sev) if sev is not f.severity else f)
    findings.sort(key=lambda f: f.sort_key)
    seen_rules = {f.rule for f in findings}
    return Report(
        findings=tuple(findings),
        rules={rid: META[rid] for rid in sorted(seen_rules)},
        files=run.shown_files(targets),
        tool_version=__version__,
        threshold=options.failure_threshold or config.failure_threshold,
    )
