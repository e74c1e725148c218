"""lint_paths: discover -> parse -> dispatch rules -> severities, pragmas, sorting -> Report."""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field, replace
from functools import partial
from pathlib import Path
from typing import Any

from reprocheck import __version__
from reprocheck.errors import ConfigError, UsageError
from reprocheck.model._value import valueclass
from reprocheck.model.deps import DependencyFile, LockPair
from reprocheck.model.dockerfile import Dockerfile, RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.location import Location
from reprocheck.model.ml import MlProject
from reprocheck.model.project import Project
from reprocheck.model.report import Report
from reprocheck.model.rule import Needs
from reprocheck.parsing.depfiles import parse_dependency_file
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rules import ALL_RULES, META, Rule, RuleContext

from .config import Config, find_config, load_config
from .deps import follow_includes, lock_pairs
from .discover import FileKind, Target, discover, shown_roots
from .files import DEFAULT_MAX_FILE_SIZE, Unreadable, forget_roots, read_file
from .pragmas import Pragmas, collect, collect_inline, refused_pragmas
from .pragmas import collect as collect_pragmas
from .project import DepLoader, build_project
from .selection import Selection, unknown_selectors
from .suppressions import UNUSED, PerFileIgnore, per_file_ignores, unused_per_file_ignores, unused_pragmas


@valueclass(slots=True)
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
    hadolint_config: str | None = None  # default: the nearest .hadolint.yaml, unless isolated
    baseline: str | None = None  # report only findings whose fingerprint this file does not hold
    write_baseline: str | None = None  # record the active findings' fingerprints here
    exit_zero: bool = False  # report, never fail (the exit code is 0 whatever is found)


def _own_config(options: LintOptions, start: Path | None = None) -> Config:
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


def _config(options: LintOptions, notes: list[str] | None = None, start: Path | None = None) -> Config:
    """reprocheck's configuration, completed by a ``.hadolint.yaml`` where it is silent; both the nearest to
    ``start`` (default: the working directory) unless given."""
    config = _own_config(options, start)
    hl_path: Path | None
    if options.hadolint_config:
        hl_path = Path(options.hadolint_config)
        if not hl_path.is_file():
            raise UsageError("hadolint config file not found", path=options.hadolint_config)
    elif options.isolated:
        return config
    else:
        from .hadolint import find_hadolint_config

        hl_path = find_hadolint_config((start or Path.cwd()).absolute())
    if hl_path is None:
        return config
    from .hadolint import load_hadolint_config, merge

    cli = (*(options.select or ()), *options.extend_select)
    merged, said = merge(config, load_hadolint_config(hl_path), META, cli)
    if notes is not None:
        notes.extend(said)
    return merged


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


def lint_selection(options: LintOptions) -> Selection:
    """The rules a run with these options enables (config and command line merged)."""
    return _selection(_config(options), options)


