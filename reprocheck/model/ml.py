"""What the ML rules judge: the final image's stages, the Python distributions it gets, the calls in the code it
copies and the model artifacts it copies, as read (never executed) by ``lint/ml_facts.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from functools import cached_property

from reprocheck.model._node import Node, node
from reprocheck.model.dockerfile import ImageRef
from reprocheck.model.project import Project


@node
class MlStage(Node):
    """One stage of the Dockerfile as the ML rules see it. ``final`` when the built image is this stage or
    builds on it; ``feeds`` when the final image copies files out of it (``COPY --from``): its Python packages
    may reach the image, its OS packages do not. ``os_packages`` and ``env`` include those of the stages it
    builds on; ``user`` is the last USER (None: root), ``runs`` the RUN texts with their lines."""

    index: int
    base: ImageRef
    line: int  # of the FROM naming the external image this stage's chain starts from
    final: bool = False
    feeds: bool = False
    os_packages: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_lines: Mapping[str, int] = field(default_factory=dict)
    user: str | None = None
    user_line: int = 0
    runs: tuple[tuple[int, str], ...] = ()
    copied_from: tuple[str, ...] = ()  # base names of the files COPY --from brings (another stage or image)


@node
class MlPackage(Node):
    """A Python distribution a stage installs: from a lock or requirements file (``path``/``line`` there) or
    named on a ``pip install`` line (``path`` is the Dockerfile). ``variant`` is the local version label
    (``cu121``, ``cpu``), ``index`` the index URL the install reads first, ``requirer`` the distribution that
    pulls it in when it is not asked for directly (from the lock's edges or pip-compile's ``# via``)."""

    name: str  # canonical
    version: str
    path: str
    line: int
    stage: int
    install_line: int
    variant: str = ""
    index: str = ""
    requirer: str = ""
    hashed: bool = False


@node
class CodeCall(Node):
    """A call in Python code the image copies: ``call`` is its kind (``hf``, ``torch.hub``, ``torch.compile``,
    ``torch.load``...), ``target`` the literal model id or path ("" when not a literal), ``text`` the line."""

    path: str
    line: int
    call: str
    target: str = ""
    text: str = ""
    executed_at_build: bool = False  # the file is run by a RUN of the Dockerfile (it bakes, not predicts)


@node
class Artifact(Node):
    """A model artifact the image copies, read without loading it. ``kind``: ``lfs-pointer``, ``sklearn``,
    ``xgboost``, ``lightgbm``, ``keras``, ``torch``, ``unreadable``, ``unsafe-pickle``. ``version`` is the
    library version that wrote it; ``detail`` what else was read (CUDA locations, why it is unreadable)."""

    path: str
    copy_line: int
    kind: str
    version: str = ""
    detail: str = ""


@node
class MlProject(Node):
    project: Project
    stages: tuple[MlStage, ...] = ()
    packages: tuple[MlPackage, ...] = ()
    calls: tuple[CodeCall, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    context_files: frozenset[str] = frozenset()  # sources and model files the image copies (bounded listing)
    platform: str = "linux/amd64"

    @property
    def final(self) -> MlStage | None:
        """The stage the build produces (the last of the final chain)."""
        finals = [s for s in self.stages if s.final]
        return max(finals, key=lambda s: s.index) if finals else None

    @cached_property
    def versions(self) -> dict[str, MlPackage]:
        """Distribution -> its entry in the final image (the last install wins), computed once."""
        out: dict[str, MlPackage] = {}
        for p in sorted(self.image_packages(), key=lambda p: p.install_line):
            if p.version or p.name not in out:
                out[p.name] = p
        return out

    def image_packages(self) -> tuple[MlPackage, ...]:
        """The distributions that reach the final image (its own chain and the stages it copies from)."""
        return self._image_packages

    @cached_property
    def _image_packages(self) -> tuple[MlPackage, ...]:
        into = {s.index for s in self.stages if s.final or s.feeds}
        return tuple(p for p in self.packages if p.stage in into)
