"""``@node`` is a frozen dataclass that compiles nothing at import: same fields, defaults, immutability."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from reprocheck.model._node import Node, node
from reprocheck.model.dockerfile import FromInstruction, ImageRef, Instruction


@node
class Point(Node):
    x: int
    y: int = 0
    tags: dict[str, str] = dataclasses.field(default_factory=dict)


@node
class Point3(Point):
    z: int = 0


def test_fields_defaults_and_factories_as_dataclass_gives_them():
    p, q = Point(1), Point(x=2, y=3, tags={"a": "b"})
    assert (p.x, p.y, p.tags, q.x, q.y, q.tags) == (1, 0, {}, 2, 3, {"a": "b"})
    assert Point(1).tags is not Point(1).tags  # a fresh default per instance
    assert [f.name for f in dataclasses.fields(Point3)] == ["x", "y", "tags", "z"]
    assert Point3(1, z=5).z == 5
    assert dataclasses.replace(q, y=9).y == 9
    assert dataclasses.asdict(p) == {"x": 1, "y": 0, "tags": {}}
    assert dataclasses.is_dataclass(Point) and Point.__dataclass_params__.frozen  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, {}, 4)  # type: ignore[call-arg]


def test_frozen_and_compared_by_identity():
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x
    assert p != Point(1) and p == p
    assert repr(p) == "Point(x=1, y=0, tags={})"


def test_copies_and_pickles_keep_the_values():
    ref = ImageRef("python:3.11", "python:3.11", repository="python", tag="3.11")
    ins = FromInstruction("FROM", 1, 1, "python:3.11", 0, 0, image=ref)
    for clone in (pickle.loads(pickle.dumps(ins)), copy.copy(ins), copy.deepcopy(ins)):
        assert (clone.keyword, clone.image.tag, clone.flags) == ("FROM", "3.11", {})


def test_a_plain_frozen_dataclass_can_extend_a_node():
    @dataclasses.dataclass(frozen=True, repr=False, eq=False)
    class Healthcheck(Instruction):
        interval: str = "30s"

    h = Healthcheck("HEALTHCHECK", 3, 3, "CMD true", 2, 0)
    assert (h.line, h.interval) == (3, "30s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.interval = "1s"  # type: ignore[misc]


def test_a_field_without_default_after_one_with_is_refused():
    with pytest.raises(TypeError, match="non-default argument"):

        @node
        class Bad(Node):
            a: int = 1
            b: int  # type: ignore[misc]
