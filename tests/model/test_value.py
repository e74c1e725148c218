"""``@valueclass`` is a frozen dataclass compared by value that compiles nothing at import."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from reprocheck.model._node import COMPILE_AFTER
from reprocheck.model._value import valueclass


@valueclass(slots=True, order=True)
class Spot:
    path: str
    line: int
    column: int | None = None


@valueclass
class Note:
    rule: str
    spot: Spot
    details: dict[str, Any] | None = dataclasses.field(default=None, compare=False)
    tags: tuple[str, ...] = ()
    extra: dict[str, str] = dataclasses.field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", self.rule.upper())


def test_equality_hash_and_order_as_dataclass_gives_them():
    a, b = Spot("a", 1), Spot("a", 2)
    assert a == Spot("a", 1) and a != b and hash(a) == hash(Spot("a", 1))
    assert a < b <= b and b > a >= a and sorted([b, a]) == [a, b]
    assert a.__eq__(("a", 1)) is NotImplemented and len({a, Spot("a", 1)}) == 1
    with pytest.raises(TypeError):
        _ = a < ("a", 1)  # type: ignore[operator]
    n, m = Note("x", a, details={"k": 1}), Note("x", a)
    assert n == m and hash(n) == hash(m)  # details are not compared
    assert n != Note("x", a, tags=("t",))


def test_fields_defaults_repr_replace_and_asdict():
    n = Note("x", Spot("a", 1))
    assert n.rule == "X" and n.extra == {} and n.extra is not Note("y", Spot("a", 1)).extra
    assert [f.name for f in dataclasses.fields(Note)] == ["rule", "spot", "details", "tags", "extra"]
    assert repr(n) == "Note(rule='X', spot=Spot(path='a', line=1, column=None), details=None, tags=(), extra={})"
    assert dataclasses.replace(n, tags=("t",)).tags == ("t",)
    assert dataclasses.asdict(Spot("a", 1)) == {"path": "a", "line": 1, "column": None}
    assert Spot.__match_args__ == ("path", "line", "column") and Spot.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert Spot.__slots__ == ("path", "line", "column") and not hasattr(Spot("a", 1), "__dict__")
    with pytest.raises(TypeError):
        Spot()  # type: ignore[call-arg]


def test_frozen_copied_and_pickled():
    a, n = Spot("a", 1), Note("x", Spot("a", 1), tags=("t",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.line = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del n.rule
    for clone in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
        assert clone == a
    assert pickle.loads(pickle.dumps(n)) == n and copy.deepcopy(n) == n


def test_refuses_what_dataclass_refuses():
    with pytest.raises(ValueError, match="mutable default"):

        @valueclass
        class Bad:
            items: list[str] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="follows default"):

        @valueclass
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]


def _made_class() -> Any:
    @valueclass
    class Made:
        name: str
        extra: dict[str, str] = dataclasses.field(default_factory=dict)
        seen: list[str] = dataclasses.field(init=False, default_factory=list)
        size: int = 3

        def __post_init__(self) -> None:
            self.seen.append(self.name)

    return Made


def _refuses_bad_arguments(cls: Any) -> None:
    bad: tuple[Any, ...]
    for bad in ((), ("a", {}, 1, 2)):
        with pytest.raises(TypeError):
            cls(*bad)
    for kwargs in ({"name": "a", "seen": []}, {"nme": "a"}, {"size": 1}):
        with pytest.raises(TypeError):
            cls(**kwargs)
    with pytest.raises(TypeError):
        cls("a", name="b")


def test_the_generic_init_and_the_compiled_one_agree():
    made_class = _made_class()
    _refuses_bad_arguments(made_class)  # the generic __init__
    made = [made_class(f"n{k}", size=k) if k % 2 else made_class(f"n{k}", {"k": "v"}) for k in range(COMPILE_AFTER + 4)]
    assert "__init__" in made_class.__dict__ and made_class.__init__.__qualname__.endswith("Made.__init__")
    for k, m in enumerate(made):
        expected = (f"n{k}", {}, [f"n{k}"], k) if k % 2 else (f"n{k}", {"k": "v"}, [f"n{k}"], 3)
        assert (m.name, m.extra, m.seen, m.size) == expected
    _refuses_bad_arguments(made_class)  # the compiled one


def test_a_class_of_its_own_equality_is_still_hashed_by_its_fields():
    @valueclass
    class Named:
        name: str
        note: str = ""

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and self.name == other.name

    assert Named("a", "x") == Named("a", "y") and hash(Named("a")) == hash(Named("a"))
