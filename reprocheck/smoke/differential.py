"""The differential diagnosis (issue 25): from what the failing process touched, look at both sides.

A pipeline of pure steps over plain data:

1. ``extract``: the resources a failure names (modules, shared libraries, executables, files, environment
   variables, user ids, the script whose ``#!`` line starts it), from the explanation of its stderr and the
   command; ``Resources.request()`` is the JSON the probe takes (``--reprocheck-facts``, reprocheck/envprobe.py).
2. the runner runs that probe once on the host and once in the image (smoke/facts.py): ``out["facts"]``.
3. ``gather``: every fact source in ``FACT_SOURCES`` turns the two sides' facts into ``Cause``s; a source is a
   function ``Evidence -> Iterable[Cause]``, and ``register`` adds one (the ML comparison of smoke/ml_facts.py
   is one more source). Recognisers of known messages (smoke/explain.py) are one input among others: a cause
   only they support says it was inferred from a message.
4. ``rank``: observed causes before inferred ones, then by weight.

Every cause names the fact on both sides, the fix in the image's own terms (its distribution's package, its
user, its PATH) and, when the sandbox exposed it, the production setting that fails the same way.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reprocheck.smoke.explain import Explanation

OBSERVED = "observed on both sides"
INFERRED = "inferred from the error message"
MAX_NAMES = 50

# variables every shell sets differently: never the cause of a different prediction
_NOISE = re.compile(
    r"^(PATH|HOME|PWD|OLDPWD|SHELL|SHLVL|TERM|TERM_\w+|USER|LOGNAME|HOSTNAME|HOSTTYPE|MAIL|_|LS_COLORS|COLORTERM|"
    r"DISPLAY|EDITOR|VISUAL|PAGER|LESS\w*|MANPATH|PS\d|PROMPT_COMMAND|SSH_\w+|XDG_\w+|DBUS_\w+|GPG_\w+|TMUX\w*|"
    r"STY|WINDOW|VIRTUAL_ENV\w*|CONDA_\w+|PYENV\w*|PIPX?_\w+|PYTHONPATH|PYTHONDONTWRITEBYTECODE|PYTHONUNBUFFERED|"
    r"PYTEST_\w+|COV_\w+|CI|GITHUB_\w+|RUNNER_\w+|GITLAB_\w+|TMPDIR|TEMP|TMP|DEBIAN_FRONTEND|DOCKER_\w+|"
    r"REPROCHECK_\w+|HISTFILE|HISTSIZE|HISTCONTROL|LANG|LANGUAGE|LC_\w+|TZ|PYTHONHASHSEED|OMP_NUM_THREADS|"
    r"MKL_NUM_THREADS|CARGO_HOME|RUSTUP_HOME|GOPATH|NVM_\w+|JAVA_HOME|COLUMNS|LINES|INVOCATION_ID|JOURNAL_STREAM|"
    r"MOTD_SHOWN|SUDO_\w+|WSL\w*|NAME)$"
)
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE|DSN", re.I)


@dataclass(frozen=True)
class Resources:
    """What a failure touched, by kind (names as the program used them)."""

    modules: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    executables: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    uids: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()  # host[:port] the failure tried to reach (never probed: no network)

    def request(self) -> dict[str, list[str]]:
        """The probe's ``--reprocheck-facts`` argument."""
        kinds = ("modules", "libraries", "executables", "paths", "env", "uids", "scripts")
        return {k: list(getattr(self, k))[:MAX_NAMES] for k in kinds if getattr(self, k)}

    def __bool__(self) -> bool:
        return bool(self.request())


@dataclass(frozen=True)
class Production:
    """What the deployment gives, as the smoke spec declares it (the sandbox is stricter by default)."""

    network: bool = False
    read_only: bool = True
    shm_size: int | None = None  # None: the engine's default, 64 MB
    gpus: bool = False
    user: str | None = None


@dataclass(frozen=True)
class Evidence:
    resources: Resources
    host: Mapping[str, Any]  # the host probe's ``facts`` ({} when it did not run)
    image: Mapping[str, Any]  # the image probe's ``facts``
    host_record: Mapping[str, Any] | None = None
    image_record: Mapping[str, Any] | None = None
    crash: Explanation | None = None
    production: Production = field(default_factory=Production)
    code_reads: Mapping[str, str] = field(default_factory=dict)  # variable -> "file:line" where the code reads it
    host_files: Mapping[str, str] = field(default_factory=dict)  # file the code names -> its sha256 on the host


