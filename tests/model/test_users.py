"""Who runs the code, decided as the runtime (moby/sys/user, used by dockerd and runc) decides: each root
spelling of issue 24 fault 8, names through the image's passwd and group files."""

from __future__ import annotations

import pytest

from reprocheck.model.users import NOBODY, atoi, decide, decide_in_image, is_root_spec, needs_files, resolve

PASSWD = b"""root:x:0:0:root:/root:/bin/bash
admin:x:0:0:an alias of root:/root:/bin/sh
app:x:1000:1000::/home/app:/bin/sh
odd:x:abc:5::/:/bin/sh

  # a comment is a name to the runtime
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
GROUP = b"root:x:0:\nwheel:x:10:app\napp:x:1000:\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("00", 0),
        ("+0", 0),
        ("-0", 0),
        ("1000", 1000),
        ("-1", -1),
        ("0x0", None),
        (" 0", None),
        ("", None),
        ("+", None),
        ("٣", None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_atoi_reads_ids_as_go_does(text: str, value: int | None):
    assert atoi(text) == value


@pytest.mark.parametrize("spec", ["0", "00", "+0", "-0", "0:0", "0:1000", "root", "root:app", ":1000", "000:wheel"])
def test_every_root_spelling_is_root_without_the_image(spec: str):
    assert is_root_spec(spec)
    assert resolve(spec, PASSWD, GROUP).root


@pytest.mark.parametrize("spec", ["1000", "app", "1000:0", "nobody", "-1", "+1000"])
def test_not_root_without_the_image(spec: str):
    assert not is_root_spec(spec)


def test_names_resolve_through_passwd_and_group():
    assert resolve("admin", PASSWD, GROUP).root  # a name whose passwd line says uid 0
    assert resolve("odd", PASSWD, GROUP).root  # a uid Atoi cannot read is 0 to the runtime
    app = resolve("app", PASSWD, GROUP)
    assert (app.uid, app.gid, app.root) == (1000, 1000, False)
    assert resolve("app:wheel", PASSWD, GROUP).gid == 10
    assert resolve("1000", PASSWD, GROUP).gid == 1000  # a numeric user is matched by uid, with its group
    assert resolve("4242", PASSWD, GROUP).uid == 4242  # no line: the number itself, group 0
    assert resolve("ghost", PASSWD, GROUP).error == "no user `ghost` in the image's /etc/passwd"
    assert resolve("app:ghosts", PASSWD, GROUP).error == "no group `ghosts` in the image's /etc/group"
    assert resolve("app", None, None).error  # no passwd file: a name cannot run
    assert resolve("-1", PASSWD, GROUP).error == "uid -1 is out of range"
    assert resolve(str(2**31), PASSWD, GROUP).error == f"uid {2**31} is out of range"
    assert resolve("app", b"app:x:" + b"1" * 70000 + b"\n", None).error  # the runtime's reader fails
    assert resolve("app", b"app:x:1000:1000\napp:x:0:0\n", None).uid == 1000  # first line wins


def test_needs_files_only_for_names():
    assert [needs_files(s) for s in ("0", "+0", "1000:1000", "app", "1000:wheel", ":0")] == [
        False,
        False,
        False,
        True,
        True,
        False,
    ]


def test_decisions():
    # the configuration's user
    assert decide("app", False, "", PASSWD, GROUP).user == "app"
    refused = decide("admin", False, "", PASSWD, GROUP)
    assert refused.refused and "uid 0 in the image" in refused.refused and refused.user == NOBODY
    allowed = decide("-0", True, "", PASSWD, GROUP)
    assert allowed.user == "-0" and allowed.note and allowed.note.startswith("warning: the prediction runs as root")
    ghost = decide("ghost", False, "", PASSWD, GROUP)
    assert ghost.user == NOBODY and ghost.note and "runs as nobody" in ghost.note
    # the image's USER: root by any spelling runs as nobody, a user it cannot resolve too (with a note)
    assert decide(None, False, "", PASSWD, GROUP).user == NOBODY
    for spelling in ("00", "+0", "-0", "0:0", "admin", "root"):
        assert decide(None, True, spelling, PASSWD, GROUP).user == NOBODY, spelling
    assert decide(None, False, "+0", PASSWD, GROUP).note == (
        "the image's `USER +0` is uid 0: the prediction runs as nobody (65534)"
    )
    assert decide(None, False, "root", PASSWD, GROUP).note is None
    assert decide(None, False, "app", PASSWD, GROUP).user == "app"
    assert decide(None, False, "ghost", PASSWD, GROUP).user == NOBODY


def test_files_are_read_only_for_names():
    asked: list[tuple[str, ...]] = []

    def read(paths: tuple[str, ...]) -> dict[str, bytes]:
        asked.append(paths)
        return {"/etc/passwd": PASSWD, "/etc/group": GROUP}

    assert decide_in_image(None, False, "1000", read).user == "1000" and asked == []
    assert decide_in_image(None, False, "admin", read).user == NOBODY and len(asked) == 1
