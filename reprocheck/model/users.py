"""Who a container runs as, decided the way the runtime decides it (moby/sys/user's ``GetExecUser``, which
dockerd and runc use): a user spec is ``user[:group]``; a part that Go's ``strconv.Atoi`` reads (``0``, ``00``,
``+0``, ``-0``) is an id, matched against the image's ``/etc/passwd`` by uid only; anything else is a name,
looked up in ``/etc/passwd`` (and the group in ``/etc/group``), first line wins. An empty user part means
the default user, uid 0. In those files a numeric field Atoi cannot read counts as 0, as it does there.

Comparing strings (``"0"``, ``"root"``) misses ``USER 00``, ``user = "+0"`` and a name whose passwd line says
uid 0: all run as root. Pure: the caller reads the two files from the image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

NOBODY = "65534:65534"
MAX_ID = 2**31 - 1  # the runtime refuses ids outside 0..2^31-1
MAX_FILE = 4 * 1024**2  # bytes of /etc/passwd or /etc/group read from an image
_MAX_LINE = 64 * 1024  # Go's bufio.Scanner fails on a longer line, and the look-up with it


def atoi(text: str) -> int | None:
    """``text`` as Go's ``strconv.Atoi`` reads it (an optional sign, ASCII digits, 64 bits), else None."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not (body.isascii() and body.isdigit()):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def split_spec(spec: str) -> tuple[str, str]:
    """``user[:group]`` as the runtime splits it (fields past the second are ignored)."""
    user, _, rest = spec.partition(":")
    return user, rest.split(":", 1)[0]


def is_root_spec(spec: str) -> bool:
    """What can be told without the image: ``spec`` runs as uid 0 (``0``, ``00``, ``+0``, ``-0``, ``0:0``,
    ``root``, ``:1000``). A name may also be uid 0 in the image: ``resolve`` knows."""
    user = split_spec(spec)[0]
    return user in ("", "root") or atoi(user) == 0


def needs_files(spec: str) -> bool:
    """The image's passwd or group file decides something: the user or the group is a name."""
    user, group = split_spec(spec)
    return (user != "" and atoi(user) is None) or (group != "" and atoi(group) is None)


@dataclass(frozen=True)
class Identity:
    """The uid and gid the runtime would run ``spec`` as; ``error`` when it would refuse to start."""

    spec: str
    uid: int = 0
    gid: int = 0
    error: str | None = None

    @property
    def root(self) -> bool:
        return self.error is None and self.uid == 0


def _lines(data: bytes | None) -> list[list[str]] | None:
    """The fields of each non-blank line; None when the runtime's reader would fail (a line over 64 KiB)."""
    if data is None:
        return []
    out = []
    for raw in data.split(b"\n"):
        if len(raw) > _MAX_LINE:
            return None
        line = raw.strip().decode("utf-8", "surrogateescape")
        if line:
            out.append(line.split(":"))
    return out


def _field_id(fields: list[str], k: int) -> int:
    return (atoi(fields[k]) or 0) if k < len(fields) else 0


def resolve(spec: str, passwd: bytes | None, group: bytes | None) -> Identity:
    """The identity ``spec`` runs as in an image whose ``/etc/passwd`` and ``/etc/group`` hold ``passwd`` and
    ``group`` (None: the file is not there)."""
    user, grp = split_spec(spec)
    uid_arg, gid_arg = atoi(user), atoi(grp)
    users = _lines(passwd)
    if users is None:
        return Identity(spec, error="the image's /etc/passwd has a line over 64 KiB")
    if user == "":
        match = [u for u in users if _field_id(u, 2) == 0]
    elif uid_arg is not None:
        match = [u for u in users if _field_id(u, 2) == uid_arg]
    else:
        match = [u for u in users if u[0] == user]
    uid = gid = 0
    if match:
        uid, gid = _field_id(match[0], 2), _field_id(match[0], 3)
    elif user != "":
        if uid_arg is None:
            return Identity(spec, error=f"no user `{user}` in the image's /etc/passwd")
        if not 0 <= uid_arg <= MAX_ID:
            return Identity(spec, error=f"uid {uid_arg} is out of range")
        uid = uid_arg
    if grp != "":
        groups = _lines(group)
        if groups is None:
            return Identity(spec, error="the image's /etc/group has a line over 64 KiB")
        found = [g for g in groups if (_field_id(g, 2) == gid_arg if gid_arg is not None else g[0] == grp)]
        if found:
            gid = _field_id(found[0], 2)
        elif gid_arg is None:
            return Identity(spec, error=f"no group `{grp}` in the image's /etc/group")
        elif not 0 <= gid_arg <= MAX_ID:
            return Identity(spec, error=f"gid {gid_arg} is out of range")
        else:
            gid = gid_arg
    return Identity(spec, uid, gid)


@dataclass(frozen=True)
class Decision:
    """What a sandboxed run is created with: ``user``, a ``note`` for the report, or ``refused`` (the
    configuration's user is uid 0 in the image and ``allow-root`` is not set)."""

    user: str
    note: str | None = None
    refused: str | None = None


def decide(
    config_user: str | None, allow_root: bool, image_user: str, passwd: bytes | None, group: bytes | None
) -> Decision:
    """The configuration's ``user`` when set, else the image's ``USER``, resolved in the image: uid 0 by any
    spelling runs only with ``allow-root`` (the configuration's user; a warning) and the image's root runs as
    nobody; a user the image cannot resolve (the runtime would refuse to start) runs as nobody, with a note."""
    if config_user is not None:
        ident = resolve(config_user, passwd, group)
        if ident.error:
            return Decision(
                NOBODY,
                f"`user = {config_user!r}` cannot run in this image ({ident.error}): "
                "the prediction runs as nobody (65534)",
            )
        if not ident.root:
            return Decision(config_user)
        if not allow_root:
            return Decision(
                NOBODY,
                refused=f"`{config_user}` is uid 0 in the image: it runs the project's code as root, "
                "refused unless `allow-root = true`",
            )
        return Decision(
            config_user,
            f"warning: the prediction runs as root (`user = {config_user!r}`, allow-root = true), not as nobody",
        )
    if not image_user:
        return Decision(NOBODY)
    ident = resolve(image_user, passwd, group)
    if ident.error:
        return Decision(
            NOBODY, f"the image's `USER {image_user}` cannot run ({ident.error}): the prediction runs as nobody (65534)"
        )
    if ident.root:
        plain = split_spec(image_user)[0] in ("root", "0")
        return Decision(
            NOBODY,
            None if plain else f"the image's `USER {image_user}` is uid 0: the prediction runs as nobody (65534)",
        )
    return Decision(image_user)


Read = Callable[[tuple[str, ...]], Mapping[str, bytes]]
FILES = ("/etc/passwd", "/etc/group")


def decide_in_image(config_user: str | None, allow_root: bool, image_user: str, read: Read) -> Decision:
    """``decide``, with the image's passwd and group files read (``read(paths)``) only when a name needs them."""
    wanted = config_user if config_user is not None else image_user
    files: Mapping[str, bytes] = read(FILES) if wanted and needs_files(wanted) else {}
    return decide(config_user, allow_root, image_user, files.get(FILES[0]), files.get(FILES[1]))
