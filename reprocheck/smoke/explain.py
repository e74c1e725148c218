"""Why did the prediction fail? Pure: exit status, flags and the whole output in, a cause, the thing it names
(the variable, module, file, symbol) and the lines that show it out.

Causes are tried in order over the WHOLE output, most specific first: a binary incompatibility also prints
"ImportError", a missing variable a "KeyError", so those come before the generic module and file causes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reprocheck.evidence import pick_explanatory
from reprocheck.model.rule import RuleMeta
from reprocheck.rules.runtime import CRASHED, OUT_OF_MEMORY, TIMED_OUT

_NETWORK_HINT = (
    "the prediction reaches the network, which the sandbox turns off: ship the weights in the image "
    "(downloaded with a pinned revision and a checksum at build time), or set `network = true` if that is intended"
)
_MEMORY_HINT = "the prediction needs more memory than the limit: raise `memory`, or make the model smaller"


@dataclass(frozen=True)
class _Cause:
    name: str
    hint: str
    pattern: re.Pattern[str]  # group 1, when there is one, is the subject


_CAUSES: tuple[_Cause, ...] = (
    _Cause(
        "binary incompatibility",
        "a compiled extension was built against another version of a library than the image has "
        "(NumPy 1.x vs 2.x, another glibc): pin the versions the extension was built for in the lock, "
        "or upgrade the extension to a release built for the new one",
        re.compile(
            r"compiled using (NumPy 1\.x) cannot be run in|numpy\.dtype size changed, may indicate (binary) incompat|"
            r"undefined symbol: (\S+)|version `((?:GLIBC|GLIBCXX|CXXABI)_[\d.]+)' not found|"
            r"(_ARRAY_API) not found|module compiled against (?:ABI|API) version|wrong ELF class|"
            r"(invalid ELF header)|Illegal instruction",
        ),
    ),
    _Cause(
        "network",
        _NETWORK_HINT,
        re.compile(
            r"Temporary failure in name resolution|Name or service not known|nodename nor servname|"
            r"Network is unreachable|Connection refused|Failed to establish a new connection|Max retries exceeded|"
            r"urlopen error|getaddrinfo failed|ConnectionError|socket\.gaierror|Could not resolve host|"
            r"LocalEntryNotFoundError|offline mode is enabled",
            re.IGNORECASE,
        ),
    ),
    _Cause(
        "unknown user",
        "the prediction runs as a user id the image's /etc/passwd does not know (getpass.getuser, "
        "os.path.expanduser, pwd.getpwuid fail): create the user in the image (useradd -u) or set ENV HOME and "
        "USER, and do not look the user up",
        re.compile(
            r"getpwuid\(\): uid not found: (\d+)|uid (\d+) (?:is )?not found in (?:/etc/)?passwd|"
            r"I have no name!|No user exists for uid (\d+)"
        ),
    ),
    _Cause(
        "interpreter not found",
        "a script's #! line names an interpreter the image's PATH does not have: use the full path of the image's "
        "Python in the command (or the #! line), or put it on PATH with ENV PATH",
        re.compile(
            r"^/usr/bin/env: [‘'`\"]?([\w.+-]+)[’'`\"]?: No such file or directory|"
            r"bad interpreter: No such file or directory|^env: [‘'`\"]?([\w.+-]+)[’'`\"]?: No such file"
        ),
    ),
    _Cause(
        "missing environment variable",
        "the code reads an environment variable the container does not set: set it with ENV in the Dockerfile "
        "(or in the smoke spec's `env` when it is a deployment setting)",
        re.compile(
            r"KeyError: '((?-i:[A-Z][A-Z0-9_]*))'|"
            r"environment variable [`'\"]?([A-Za-z_][A-Za-z0-9_]*)[`'\"]? (?:is )?(?:not set|missing|undefined)|"
            r"missing (?:required )?environment variable:? [`'\"]?([A-Za-z_][A-Za-z0-9_]*)",
            re.IGNORECASE,
        ),
    ),
    _Cause(
        "module not found",
        "a package the code imports is not in the image: add it to the lock and rebuild",
        # every quoting form: No module named 'x', "x", or bare x.y (group 1, 2 or 3 is the module)
        re.compile(r"No module named (?:'([^'\s]+)'|\"([^\"\s]+)\"|([A-Za-z_][\w.]*))"),
    ),
    _Cause(
        "shared library missing",
        "an OS library a compiled package loads is not in the image: install it with the OS package manager",
        re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file"),
    ),
    _Cause(
        "version conflict",
        "an installed package has another version than the code or another package expects: pin the version "
        "the host has in the lock",
        re.compile(
            r"(?:Contextual)?VersionConflict|requires ([\w.-]+[<>=!~][^\s,]*), but you have|"
            r"ImportError: cannot import name '(\w+)'|AttributeError: module '([\w.]+)' has no attribute|"
            r"is incompatible with|DistributionNotFound",
        ),
    ),
    _Cause(
        "executable not found",
        "the code runs a program the image does not have: install the OS package that provides it in the "
        "Dockerfile, or put it on PATH",
        re.compile(
            r"(?:^|\s)(?:/bin/)?(?:ba|da)?sh: (?:\d+: |line \d+: )?([\w.+-]+): (?:command )?not found|"
            r"shutil\.which\('([\w.+-]+)'\) (?:returned|is) None|executable [`'\"]?([\w.+-]+)[`'\"]? not found|"
            r"exec: \"([^\"]+)\": executable file not found in \$PATH"
        ),
    ),
    _Cause(
        "read-only file system",
        "the prediction writes outside /tmp; the sandbox's root file system is read-only: write to /tmp, "
        "or declare the file as `output`",
        re.compile(r"Read-only file system(?:: '([^']+)')?", re.IGNORECASE),
    ),
    _Cause(
        "permission denied",
        "the prediction runs as a non-root user in the sandbox: make the files it reads world-readable "
        "and write only to /tmp",
        re.compile(
            r"(?:PermissionError: \[Errno 13\] )?Permission denied(?:: '([^']+)')?|PermissionError", re.IGNORECASE
        ),
    ),
    _Cause(
        "file not found",
        "a file the host has is not where the prediction looks for it in the image: check COPY, the build "
        "context, .dockerignore and the working directory (`reprocheck lint` reports RC705 for these)",
        re.compile(
            r"No such file or directory: '([^']+)'|can't open file '([^']+)'|"
            r"FileNotFoundError|No such file or directory|\bnot found\b",
            re.IGNORECASE,
        ),
    ),
    _Cause(
        "out of memory",
        _MEMORY_HINT,
        re.compile(r"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory", re.IGNORECASE),
    ),
    _Cause(
        "import failed",
        "a module failed to import in the image: see the quoted lines",
        re.compile(r"ImportError"),
    ),
)


def _runs_a_program(subject: str, lines: list[str]) -> bool:
    """``No such file or directory: 'git'`` raised by subprocess names a program, not a data file."""
    return "/" not in subject and any(
        "subprocess.py" in text or "_execute_child" in text or "os.exec" in text or "Popen(" in text for text in lines
    )


@dataclass(frozen=True)
class Explanation:
    cause: str
    hint: str
    evidence: tuple[str, ...]  # the decisive lines of the output, then its last lines
    subject: str | None = None  # what the cause names: the variable, module, file, symbol

    @property
    def rule(self) -> RuleMeta:
        """TIMED_OUT for a timeout, OUT_OF_MEMORY for memory, CRASHED for every other failure."""
        return {"timeout": TIMED_OUT, "out of memory": OUT_OF_MEMORY}.get(self.cause, CRASHED)


def _decisive(lines: list[str], index: int, limit: int, continued: bool = False) -> tuple[str, ...]:
    """The matching line with the traceback frame above it, then the explanatory lines, then the end."""
    frame = next((i for i in range(index - 1, max(-1, index - 6), -1) if lines[i].lstrip().startswith("File ")), None)
    start = frame if frame is not None else max(0, index - 1)
    end = index + 1
    if continued and end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith(("File ", "Trace")):
        end += 1  # a message wrapped over two lines ("...cannot be run in" / "NumPy 2.2.6 as it may crash")
    around = [lines[i] for i in range(start, min(len(lines), end)) if lines[i].strip() and "^^^" not in lines[i]]
    rest = pick_explanatory(lines, limit=limit, tail=3)
    out: list[str] = []
    for line in [*around, *rest]:
        if line not in out:
            out.append(line)
    return tuple(out[: limit + 6])


def explain(exit_code: int | None, stderr: bytes, timed_out: bool, oom_killed: bool, tail: int = 15) -> Explanation:
    lines = stderr.decode("utf-8", "replace").rstrip().splitlines()
    evidence = tuple(pick_explanatory(lines, limit=tail, tail=3))
    if timed_out:
        return Explanation(
            "timeout",
            "the prediction ran past `timeout` and was killed: raise it, or make the "
            "prediction faster (is it downloading or training at start-up?)",
            evidence,
        )
    if oom_killed or (exit_code == 137 and not lines):
        return Explanation("out of memory", _MEMORY_HINT + " (the kernel killed it: exit status 137)", evidence)
    for cause in _CAUSES:
        for index, line in enumerate(lines):
            matches = list(cause.pattern.finditer(line))
            if not matches:
                continue
            m = next((x for x in matches if any(x.groups())), matches[0])
            subject = next((g for g in m.groups() if g), None)
            # a bare KeyError names a variable only when the traceback went through os.environ
            if (
                cause.name == "missing environment variable"
                and m.group(1)
                and not any(
                    "environ" in text or "os.py" in text or "<frozen os>" in text or "getenv" in text for text in lines
                )
            ):
                continue
            if cause.name == "module not found" and subject:
                subject = subject.strip("'\"").split(".")[0]
            if cause.name == "file not found" and subject and _runs_a_program(subject, lines):
                cause = _EXECUTABLE
            return Explanation(
                cause.name, cause.hint, _decisive(lines, index, tail, cause.name == "binary incompatibility"), subject
            )
    return Explanation("crash", f"the prediction exited with status {exit_code}; see the quoted lines", evidence)


_EXECUTABLE = next(c for c in _CAUSES if c.name == "executable not found")
