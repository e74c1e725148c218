"""RC51x: where packages come from and whether the lock is what gets installed."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.deps import DependencyFile
from reprocheck.model.dockerfile import CopyInstruction, Dockerfile, KeyValueInstruction, RunInstruction
from reprocheck.model.finding import Finding, Severity
from reprocheck.model.install import InstallCommand
from reprocheck.model.patterns import lazy
from reprocheck.model.rule import FixKind
from reprocheck.rules._api import RuleContext, rule

_EXTRA_INDEX_ENV = frozenset({"PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL"})
_TRUSTED_ENV = frozenset({"PIP_TRUSTED_HOST", "UV_INSECURE_HOST"})
_PIP_TOOLS = ("pip", "uv")


def _env_findings(dockerfile: Dockerfile, names: frozenset[str]) -> Iterator[tuple[int, str, str]]:
    for ins in dockerfile.instructions:
        if isinstance(ins, KeyValueInstruction) and ins.keyword in ("ENV", "ARG"):
            for name, value in ins.pairs:
                if name in names and value:
                    yield ins.line, name, value


def _pip_config(cmd_argv: tuple[str, ...], key: str) -> str | None:
    """``pip config set global.extra-index-url URL`` -> URL."""
    if len(cmd_argv) >= 5 and cmd_argv[1:3] == ("config", "set") and cmd_argv[3].endswith("." + key):
        return cmd_argv[4]
    return None


def _installs(dockerfile: Dockerfile) -> Iterator[InstallCommand]:
    for ins in dockerfile.instructions:
        if isinstance(ins, RunInstruction):
            yield from ins.installs


def _file_options(
    f: DependencyFile, names: tuple[str, ...], ctx: RuleContext, what: str, hint: str
) -> Iterator[Finding]:
    for opt in f.options:
        if opt.name in names:
            yield ctx.finding(opt.line, f"`{opt.name} {opt.value}` in {f.path}: {what}", hint=hint, path=f.path)


@rule(
    "RC511",
    "pip-extra-index-url",
    Severity.WARNING,
    "`--extra-index-url`: two indexes serve the same names (dependency confusion)",
    on=(Dockerfile, DependencyFile),
    fix=FixKind.UNSAFE,
)
def pip_extra_index_url(node: Dockerfile | DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    hint = (
        "use one index per install: `--index-url <index>` for the packages it owns "
        "(or uv `[[tool.uv.index]]` with `explicit = true`), and hashes in the lock"
    )
    if isinstance(node, DependencyFile):
        what = "pip takes the highest version of a name from any index, so a same-named package elsewhere wins"
        yield from _file_options(node, ("--extra-index-url",), ctx, what, hint)
        return
    dockerfile = node
    for inst in _installs(dockerfile):
        urls = inst.values("--extra-index-url") if inst.manager in _PIP_TOOLS else ()
        if not urls and inst.manager == "pip" and inst.action == "config":
            url = _pip_config(inst.command.argv, "extra-index-url")
            urls = (url,) if url else ()
        for url in urls:
            yield ctx.finding(
                inst.line,
                f"`--extra-index-url {url}`: pip takes the highest version of a name from any index, so a "
                "package published under the same name elsewhere can replace yours",
                hint=hint,
            )
    for line, name, value in _env_findings(dockerfile, _EXTRA_INDEX_ENV):
        yield ctx.finding(line, f"`{name}={value}` adds a second index for every later pip install", hint=hint)


@rule(
    "RC512",
    "pip-trusted-host",
    Severity.WARNING,
    "`--trusted-host` turns off TLS verification for an index",
    on=(Dockerfile, DependencyFile),
)
def pip_trusted_host(node: Dockerfile | DependencyFile, ctx: RuleContext) -> Iterator[Finding]:
    hint = "serve the index over verified HTTPS (add its CA with `--cert`), and install a hashed lock"
    if isinstance(node, DependencyFile):
        yield from _file_options(
            node, ("--trusted-host",), ctx, "packages from this host are accepted without TLS verification", hint
        )
        return
    dockerfile = node
    for inst in _installs(dockerfile):
        hosts = inst.values("--trusted-host", "--allow-insecure-host") if inst.manager in _PIP_TOOLS else ()
        if not hosts and inst.manager == "pip" and inst.action == "config":
            host = _pip_config(inst.command.argv, "trusted-host")
            hosts = (host,) if host else ()
        for host in hosts:
            yield ctx.finding(
                inst.line,
                f"`--trusted-host {host}`: packages from this host are accepted without TLS verification",
                hint=hint,
            )
    for line, name, value in _env_findings(dockerfile, _TRUSTED_ENV):
        yield ctx.finding(line, f"`{name}={value}` turns off TLS verification for later installs", hint=hint)


_LOCK_FILES = {"poetry": "poetry.lock", "pipenv": "Pipfile.lock", "uv": "uv.lock", "pdm": "pdm.lock"}


def lock_available(dockerfile: Dockerfile, inst: InstallCommand, lock: str) -> bool:
    """Whether ``lock`` can be in the image when ``inst`` runs: copied earlier in this stage (or a parent),
    copied as part of a directory, or bind-mounted into this RUN."""
    run = dockerfile.instructions[inst.command.instruction]
    if isinstance(run, RunInstruction) and lock in run.flags.get("mount", ""):
        return True
    stages = {run.stage}
    stage = dockerfile.stages[run.stage] if 0 <= run.stage < len(dockerfile.stages) else None
    while stage is not None and stage.parent is not None:
        stages.add(stage.parent)
        stage = dockerfile.stages[stage.parent]
    for ins in dockerfile.instructions[: run.index]:
        if ins.stage not in stages or not isinstance(ins, CopyInstruction) or ins.from_stage:
            continue
        for src in ins.sources:
            base = src.rstrip("/").rsplit("/", 1)[-1]
            if base == lock or "*" in base or "$" in src or "." not in base or base in (".", ".."):
                return True
    return False


def _not_enforced(inst: InstallCommand, dockerfile: Dockerfile) -> str | None:
    tool, action = inst.manager, inst.action
    if tool == "uv" and action == "sync" and not inst.has("--frozen", "--locked"):
        return "`uv sync` without `--locked` or `--frozen` updates uv.lock when it disagrees with pyproject.toml"
    if tool == "uv" and action == "run" and not inst.has("--frozen", "--locked", "--no-sync", "--no-project"):
        return "`uv run` without `--frozen`/`--locked`/`--no-sync` syncs, and may re-lock, before running"
    if tool == "pipenv" and action == "install" and not inst.packages and not inst.has("--deploy"):
        return "`pipenv install` without `--deploy` re-locks when Pipfile.lock is out of date"
    if tool == "pdm" and action == "install" and not inst.has("--frozen-lockfile", "--check"):
        return "`pdm install` without `--frozen-lockfile` updates pdm.lock when it is out of date"
    if tool == "poetry" and action in ("install", "sync") and not lock_available(dockerfile, inst, "poetry.lock"):
        return f"`poetry {action}` runs with no poetry.lock copied into the image, so poetry resolves afresh"
    if tool == "npm" and action == "install-lock":
        if inst.tool == "npm":
            return "`npm install` may rewrite package-lock.json; `npm ci` installs exactly the lock"
        if not inst.has("--frozen-lockfile", "--immutable"):
            return f"`{inst.tool} install` without `--frozen-lockfile` (or `--immutable`) may update the lock"
    return None


@rule(
    "RC513",
    "lock-not-enforced",
    Severity.ERROR,
    "Lock-based install that may re-resolve instead of installing the lock",
    on=InstallCommand,
    fix=FixKind.UNSAFE,
)
def lock_not_enforced(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    if ctx.dockerfile is None:
        return
    why = _not_enforced(inst, ctx.dockerfile)
    if why:
        yield ctx.finding(
            inst.line,
            why,
            hint="install exactly the lock: `uv sync --locked`, `poetry install` with poetry.lock copied first, "
            "`pipenv install --deploy`, `npm ci`",
        )


_RESOLVERS: dict[str, frozenset[str]] = {
    "poetry": frozenset({"lock", "update", "add"}),
    "uv": frozenset({"lock", "add"}),
    "pipenv": frozenset({"lock", "update"}),
    "pdm": frozenset({"lock", "update", "add"}),
    "pip-tools": frozenset({"compile"}),
    "conda-lock": frozenset({"lock"}),
}
_CHECK_ONLY = lazy(r"--(check|locked|dry-run)$")


@rule(
    "RC514",
    "resolve-at-build-time",
    Severity.ERROR,
    "Dependencies resolved during the build (poetry lock, uv lock, pip-compile...)",
    on=InstallCommand,
)
def resolve_at_build_time(inst: InstallCommand, ctx: RuleContext) -> Iterator[Finding]:
    actions = _RESOLVERS.get(inst.manager)
    resolving = actions is not None and inst.action in actions
    if inst.manager == "pipenv" and inst.action == "install" and inst.packages:
        resolving = True
    if not resolving or any(_CHECK_ONLY.match(o) for o in inst.options):
        return
    yield ctx.finding(
        inst.line,
        f"`{inst.command.text(60)}` resolves dependencies inside the build: the result depends on the day",
        hint="resolve on the developer's machine, commit the lock, and only install it in the Dockerfile",
    )