@dataclass(frozen=True)
class Cause:
    kind: str  # module, library, executable, file, user, interpreter, env, sandbox...
    subject: str
    text: str  # the cause, in words
    host: str  # the fact on the host
    image: str  # the same fact in the image
    fix: str
    certainty: str = OBSERVED
    weight: int = 50
    production: str = ""  # the production setting that fails the same way, when the sandbox exposed it

    def lines(self) -> tuple[str, ...]:
        out = [f"{self.subject}: {self.host} on the host; {self.image} in the image ({self.certainty})"]
        if self.production:
            out.append(self.production)
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "cause": self.text,
            "host": self.host,
            "image": self.image,
            "fix": self.fix,
            "certainty": self.certainty,
            "production": self.production,
        }


FactSource = Callable[[Evidence], Iterable[Cause]]


# ---- 1. extract


_MODULE = re.compile(r"No module named (?:'([^'\s]+)'|\"([^\"\s]+)\"|([A-Za-z_][\w.]*))")
_LIBRARY = re.compile(r"([\w.+-]+\.so(?:\.[\w.]+)?): cannot open shared object file")
_QUOTED_PATH = re.compile(r"(?:No such file or directory|Permission denied|Read-only file system): '([^']+)'")
_HOST = re.compile(
    r"host='([\w.-]+)', port=(\d+)|Failed to resolve '([\w.-]+)'|Could not resolve host: ([\w.-]+)|"
    r"https?://([\w.-]+(?::\d+)?)/"
)
_SHELL_MISSING = re.compile(r"(?:^|\s)(?:/bin/)?(?:ba|da)?sh: (?:\d+: |line \d+: )?([\w.+-]+): (?:command )?not found")


def _first(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g)


def extract(crash: Explanation | None, command: tuple[str, ...] = ()) -> Resources:
    """The resources a failure names: the explanation's subject, then every name its quoted lines carry."""
    modules: list[str] = []
    libraries: list[str] = []
    executables: list[str] = []
    paths: list[str] = []
    env: list[str] = []
    uids: list[str] = []
    scripts: list[str] = []
    hosts: list[str] = []
    if crash is not None:
        subject = crash.subject or ""
        by_cause = {
            "module not found": modules,
            "shared library missing": libraries,
            "executable not found": executables,
            "missing environment variable": env,
            "unknown user": uids,
            "permission denied": paths,
            "read-only file system": paths,
            "file not found": paths,
        }
        if subject and crash.cause in by_cause:
            by_cause[crash.cause].append(subject.split(".")[0] if crash.cause == "module not found" else subject)
        for line in crash.evidence:
            modules += [_first(m).split(".")[0] for m in _MODULE.finditer(line)]
            libraries += [m.group(1) for m in _LIBRARY.finditer(line)]
            executables += [m.group(1) for m in _SHELL_MISSING.finditer(line)]
            if crash.cause != "executable not found":
                paths += [m.group(1) for m in _QUOTED_PATH.finditer(line)]
            if crash.cause == "network":
                hosts += [f"{m.group(1)}:{m.group(2)}" if m.group(1) else _first(m) for m in _HOST.finditer(line)]
        if crash.cause == "interpreter not found" and subject:
            executables.append(subject)
    first = command[0] if command else ""
    if first and not re.match(r"^python[0-9.]*$", posixpath.basename(first)):
        scripts.append(first)  # a script or console script: its #! line decides the interpreter
    if scripts and crash is not None and crash.cause == "interpreter not found":
        executables += ["python3", "python"]
    kinds = (modules, libraries, executables, paths, env, uids, scripts, hosts)
    return Resources(*(tuple(dict.fromkeys(x))[:MAX_NAMES] for x in kinds))


# ---- helpers over the facts


def _get(facts: Mapping[str, Any], kind: str, name: str) -> Mapping[str, Any] | None:
    section = facts.get(kind)
    if not isinstance(section, Mapping):
        return None
    value = section.get(name)
    return value if isinstance(value, Mapping) else None


