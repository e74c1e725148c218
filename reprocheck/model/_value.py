"""``@valueclass`` classes: frozen dataclasses compared by value, built without compiling anything at import.

``@dataclass(frozen=True)`` writes six methods per class as source text and compiles them at import
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``): for the value
classes a one-file ``reprocheck lint`` imports (Finding, Location, RuleMeta, LintOptions, ...) that was
about a sixth of its instructions, in a pre-commit hook that runs on every commit. ``@valueclass`` gives the
same dataclass (``fields``, ``replace``, ``asdict``, ``FrozenInstanceError`` on assignment, equality and
hash over the compared fields, ``order=True``, ``slots=True``, pickling) without compiling: equality,
hash and order compare ``operator.attrgetter`` tuples, the repr is shared, and ``__init__`` is written
the first time the class is instantiated (as ``@node`` does). Fields come from the class annotations;
``ClassVar``/``InitVar``/``KW_ONLY`` are not supported (use ``@dataclass`` for those).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import FrozenInstanceError, field
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

from ._node import _init_on_first_use, _own_fields, _params

T = TypeVar("T", bound=type)


def _with_slots(cls: type, names: tuple[str, ...]) -> type:
    """``cls`` remade with ``__slots__`` for its own fields (as ``@dataclass(slots=True)`` does)."""
    inherited = {s for b in cls.__mro__[1:-1] for s in b.__dict__.get("__slots__", ())}
    namespace = dict(cls.__dict__)
    namespace["__slots__"] = tuple(n for n in names if n not in inherited)
    for name in (*names, "__dict__", "__weakref__"):
        namespace.pop(name, None)
    made = type(cls)(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    return made


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in type(self).__dataclass_fields__]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, item in zip(type(self).__dataclass_fields__, state, strict=True):
        object.__setattr__(self, name, item)


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__dataclass_fields__.values() if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes, as dataclass's generated methods compare and hash them."""
    if len(names) > 1:
        return attrgetter(*names)
    name = names[0] if names else None

    def one(self: Any) -> tuple[Any, ...]:
        return () if name is None else (getattr(self, name),)

    return one


def _compared(key: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return test(key(self), key(other))
        return NotImplemented

    return method


def _hashed(key: Callable[[Any], Any]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _make(cls: T, slots: bool, order: bool) -> T:
    own = _own_fields(cls)
    if slots:
        cls = _with_slots(cls, tuple(own))  # type: ignore[assignment]
        setattr(cls, "__getstate__", _getstate)  # noqa: B010 (mypy refuses the assignment)
        setattr(cls, "__setstate__", _setstate)  # noqa: B010
    key = _getter(tuple(f.name for f in own.values() if f.compare))
    methods: dict[str, Any] = {
        "__dataclass_fields__": own,
        "__dataclass_params__": _params(eq=True, order=order),
        "__match_args__": tuple(f.name for f in own.values() if f.init),
        "__init__": _init_on_first_use,
        "__setattr__": _frozen_setattr,
        "__delattr__": _frozen_delattr,
    }
    defaults: dict[str, Any] = {  # as dataclass does, a method the class defines itself stays
        "__repr__": _repr,
        "__eq__": _compared(key, operator.eq),
        "__hash__": _hashed(_getter(tuple(f.name for f in own.values() if (f.compare if f.hash is None else f.hash)))),
    }
    if order:
        defaults |= {f"__{op}__": _compared(key, getattr(operator, op)) for op in ("lt", "le", "gt", "ge")}
    own_methods = {name for name in defaults if name in cls.__dict__}
    if cls.__dict__.get("__hash__", 0) is None and "__eq__" in cls.__dict__:
        own_methods.discard("__hash__")  # Python's implicit None beside a class's own __eq__: dataclass hashes
    methods |= {name: method for name, method in defaults.items() if name not in own_methods}
    for name, method in methods.items():
        setattr(cls, name, method)
    return cls


@overload
def valueclass(cls: T, /) -> T: ...


@overload
def valueclass(*, slots: bool = False, order: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, eq_default=True, field_specifiers=(field,))
def valueclass(cls: T | None = None, /, *, slots: bool = False, order: bool = False) -> T | Callable[[T], T]:
    """``@dataclass(frozen=True[, slots=True][, order=True])``, compiled on first use (see the module)."""
    if cls is None:
        return lambda c: _make(c, slots, order)
    return _make(cls, slots, order)