class Dispatcher:
    """Rules grouped by the node type they subscribe to, built once per run."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.by_type: dict[type, list[Rule]] = defaultdict(list)
        self.static: set[str] = set()  # static rules that run (those whose findings can be suppressed here)
        for r in rules:
            if r.meta.needs is Needs.STATIC:
                self.static.add(r.meta.id)
            if r.check is not None and r.meta.needs is Needs.STATIC:
                for t in r.on:
                    self.by_type[t].append(r)

    def wants(self, node_type: type) -> bool:
        return bool(self.by_type.get(node_type))

    def rules_for(self, node: object) -> Iterator[Rule]:
        for cls in type(node).__mro__:
            yield from self.by_type.get(cls, ())

    def run(self, node: object, path: str, dockerfile: Dockerfile | None, options: dict[str, Any]) -> Iterator[Finding]:
        for r in self.rules_for(node):
            assert r.check is not None
            yield from r.check(node, RuleContext(r.meta, path, dockerfile, options))


def _walk_dockerfile(df: Dockerfile) -> Iterator[object]:
    yield df
    yield from df.image_refs()
    for ins in df.instructions:
        yield ins
        if isinstance(ins, RunInstruction):
            yield from ins.commands
            yield from ins.installs


def lint_dockerfile(
    df: Dockerfile,
    dispatcher: Dispatcher,
    options: dict[str, Any],
    project: Project | None = None,
    extra: Sequence[object] = (),
) -> list[Finding]:
    """Raw findings of one parsed Dockerfile (parse issues included; with its project, the cross-file
    checks too), with the Dockerfile's pragmas applied. Findings on other files are returned unmarked."""
    out = [Finding("RC900", META["RC900"].severity, i.message, Location(df.path, i.line, i.column)) for i in df.issues]
    for node in _walk_dockerfile(df):
        out.extend(dispatcher.run(node, df.path, df, options))
    if project is not None:
        out.extend(dispatcher.run(project, df.path, df, options))
    for node in extra:  # nodes built beside the project (the ML rules' MlProject)
        out.extend(dispatcher.run(node, df.path, df, options))
    pragmas = collect(df.comments, df.instructions, META, df.path)
    out.extend(Finding("RC901", META["RC901"].severity, msg, Location(df.path, line)) for line, msg in pragmas.invalid)
    if options.get("disallow-inline-ignores"):
        return [*dict.fromkeys(out), *refused_pragmas(pragmas)]
    marked = []
    for f in dict.fromkeys(out):  # the same message twice on one line (if/else branches) is said once
        why = pragmas.suppression(f.rule, f.location.line) if f.location.path == df.path else None
        marked.append(f.suppressed(why) if why else f)
    if UNUSED in dispatcher.static:
        # a command whose program is a variable (`$TOOL install x`) may be what a pragma is for: not judged
        opaque = {
            ins.line
            for ins in df.instructions
            if isinstance(ins, RunInstruction) and any(c.argv and "$" in c.argv[0] for c in ins.commands)
        }
        records = [r for r in pragmas.records if r.target not in opaque and not (r.target is None and opaque)]
        marked.extend(unused_pragmas(records, marked, dispatcher.static, META[UNUSED].severity))
    return marked


def lint_ci_file(path: str, data: bytes, dispatcher: Dispatcher, options: dict[str, Any]) -> list[Finding]:
    """A CI configuration, through the single-instruction rules (see ``ci_files``), with its pragmas."""
    from .ci_files import REF_NOT_PINNED, as_dockerfile, collect, ref_findings, shift

    text = data.decode("utf-8", errors="replace")
    found = collect(text, path)
    if found is None:
        return []
    df = parse_dockerfile(as_dockerfile(text, found), path)
    raw: list[Finding] = []
    for node in _walk_dockerfile(df):
        if node is not df:  # whole-Dockerfile rules (USER, WORKDIR, stages) say nothing about a CI job
            raw.extend(dispatcher.run(node, path, df, options))
    pragmas = collect_pragmas(df.comments, df.instructions, META, path)
    out = list(shift(raw, path))
    out.extend(Finding("RC901", META["RC901"].severity, m, Location(path, line - 1)) for line, m in pragmas.invalid)
    if REF_NOT_PINNED in dispatcher.static:
        out.extend(ref_findings(found, path, META[REF_NOT_PINNED].severity))
    if options.get("disallow-inline-ignores"):
        refused = [replace(f, location=replace(f.location, line=f.location.line - 1)) for f in refused_pragmas(pragmas)]
        return [*dict.fromkeys(out), *refused]
    marked = []
    for f in dict.fromkeys(out):
        why = pragmas.suppression(f.rule, f.location.line + 1)
        marked.append(f.suppressed(why) if why else f)
    return marked


def _read(target: Target, options: LintOptions, limit: int) -> bytes | Finding:
    """A target's bytes: a regular file, within its tree, up to the size limit (else a finding says why)."""
    if target.fs_path is None:
        return options.stdin or b""
    data = read_file(target.fs_path, target.boundary, limit)
    if isinstance(data, Unreadable):
        return Finding("RC900", Severity.ERROR, data.message, Location(target.path, 1))
    return data


