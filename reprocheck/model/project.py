"""A Dockerfile with its build context: what it copies, and which dependency files its installs read."""

from __future__ import annotations

from reprocheck.model._node import Node, node
from reprocheck.model.deps import DependencyFile
from reprocheck.model.dockerfile import Dockerfile
from reprocheck.model.install import InstallCommand


@node
class ContextFile(Node):
    """A local source of COPY/ADD: whether the build context has it, and whether .dockerignore drops it."""

    line: int
    source: str
    exists: bool
    ignored_by: str | None = None  # ".dockerignore:3 `*.bin`"
    within: str | None = None  # the directory COPY source that leaves this needed file behind
    named_by: str = ""  # who needs it: "predict.py:22" or "the smoke spec's `inputs`"
    reached: bool | None = None  # the smoke command runs or imports what names it (None: not known)


@node
class ImagePython(Node):
    """The Python a stage runs: ``version`` ("3.11" or "3.11.9"), where it was learnt, and on which line."""

    version: str
    how: str
    line: int


@node
class InstalledFile(Node):
    """A dependency file that an install command reads inside the image.

    ``role`` is ``requirements``, ``constraints``, ``project`` (pip install . / uv sync / poetry install),
    ``environment`` (conda) or ``pipfile``. ``file`` is the parsed file when the build context has it;
    ``lock`` the lock the command installs from (uv.lock, poetry.lock, Pipfile.lock), when there is one.
    """

    line: int
    install: InstallCommand
    role: str
    image_path: str
    path: str | None = None
    file: DependencyFile | None = None
    lock: DependencyFile | None = None
    reason: str = ""  # why path is None
    python: ImagePython | None = None
    platform: str = "linux/amd64"
    libc: str = "glibc"


@node
class Project(Node):
    dockerfile: Dockerfile
    context: str | None  # display path of the build context ("." for the working directory)
    context_known: bool  # some COPY sources resolved in it
    copies: tuple[ContextFile, ...] = ()
    installed: tuple[InstalledFile, ...] = ()
    root: str | None = None  # the build context's absolute path (for the ML rules' bounded reads)