def _system(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    value = facts.get("system")
    return value if isinstance(value, Mapping) else {}


def family(facts: Mapping[str, Any]) -> tuple[str, str]:
    """(package family: debian | alpine | rhel | "", the distribution and release in words)."""
    osr = _system(facts).get("os")
    if not isinstance(osr, Mapping):
        return "", "an unknown distribution"
    ids = {str(osr.get("id", ""))} | set(str(osr.get("id_like", "")).split())
    words = str(osr.get("pretty_name") or osr.get("id") or "an unknown distribution")
    if ids & {"debian", "ubuntu"}:
        return "debian", words
    if "alpine" in ids:
        return "alpine", words
    if ids & {"rhel", "fedora", "centos", "rocky", "almalinux", "amzn"}:
        return "rhel", words
    return "", words


def install_line(fam: str, package: str) -> str:
    return {
        "debian": f"RUN apt-get update && apt-get install -y --no-install-recommends {package} "
        "&& rm -rf /var/lib/apt/lists/*",
        "alpine": f"RUN apk add --no-cache {package}",
        "rhel": f"RUN dnf install -y {package} && dnf clean all",
    }.get(fam, f"install the package that provides it ({package})")


def os_package(name: str, host_package: str | None, host_family: str, image_family: str) -> tuple[str | None, str]:
    """The image's package for a library or executable: the knowledge table, else the host's own package
    when both sides are the same family. (package, where the name comes from)."""
    from reprocheck.knowledge import system_package

    if image_family:
        known = system_package(name, image_family)
        if known:
            return known, "reprocheck/knowledge/system_libs.toml"
    if host_package and host_family and host_family == image_family:
        return host_package, "the host's own package manager owns it"
    return None, ""


def _user_words(facts: Mapping[str, Any]) -> str:
    sysf = _system(facts)
    uid = sysf.get("uid")
    entry = sysf.get("passwd")
    name = entry.get("name") if isinstance(entry, Mapping) else None
    return f"uid {uid}" + (f" ({name})" if name else " (no passwd entry)")


# ---- 3. fact sources


def modules(ev: Evidence) -> Iterable[Cause]:
    for name in ev.resources.modules:
        img, host = _get(ev.image, "modules", name), _get(ev.host, "modules", name)
        if img is None or img.get("found"):
            continue
        copies = [str(c) for c in img.get("copies") or [] if isinstance(c, str)]
        where_img = "not importable"
        if copies:
            where_img += f" (its source is at {copies[0]}, not on sys.path)"
        if host is None or not host.get("found"):
            if host is not None:
                yield Cause(
                    "module",
                    name,
                    f"module not found: {name} (not on the host either)",
                    "not importable either",
                    where_img,
                    "the host runs the prediction without it too: is the command the same? add the package that "
                    "provides it to the lock",
                    weight=30,
                )
            continue
        dist, version = str(host.get("dist") or ""), str(host.get("version") or "")
        origin = str(host.get("origin") or "")
        if host.get("editable"):
            project = str(host.get("project_dir") or "")
            fix = "install the project in the image: `RUN pip install --no-deps .` after COPYing it"
            if copies:
                parent = posixpath.dirname(copies[0].rstrip("/"))
                fix += f", or `ENV PYTHONPATH={parent}`"
            yield Cause(
                "module",
                name,
                f"the project's own package `{name}` is installed editable on the host, not in the image",
                f"{dist} {version} editable from {project or posixpath.dirname(origin)} (`pip install -e`)",
                where_img,
                fix,
                weight=90,
            )
        elif dist:
            yield Cause(
                "module",
                name,
                f"module not found: {name} ({dist} is installed on the host only)",
                f"{dist} {version} provides it ({origin})",
                where_img,
                f"add {dist}=={version} to the lock and rebuild",
                weight=80,
            )
        else:
            top = posixpath.dirname(origin)
            yield Cause(
                "module",
                name,
                f"module not found: {name} (the host imports it from {top or 'its path'}, no distribution)",
                f"importable from {origin}",
                where_img,
                "COPY its source into the image and put its directory on PYTHONPATH, or package it",
                weight=70,
            )


def _missing_in_image(
    ev: Evidence, kind: str, name: str, host_fam: str, img_fam: str
) -> tuple[str, str, str | None, str] | None:
    """A library or executable the image was probed for and lacks: (host path, host package, the image's
    package for it, where that name comes from); None when the image has it or was not asked."""
    img, host = _get(ev.image, kind, name), _get(ev.host, kind, name)
    if img is None or img.get("path"):
        return None
    host_path = str(host.get("path") or "") if host else ""
    host_pkg = str(host.get("package") or "") if host else ""
    return (host_path, host_pkg, *os_package(name, host_pkg or None, host_fam, img_fam))


def libraries(ev: Evidence) -> Iterable[Cause]:
    host_fam, _ = family(ev.host)
    img_fam, img_words = family(ev.image)
    for name in ev.resources.libraries:
        if (missing := _missing_in_image(ev, "libraries", name, host_fam, img_fam)) is None:
            continue
        host_path, host_pkg, package, source = missing
        host_text = f"{host_path} (package {host_pkg})" if host_pkg else host_path or "not found either"
        if package:
            fix = f"install {package}, the {img_words} package that provides {name}: {install_line(img_fam, package)}"
            image_text = f"absent; {package} provides it ({source})"
        else:
            fix = f"install the {img_words} package that provides {name} (look it up with the package manager's "
            fix += "file search: `dpkg -S`, `apk info --who-owns`, `dnf provides`)"
            image_text = "absent from the library path"
        if name.startswith("libGL.so"):
            fix += "; or, for OpenCV, install opencv-python-headless instead of opencv-python (it needs no libGL)"
        yield Cause("library", name, f"shared library missing: {name}", host_text, image_text, fix, weight=85)


def executables(ev: Evidence) -> Iterable[Cause]:
    if ev.crash is not None and ev.crash.cause == "interpreter not found":
        return  # the interpreter source speaks for these
    host_fam, _ = family(ev.host)
    img_fam, img_words = family(ev.image)
    for name in ev.resources.executables:
        if (missing := _missing_in_image(ev, "executables", name, host_fam, img_fam)) is None:
            continue
        host_path, host_pkg, package, source = missing
        path = str(_system(ev.image).get("path") or "")
        image_text = f"not on the image's PATH ({path})" if path else "not on the image's PATH"
        image_text += f"; {package} provides it ({source})" if package else " and no package known to provide it"
        host_text = (f"{host_path}" + (f" (package {host_pkg})" if host_pkg else "")) if host_path else "absent too"
        fix = (
            f"install {package} in the image: {install_line(img_fam, package)}"
            if package
            else f"install the {img_words} package that provides `{name}` (or COPY the program) in the Dockerfile"
        )
        interp = ev.image_record.get("interpreter") if isinstance(ev.image_record, Mapping) else None
        has = str(interp.get("executable") or "") if isinstance(interp, Mapping) else ""
        if re.match(r"^python[0-9.]*$", name) and has:
            image_text = f"not on the image's PATH ({path}); the image's Python is {has}"
            fix = f"name the image's interpreter in the command ({has}, or `{posixpath.basename(has)}`), or provide "
            fix += f"`{name}` on PATH (RUN ln -s {has} /usr/local/bin/{name}; or ENV PATH with the venv's bin first)"
        yield Cause("executable", name, f"`{name}` is not in the image", host_text, image_text, fix, weight=85)


def _uid_of(facts: Mapping[str, Any]) -> Any:
    return _system(facts).get("uid")


def files(ev: Evidence) -> Iterable[Cause]:
    for name in ev.resources.paths:
        img, host = _get(ev.image, "paths", name), _get(ev.host, "paths", name)
        if img is None:
            continue
        host_text = _file_words(host) if host else "not looked at"
        if img.get("exists") and img.get("type") == "file" and img.get("readable") is False:
            uid = _uid_of(ev.image)
            owner = img.get("owner") or img.get("uid")
            yield Cause(
                "file",
                name,
                f"{name} is not readable by the prediction's user in the image",
                host_text,
                f"mode {img.get('mode')} owner {owner}; the prediction runs as {_user_words(ev.image)}",
                f"COPY --chmod=0644 {name} ... (or COPY --chown={uid}:{uid} ...) in the Dockerfile, so the user "
                "that runs the code can read it, and no later RUN chmod that takes the read bit away",
                weight=90,
                production=(
                    "production fails the same way when it runs as a non-root user (Kubernetes runAsNonRoot, "
                    "runAsUser; OpenShift's arbitrary uids): a file only root can read is unreadable there too"
                    if uid not in (0, None)
                    else ""
                ),
            )
        elif img.get("exists") is False and host and host.get("exists"):
            yield Cause(
                "file",
                name,
                f"file not found: {name}",
                host_text,
                "absent" + (" (its directory is missing too)" if img.get("parent_exists") is False else ""),
                f"COPY {name} into the image where the code opens it (check .dockerignore and WORKDIR)",
                weight=60,
            )
        elif ev.crash is not None and ev.crash.cause == "read-only file system" and img.get("writable") is False:
            yield Cause(
                "sandbox",
                name,
                f"the prediction writes {name}, on the read-only root file system",
                host_text,
                "not writable (read-only root file system)",
                "write to /tmp (or a mounted volume), or declare `read-only = false` in the smoke spec when "
                "production gives a writable root",
                weight=85,
                production="Kubernetes `readOnlyRootFilesystem: true` fails the same way",
            )


def _file_words(f: Mapping[str, Any]) -> str:
    if not f.get("exists"):
        return "absent"
    owner = f.get("owner") or f.get("uid")
    return f"{f.get('type')}, mode {f.get('mode')} owner {owner}" + ("" if f.get("readable") else ", unreadable")


def users(ev: Evidence) -> Iterable[Cause]:
    sysf = _system(ev.image)
    if not sysf:
        return
    uid = sysf.get("uid")
    if sysf.get("passwd") is not None or uid in (0, None):
        return
    if not ev.resources.uids and not (ev.crash is not None and ev.crash.cause == "unknown user"):
        return  # a user without an entry that nothing looked up is not a cause
    home = sysf.get("home")
    yield Cause(
        "user",
        f"uid {uid}",
        f"the prediction runs as uid {uid}, which the image's /etc/passwd does not know",
        _user_words(ev.host),
        f"uid {uid}: no passwd entry, HOME={home or 'unset'}"
        + ("" if sysf.get("home_writable") else " (not writable)"),
        f"create the user in the image (`RUN useradd --uid {uid} --create-home app` before `USER {uid}`), or set "
        "`ENV HOME=/tmp USER=app` and do not look the user up (getpass.getuser, pwd.getpwuid, expanduser)",
        weight=90,
        production="the sandbox runs as a uid without a passwd entry, as OpenShift does (arbitrary uids under "
        "its restricted SCC) and Kubernetes with runAsUser: the same lookup fails there",
    )


def interpreter(ev: Evidence) -> Iterable[Cause]:
    for name in ev.resources.scripts:
        img, host = _get(ev.image, "scripts", name), _get(ev.host, "scripts", name)
        if img is None or not img.get("shebang") or img.get("resolves_to"):
            continue
        wants = str(img.get("wants") or "")
        python3 = _get(ev.image, "executables", "python3")
        have = str(python3.get("path") or "") if python3 else ""
        if not have and isinstance(ev.image_record, Mapping):
            interp = ev.image_record.get("interpreter")
            have = str(interp.get("executable") or "") if isinstance(interp, Mapping) else ""
        path = str(_system(ev.image).get("path") or "")
        host_text = f"#!{host.get('shebang')} resolves to {host.get('resolves_to')}" if host else "not looked at"
        fix = f'start it with the image\'s interpreter ({have or "python3"}): command = ["{have or "python3"}", '
        fix += f'"{name}"], or write #!{have or "/usr/bin/python3"} in the script'
        if have:
            fix += f", or provide `{wants}` on PATH (RUN ln -s {have} /usr/local/bin/{wants}; or ENV PATH=... "
            fix += "with the venv's bin first)"
        yield Cause(
            "interpreter",
            name,
            f"the #! line of {name} asks for `{wants}`, which the image's PATH does not have",
            host_text,
            f"#!{img.get('shebang')}: `{wants}` not on PATH ({path})" + (f", which has {have}" if have else ""),
            fix,
            weight=90,
        )


_GPU = re.compile(r"CUDA|cuda|NVIDIA|nvidia-smi|no GPU|GPU", re.I)
_PIDS = re.compile(r"can't start new thread|Resource temporarily unavailable|fork: retry|pthread_create", re.I)
_SHM = re.compile(r"/dev/shm|shared memory|Bus error|shm_open", re.I)


def sandbox(ev: Evidence) -> Iterable[Cause]:
    """What the sandbox does not give that the failure hit: GPU, network, shared memory, limits."""
    crash = ev.crash
    if crash is None:
        return
    sysf = _system(ev.image)
    text = "\n".join(crash.evidence)
    if crash.cause == "network":
        hosts = ev.resources.hosts
        where = f" ({', '.join(hosts[:3])})" if hosts else ""
        yield Cause(
            "sandbox",
            hosts[0] if hosts else "network",
            f"network: the prediction reaches the network{where}, which the sandbox turns off",
            "the host has a network",
            "no network (`network = false`)",
            "ship what it downloads in the image (pinned revision and checksum at build time); declare "
            "`network = true` in the smoke spec only if production really gives it",
            certainty=INFERRED if not sysf else OBSERVED,
            weight=70,
            production="air-gapped clusters and egress-restricted namespaces fail the same way",
        )
    if sysf and not sysf.get("gpu_devices") and _GPU.search(text) and not ev.production.gpus:
        yield Cause(
            "sandbox",
            "GPU",
            "the prediction needs a GPU; the sandbox has none",
            f"GPU devices: {', '.join(map(str, _system(ev.host).get('gpu_devices') or [])) or 'none'}",
            "no GPU device",
            "fall back to the CPU (torch.device('cuda' if torch.cuda.is_available() else 'cpu'), "
            "map_location='cpu'), or declare `gpus` in the smoke spec when production has GPUs",
            weight=75,
            production="CPU-only nodes fail the same way",
        )
    shm = sysf.get("shm_bytes") if sysf else None
    if isinstance(shm, int) and _SHM.search(text) and shm <= 64 * 1024**2:
        yield Cause(
            "sandbox",
            "/dev/shm",
            f"/dev/shm is {shm // 1024**2} MB in the sandbox",
            f"/dev/shm {int(_system(ev.host).get('shm_bytes') or 0) // 1024**2} MB",
            f"/dev/shm {shm // 1024**2} MB",
            "use fewer DataLoader workers or file-backed sharing, or declare `shm-size` in the smoke spec as "
            "production gives it (docker run --shm-size)",
            weight=75,
            production="Docker's default --shm-size and Kubernetes pods without a memory-backed emptyDir at "
            "/dev/shm give 64 MB too",
        )
    pids = str(sysf.get("pids_limit") or "") if sysf else ""
    if pids.isdigit() and _PIDS.search(text):
        yield Cause(
            "sandbox",
            "pids",
            f"the prediction starts more threads or processes than the sandbox's pids limit ({pids})",
            f"pids limit {_system(ev.host).get('pids_limit') or 'none'}",
            f"pids limit {pids}",
            "cap the threads and workers (OMP_NUM_THREADS, torch.set_num_threads, DataLoader num_workers), or "
            "raise `pids` in the smoke spec to what production allows",
            weight=75,
            production="a container runtime's pids limit (docker --pids-limit, Kubernetes podPidsLimit) fails "
            "the same way",
        )
    home = str(sysf.get("home") or "") if sysf else ""
    subject = crash.subject or ""
    if (
        sysf
        and crash.cause in ("permission denied", "read-only file system")
        and home
        and sysf.get("home_writable") is False
        and subject.startswith(home.rstrip("/") + "/")
    ):
        uid = sysf.get("uid")
        yield Cause(
            "sandbox",
            subject,
            f"the prediction writes under HOME ({home}), which uid {uid} cannot write",
            "HOME is the developer's own, writable",
            f"HOME={home}, not writable by {_user_words(ev.image)}",
            "ENV HOME=/tmp (or point the cache at /tmp: XDG_CACHE_HOME, HF_HOME, TORCH_HOME, MPLCONFIGDIR), or "
            "create the user with a home (useradd --create-home) and COPY --chown what it writes",
            weight=88,
            production="a user without a home, as OpenShift's arbitrary uids and Kubernetes runAsUser give, "
            "fails the same way",
        )
        return
    if sysf and crash.cause == "permission denied" and sysf.get("uid") not in (0, None):
        path = crash.subject or ""
        f = _get(ev.image, "paths", path) if path else None
        if f is not None and f.get("exists") is False and f.get("parent_writable") is False:
            yield Cause(
                "sandbox",
                path,
                f"the prediction creates {path} in a directory its user cannot write",
                "writable (the host runs as its owner)",
                f"{posixpath.dirname(path) or '.'} not writable by {_user_words(ev.image)}",
                "write to /tmp or a volume, or COPY --chown the directory to the user that runs the code",
                weight=80,
                production="Kubernetes runAsNonRoot (and OpenShift's arbitrary uids) fail the same way",
            )


def environment(ev: Evidence) -> Iterable[Cause]:
    """Variables the host set when recording that the image does not: the code's own first."""
    host_env = _env(ev.host_record)
    img_env = _env(ev.image_record)
    if not host_env or ev.image_record is None:
        return
    asked = set(ev.resources.env)
    for name in sorted(host_env):
        if name in img_env or (_NOISE.match(name) and name not in asked):
            continue
        value = str(host_env[name])
        secret = value.startswith("sha256:") or bool(_SECRET.search(name))
        shown = value if value.startswith("sha256:") else ("sha256 hidden" if secret else f"= {value[:60]}")
        read_at = ev.code_reads.get(name)
        if not read_at and name not in asked:
            continue
        fix = (
            f"pass {name} at run time (the smoke spec's `env`, the deployment's secret), never bake a secret "
            "into the image"
            if secret
            else f"ENV {name}={value[:60]} in the Dockerfile (or the smoke spec's `env` when it is a deployment "
            "setting), or make the code's default the recorded one"
        )
        crashed = ev.crash is not None and name in asked
        yield Cause(
            "env",
            name,
            f"missing environment variable {name}"
            if crashed
            else f"environment variable {name}: set on the host, not in the image"
            + (f" ({read_at} reads it)" if read_at else ""),
            f"set ({shown})",
            "unset",
            fix,
            weight=(70 if secret else 85) if read_at else 60,  # a credential seldom changes a prediction
        )


def file_contents(ev: Evidence) -> Iterable[Cause]:
    """Files the code names whose bytes differ between the project and the image."""
    for name, digest in sorted(ev.host_files.items()):
        img = _get(ev.image, "paths", name)
        if img is None or not img.get("exists"):
            continue
        other = img.get("sha256")
        if isinstance(other, str) and other != digest:
            yield Cause(
                "file",
                name,
                f"{name} differs between the project and the image",
                f"sha256 {digest[:12]}",
                f"sha256 {other[:12]}",
                f"rebuild so the image has the project's {name} (is it generated, or fetched at build time?)",
                weight=75,
            )


def _env(record: Mapping[str, Any] | None) -> Mapping[str, Any]:
    env = record.get("environment") if isinstance(record, Mapping) else None
    return env if isinstance(env, Mapping) else {}


# The fact sources, in no particular order (``rank`` orders their causes). smoke/ml_facts.py (and any later
# comparison) adds itself with ``register``.
FACT_SOURCES: list[FactSource] = [
    modules,
    libraries,
    executables,
    files,
    users,
    interpreter,
    sandbox,
    environment,
    file_contents,
]


def register(source: FactSource) -> FactSource:
    """Add a fact source (usable as a decorator); registering twice is a no-op."""
    if source not in FACT_SOURCES:
        FACT_SOURCES.append(source)
    return source


def gather(ev: Evidence, sources: Iterable[FactSource] | None = None) -> list[Cause]:
    out: list[Cause] = []
    for source in FACT_SOURCES if sources is None else sources:
        try:
            out.extend(source(ev))
        except Exception:  # one broken source must not hide the failure the others explain
            continue
    return out


def rank(causes: Iterable[Cause]) -> list[Cause]:
    """Observed before inferred, then by weight; the first is the likeliest cause."""
    return sorted(causes, key=lambda c: (c.certainty != OBSERVED, -c.weight, c.kind, c.subject))


__all__ = [
    "FACT_SOURCES",
    "INFERRED",
    "OBSERVED",
    "Cause",
    "Evidence",
    "FactSource",
    "Production",
    "Resources",
    "extract",
    "gather",
    "rank",
    "register",
]