def _per_file_ignored(path: str, rule: str, entries: Sequence[PerFileIgnore], used: set[PerFileIgnore]) -> bool:
    """Whether a per-file-ignores entry drops this finding (every entry that does is marked used)."""
    meta = META[rule]
    hits = [e for e in entries if e.matches(path, meta)]
    used.update(hits)
    return bool(hits)


def _finish(findings: list[Finding], texts: Mapping[str, str], options: LintOptions) -> list[Finding]:
    """Fingerprint the sorted findings, then write and apply the baseline."""
    from .baseline import apply_baseline, load_baseline, with_fingerprints, write_baseline

    out = with_fingerprints(findings, texts)
    if options.write_baseline:
        write_baseline(options.write_baseline, out)
        known = frozenset(f.fingerprint for f in out if f.fingerprint and f.suppressed_by is None)
        return apply_baseline(out, known, options.write_baseline)
    if options.baseline:
        return apply_baseline(out, load_baseline(options.baseline), options.baseline)
    return out


class _Run:
    """One lint run: Dockerfiles with their projects, then every dependency file met on the way."""

    def __init__(
        self,
        options: LintOptions,
        dispatcher: Dispatcher,
        rule_options: dict[str, Any],
        roots: Sequence[tuple[Path, str]] = (),
    ) -> None:
        self.options = options
        self.dispatcher = dispatcher
        self.rule_options = rule_options
        self.limit = int(rule_options.get("max-file-size") or DEFAULT_MAX_FILE_SIZE)
        self.roots = roots  # the directories linted, to name dependency files as discovery does
        self.loader = DepLoader(self.limit, roots)
        self.templates: list[str] = []
        self.stdin_deps: list[DependencyFile] = []
        self.findings: list[Finding] = []
        self.projects: list[Project] = []
        self.ml_cache: dict[object, list[tuple[str, int]]] = {}  # the ML scan's directory listings, for the run
        self.texts: dict[str, str] = {}  # Dockerfiles' text, for fingerprints

    def guarded(self, path: str, work: Callable[[], list[Finding]]) -> None:
        try:
            self.findings.extend(work())
        except RecursionError:
            self.findings.append(Finding("RC900", Severity.ERROR, "too deeply nested to parse", Location(path, 1)))
        except ConfigError as exc:  # a file the project wrote that docker refuses too (a .dockerignore pattern)
            where = exc.path or path
            if os.path.isabs(where) and Path(where).is_relative_to(Path.cwd()):
                where = os.path.relpath(where)
            self.findings.append(Finding("RC900", Severity.ERROR, exc.message, Location(where, exc.line or 1)))
        except Exception as exc:
            if self.options.debug:
                raise
            # A bug of ours must not stop a run over hundreds of files: report it on the file and go on.
            message = f"internal error while linting this file ({type(exc).__name__}: {exc}); please report it"
            self.findings.append(Finding("RC900", Severity.ERROR, message, Location(path, 1)))

    def _isolated(self, path: Path, work: Callable[[], object]) -> None:
        def run() -> list[Finding]:
            work()
            return []

        self.guarded(self.loader.files[path].path if path in self.loader.files else str(path), run)

    def target(self, target: Target) -> None:
        if target.kind is FileKind.TEMPLATE:
            self.templates.append(target.path)
            return
        data = _read(target, self.options, self.limit)
        if isinstance(data, Finding):
            self.findings.append(data)
            return
        if target.kind is FileKind.DOCKERFILE:
            self.guarded(target.path, lambda: self._dockerfile(target, data))
        elif target.kind is FileKind.CI:
            self.guarded(target.path, lambda: lint_ci_file(target.path, data, self.dispatcher, self.rule_options))
        else:
            self.guarded(target.path, lambda: self._dependency(target, data))

    def _dockerfile(self, target: Target, data: bytes) -> list[Finding]:
        self.texts[target.path] = data.decode("utf-8", errors="replace")
        df = parse_dockerfile(data, target.path)
        project = None
        if target.fs_path is not None:
            platform = str(self.rule_options.get("platform") or "linux/amd64")
            project = build_project(df, target.fs_path, self.loader, target.root, platform)
            self.projects.append(project)
        extra = [self._ml(project, platform)] if project is not None and self.dispatcher.wants(MlProject) else []
        return lint_dockerfile(df, self.dispatcher, self.rule_options, project, extra)

    def _ml(self, project: Project, platform: str) -> object:
        """What the ML rules judge (``lint/ml_facts``): built only when one of them runs."""
        from .ml_facts import ReadText, build_ml_project

        root = Path(project.root) if project.root else None
        read = ReadText(lambda: {f.path: real for real, f in self.loader.files.items()}, root)
        return build_ml_project(project, root, read, platform=platform, cache=self.ml_cache)

    def _dependency(self, target: Target, data: bytes) -> list[Finding]:
        assert target.dep_kind is not None
        if target.fs_path is None:
            self.stdin_deps.append(parse_dependency_file(data, target.path, target.dep_kind))
        else:
            self.loader.load(target.fs_path, target.dep_kind, shown=target.path, root=target.boundary, data=data)
        return []

    def finish(self) -> None:
        # each file's includes and lock pair on its own: one bad file cannot take the others' findings along
        follow_includes(self.loader, self._isolated)
        pairs = lock_pairs(self.loader, self._isolated)
        self.findings.extend(
            Finding("RC900", Severity.ERROR, message, Location(shown, 1))
            for shown, message in self.loader.unreadable.items()
        )
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
        pragmas: dict[str, Pragmas] = {
            path: collect_inline(text, META, path) for path, text in self.loader.texts().items()
        }
        for path, found in pragmas.items():
            self.findings.extend(
                Finding("RC901", META["RC901"].severity, msg, Location(path, line)) for line, msg in found.invalid
            )
        if self.rule_options.get("disallow-inline-ignores"):
            self.findings.extend(f for found in pragmas.values() for f in refused_pragmas(found))
            return
        for k, f in enumerate(self.findings):
            inline = pragmas.get(f.location.path)
            if inline is None or f.suppressed_by:
                continue
            why = inline.suppression(f.rule, f.location.line)
            if why:
                self.findings[k] = f.suppressed(why)
        if UNUSED in self.dispatcher.static:
            records = [r for p in pragmas.values() for r in p.records]
            self.findings.extend(unused_pragmas(records, self.findings, self.dispatcher.static, META[UNUSED].severity))

    def notes(self) -> tuple[str, ...]:
        if not self.templates:
            return ()
        more = len(self.templates) - 3
        names = ", ".join(self.templates[:3]) + (f" and {more} more" if more > 0 else "")
        return (f"skipped {len(self.templates)} template(s), not Dockerfiles until rendered: {names}",)

    def shown_files(self, targets: Sequence[Target]) -> tuple[str, ...]:
        shown = [t.path for t in targets if t.kind is not FileKind.TEMPLATE]
        extra = sorted(({f.path for f in self.loader.files.values()} | set(self.loader.unreadable)) - set(shown))
        return tuple(shown + extra)


