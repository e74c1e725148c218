"""Issue 24 fault 9: image names made from a directory are always valid references (Docker's grammar:
path components of [a-z0-9] joined by `.`, `_`, `__` or runs of `-`; a tag of at most 128 word characters)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reprocheck.backend.base import project_id
from reprocheck.backend.inputs import image_name

# github.com/distribution/reference: the repository part of a name, and a tag
COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
NAME = re.compile(rf"{COMPONENT}(?:/{COMPONENT})*")
TAG = re.compile(r"[\w][\w.-]{0,127}")


@pytest.mark.parametrize(
    "directory",
    [
        "x" * 250,
        "My Project",
        "a..b",
        "a._b",
        "a___b",
        "__init__",
        "-.-",
        "ÉtÉ_ML",
        "a" + "-" * 300 + "b",
        "\udcff\udcfe",
        "v1.2.3",
        "x" * 60 + "." + "y" * 10,
        ".hidden",
        "UPPER__lower",
    ],
)
def test_every_directory_gives_a_valid_name_and_tag(directory: str, tmp_path: Path):
    name = image_name(directory)
    assert NAME.fullmatch(name) and len(name) <= 255, name
    assert len(name) <= len("reprocheck/") + 64
    tag = f"{'0' * 16}-{project_id(tmp_path / 'x').rsplit('-', 1)[-1]}"
    assert TAG.fullmatch(tag)


def test_names_stay_readable_and_distinct():
    assert image_name("iris-clean") == "reprocheck/iris-clean"
    assert image_name("iris_clean.v2") == "reprocheck/iris_clean.v2"  # valid separators are kept
    assert image_name("x" * 250) != image_name("x" * 249)  # cut, and told apart by the hash
    assert image_name("x" * 250).startswith("reprocheck/xxxx")


def test_project_id_of_a_non_utf8_directory(tmp_path: Path):
    assert project_id(tmp_path / "caf\udce9")  # hashed as the bytes it is, no UnicodeEncodeError