def judged(
    findings: Iterable[Finding],
    files: Sequence[str],
    options: LintOptions | None = None,
    notes: Sequence[str] = (),
) -> Report:
    """A Report of findings made elsewhere (smoke, verify, rebuild), with the configuration's selection,
    severities, per-file ignores, baseline and threshold applied as for lint."""
    from .baseline import read_texts

    options = options or LintOptions()
    said: list[str] = []
    config = _config(options, said, _search_start(files[0]) if files else None)
    selection = _selection(config, options)
    entries = per_file_ignores(config.per_file_ignores)
    out: list[Finding] = []
    for f in dict.fromkeys(findings):
        meta = META[f.rule]
        if not selection.enabled(meta) or _per_file_ignored(f.location.path, f.rule, entries, set()):
            continue
        sev = selection.severity_for(f.severity, meta)
        out.append(f.with_severity(sev) if sev is not f.severity else f)
    out.sort(key=lambda f: f.sort_key)
    out = _finish(out, read_texts(f.location.path for f in out), replace(options, write_baseline=None))
    return Report(
        findings=tuple(out),
        rules={rid: META[rid] for rid in sorted({f.rule for f in out})},
        files=tuple(files),
        tool_version=__version__,
        threshold=options.failure_threshold or config.failure_threshold,
        notes=(*notes, *said),
        rule_url=config.rule_url,
        exit_zero=options.exit_zero or config.exit_zero,
        config_files=config_files([config]),
    )


def config_files(configs: Iterable[Config]) -> tuple[str, ...]:
    """The configuration files behind these configurations, each once, as the report shows paths."""
    from .baseline import normal_path

    return tuple(dict.fromkeys(normal_path(p) for c in configs for p in (c.path, c.hadolint_path) if p))


def lint_paths(
    paths: Sequence[str], options: LintOptions | None = None, projects: list[Project] | None = None
) -> Report:
    """Lint files and directories (``-`` is stdin) and return the Report; ``projects`` collects the
    Dockerfiles followed into their contexts. Each file is judged by the configuration nearest to it (found
    from its directory upwards, as ruff does), unless ``--config`` or ``--isolated`` says otherwise: the same
    paths give the same result from any working directory."""
    options = options or LintOptions()
    paths = list(paths or ["."])
    forget_roots()
    whole_tree = all(os.path.isdir(p) for p in paths)  # a partial run proves no per-file-ignores entry unused
    groups: list[tuple[Config, list[str], list[Target]]] = []
    if options.isolated or options.config:
        notes: list[str] = []
        config = _config(options, notes)
        groups.append((config, notes, discover(paths, config.exclude, options.stdin_filename)))
    else:
        groups = _by_nearest_config(paths, options)
    parts = [_lint_group(targets, config, options, projects, whole_tree) for config, _notes, targets in groups]
    findings = sorted(dict.fromkeys(f for part in parts for f in part.findings), key=lambda f: f.sort_key)
    texts = {path: text for part in parts for path, text in part.texts.items()}
    findings = _finish(findings, texts, options)
    # several projects with their own thresholds in one run fail at the strictest (a Report has one threshold)
    thresholds = [options.failure_threshold or config.failure_threshold for config, _notes, _targets in groups]
    return Report(
        findings=tuple(findings),
        rules={rid: META[rid] for rid in sorted({f.rule for f in findings})},
        files=tuple(dict.fromkeys(path for part in parts for path in part.files)),
        tool_version=__version__,
        threshold=min(thresholds, key=lambda t: t.rank) if thresholds else Severity.WARNING,
        rule_url=next((config.rule_url for config, _notes, _targets in groups if config.rule_url), ""),
        exit_zero=options.exit_zero or any(config.exit_zero for config, _notes, _targets in groups),
        config_files=config_files(config for config, _notes, _targets in groups),
        notes=tuple(
            dict.fromkeys(
                [*(note for _config, notes, _targets in groups for note in notes), *(n for p in parts for n in p.notes)]
            )
        ),
    )


def _by_nearest_config(paths: Sequence[str], options: LintOptions) -> list[tuple[Config, list[str], list[Target]]]:
    """The targets of ``paths`` grouped by the configuration nearest to each (reprocheck's and hadolint's,
    found from the file's directory upwards), with each configuration's notes."""
    from .hadolint import find_hadolint_config

    nearest: dict[Path, tuple[Path | None, Path | None]] = {}
    loaded: dict[tuple[Path | None, Path | None], tuple[Config, list[str]]] = {}

    def key_of(directory: Path) -> tuple[Path | None, Path | None]:
        directory = directory.absolute()
        if directory not in nearest:
            hadolint = None if options.hadolint_config else find_hadolint_config(directory)
            nearest[directory] = (find_config(directory), hadolint)
        return nearest[directory]

    def config_of(key: tuple[Path | None, Path | None], start: Path) -> Config:
        if key not in loaded:
            notes: list[str] = []
            loaded[key] = (_config(options, notes, start), notes)
        return loaded[key][0]

    by_start: dict[tuple[Path | None, Path | None], tuple[Path, list[str]]] = {}
    for given in paths:
        start = _search_start(given, options.stdin_filename)
        by_start.setdefault(key_of(start), (start, []))[1].append(given)
    by_key: dict[tuple[Path | None, Path | None], list[Target]] = {}
    starts: dict[tuple[Path | None, Path | None], Path] = {}
    for key, (start, given_paths) in by_start.items():
        starts.setdefault(key, start)
        by_key.setdefault(key, [])
        for target in discover(given_paths, config_of(key, start).exclude, options.stdin_filename):
            # a project nested in a directory given on the command line has a configuration of its own
            own = key if target.fs_path is None else key_of(target.fs_path.parent)
            if own not in starts and target.fs_path is not None:
                starts[own] = target.fs_path.parent
            by_key.setdefault(own, []).append(target)
    out = []
    for key, targets in by_key.items():
        config = config_of(key, starts[key])
        out.append((config, loaded[key][1], targets))
    return out


@valueclass(slots=True)
class _Part:
    """The findings of the files judged by one configuration, before fingerprints and the baseline."""

    findings: list[Finding]
    files: tuple[str, ...]
    texts: dict[str, str]
    notes: tuple[str, ...] = ()


def _lint_group(
    targets: Sequence[Target], config: Config, options: LintOptions, projects: list[Project] | None, whole_tree: bool
) -> _Part:
    selection = _selection(config, options)
    enabled = {rid for rid, meta in META.items() if selection.enabled(meta)}
    dispatcher = Dispatcher(r for r in ALL_RULES if r.meta.id in enabled)
    rule_options: dict[str, Any] = {
        "trusted-registries": config.trusted_registries,
        "platform": config.platform,
        "max-file-size": config.max_file_size,
        "disallow-inline-ignores": config.disallow_inline_ignores,
        **options.extra,
    }
    run = _Run(options, dispatcher, rule_options, shown_roots(targets))
    workers = 1
    # many Dockerfiles: several processes, same report (one Dockerfile, the pre-commit case, never imports the pool)
    if projects is None and sum(1 for t in targets if t.kind is FileKind.DOCKERFILE) > 1:
        from .parallel import lint_targets, workers_for

        workers = workers_for(targets, options.stdin)
    # The collector off while files are linted: what they leave alive (parsed locks, findings) would be
    # walked again and again by young-generation collections, ~15% of a corpus lint, and they leave almost
    # no cycles (packaging's marker parser leaves a few closures, for the next full collection).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if workers > 1:
            lint_targets(run, targets, workers)
        else:
            for target in targets:
                run.target(target)
        run.finish()
    finally:
        # everything allocated meanwhile goes to the oldest generation at once (freeze moves it out and
        # resets the young count, unfreeze moves it back there): the first collection after the loop would
        # otherwise walk all of it (~0.2 s on the corpus)
        gc.freeze()
        gc.unfreeze()
        if collecting:
            gc.enable()
    if projects is not None:
        projects.extend(run.projects)
    entries = per_file_ignores(config.per_file_ignores)
    used: set[PerFileIgnore] = set()
    kept = [
        f
        for f in dict.fromkeys(run.findings)
        if f.rule in enabled and not _per_file_ignored(f.location.path, f.rule, entries, used)
    ]
    files = run.shown_files(targets)
    if UNUSED in dispatcher.static and entries and config.path and whole_tree:
        from .baseline import normal_path

        where = (normal_path(config.path), Path(config.path).read_text(encoding="utf-8", errors="replace"))
        kept.extend(
            unused_per_file_ignores(entries, used, files, META, dispatcher.static, where, META[UNUSED].severity)
        )
    findings: list[Finding] = []
    for f in kept:
        sev = selection.severity_for(f.severity, META[f.rule])
        findings.append(f.with_severity(sev) if sev is not f.severity else f)
    return _Part(findings, files, {**run.loader.texts(), **run.texts}, tuple(run.notes()))
