"""Model nodes are ``@node`` classes: frozen dataclasses, subclasses of ``Node``, compared by identity.

``@dataclass`` writes each class's ``__init__``, ``__setattr__`` and ``__delattr__`` as source text and
compiles it at import, and inspects every annotation: for the two dozen node classes that was about a
tenth of a one-file ``reprocheck lint``, which runs in a pre-commit hook on every commit. ``@node`` gives
the same dataclass (``fields``, ``replace``, ``asdict``, ``FrozenInstanceError`` on assignment, ``frozen``
in its parameters) without compiling anything at import: the fields are read from the annotations as
dataclass reads them (``_own_fields``), ``Node`` forbids assignment once for all, and a class's
``__init__`` is written the first time the class is instantiated (many never are in a run). Nodes are
compared by identity (the engine never asks whether two instructions are equal) and share one
``__repr__``. Values that are compared (Finding, Location, RuleMeta) are ``@valueclass`` classes
(``model/_value.py``).

A plain ``@dataclass(frozen=True, repr=False, eq=False)`` subclass of a node still works.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, Field, FrozenInstanceError, field, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)


class Node:
    """Base of model nodes: frozen, with a readable repr from the dataclass fields."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]  # what dataclasses.fields() lists


def _own_fields(cls: type) -> dict[str, Field[Any]]:
    """The fields of ``cls``: its dataclass bases' first, then its own annotations, as dataclass reads them."""
    out: dict[str, Field[Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        out.update(base.__dict__.get("__dataclass_fields__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 (as dataclass reads them)
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if text.startswith(("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar", "KW_ONLY")):
            raise TypeError(f"@valueclass does not support {text} ({cls.__qualname__}.{name}): use @dataclass")
        default = cls.__dict__.get(name, MISSING)
        f: Field[Any] = default if isinstance(default, Field) else field(default=default)
        f.name, f.type = name, annotation
        f._field_type = _FIELD  # type: ignore[attr-defined]
        if f.kw_only is True:
            raise TypeError(f"keyword-only fields are not supported ({cls.__qualname__}.{name}): use @dataclass")
        f.kw_only = False  # as dataclass(kw_only=False) sets it
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory")
        if isinstance(default, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        out[name] = f
    seen_default = False  # non-default fields after default ones, as dataclass checks when it writes __init__
    for f in out.values():
        if not f.init:
            continue
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or has_default
    return out


def _params(*, eq: bool, order: bool = False) -> Any:
    """What ``__dataclass_params__`` holds for a frozen dataclass made with these settings."""
    params = object.__new__(dataclasses._DataclassParams)  # type: ignore[attr-defined]
    for name, setting in (("init", True), ("repr", True), ("eq", eq), ("order", order)):
        setattr(params, name, setting)
    params.unsafe_hash, params.frozen = False, True
    return params


def _write_init(cls: type) -> Any:
    """The ``__init__`` ``@dataclass(frozen=True)`` would write for ``cls``."""
    namespace: dict[str, Any] = {"__set": object.__setattr__, "__MISSING": MISSING}
    params, body = ["self"], []
    for f in fields(cls):
        if not f.init:  # set from its default, or later by __post_init__
            if f.default is not MISSING:
                namespace[f"__d_{f.name}"] = f.default
                body.append(f"__set(self, {f.name!r}, __d_{f.name})")
            elif f.default_factory is not MISSING:
                namespace[f"__f_{f.name}"] = f.default_factory
                body.append(f"__set(self, {f.name!r}, __f_{f.name}())")
            continue
        if f.default is not MISSING:
            namespace[f"__d_{f.name}"] = f.default
            params.append(f"{f.name}=__d_{f.name}")
            body.append(f"__set(self, {f.name!r}, {f.name})")
        elif f.default_factory is not MISSING:
            namespace[f"__f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=__MISSING")
            body.append(f"__set(self, {f.name!r}, __f_{f.name}() if {f.name} is __MISSING else {f.name})")
        else:
            params.append(f.name)
            body.append(f"__set(self, {f.name!r}, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n    " + ("\n    ".join(body) or "pass")
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


# Compiling a class's ``__init__`` costs ~0.7 M instructions, ~30 classes a one-file lint: until a class has
# made this many instances, a generic ``__init__`` binds the arguments the same way (a few microseconds
# slower each); a tree of thousands of files gets the compiled one.
COMPILE_AFTER = 16


class _Binding:
    """What a class's ``__init__`` does, done generically: fields in order, defaults, factories, then
    ``__post_init__``."""

    __slots__ = ("calls", "fields", "names", "post", "qualname")

    def __init__(self, cls: type) -> None:
        self.calls = 0
        self.fields = fields(cls)
        self.names = tuple(f.name for f in self.fields if f.init)
        self.post = hasattr(cls, "__post_init__")
        self.qualname = f"{cls.__qualname__}.__init__()"

    def bind(self, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        names = self.names
        if len(args) > len(names):
            raise TypeError(
                f"{self.qualname} takes {len(names) + 1} positional arguments but {len(args) + 1} were given"
            )
        given = dict(zip(names, args, strict=False))
        for key, item in kwargs.items():
            if key not in names:
                raise TypeError(f"{self.qualname} got an unexpected keyword argument {key!r}")
            if key in given:
                raise TypeError(f"{self.qualname} got multiple values for argument {key!r}")
            given[key] = item
        missing = [name for name in names if name not in given and _required(self.fields, name)]
        if missing:
            raise TypeError(f"{self.qualname} missing {len(missing)} required argument(s): {', '.join(missing)}")
        for f in self.fields:
            if f.init and f.name in given:
                object.__setattr__(obj, f.name, given[f.name])
            elif f.default is not MISSING:
                object.__setattr__(obj, f.name, f.default)
            elif f.default_factory is not MISSING:
                object.__setattr__(obj, f.name, f.default_factory())
        if self.post:
            obj.__post_init__()


def _required(all_fields: tuple[Field[Any], ...], name: str) -> bool:
    return any(f.name == name and f.default is MISSING and f.default_factory is MISSING for f in all_fields)


_BINDINGS: dict[type, _Binding] = {}


def _init_on_first_use(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    binding = _BINDINGS.get(cls)
    if binding is None:
        binding = _BINDINGS[cls] = _Binding(cls)
    binding.calls += 1
    if binding.calls < COMPILE_AFTER:
        binding.bind(self, args, kwargs)
        return
    init = _write_init(cls)
    cls.__init__ = init  # later instances call it directly
    init(self, *args, **kwargs)


@dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(field,))
def node(cls: T) -> T:
    """``@dataclass(frozen=True, repr=False, eq=False)`` for a ``Node`` subclass, compiled on first use."""
    own = _own_fields(cls)
    setattr(cls, "__dataclass_fields__", own)  # noqa: B010
    setattr(cls, "__dataclass_params__", _params(eq=False))  # noqa: B010
    setattr(cls, "__match_args__", tuple(f.name for f in own.values() if f.init))  # noqa: B010
    setattr(cls, "__init__", _init_on_first_use)  # noqa: B010 (mypy refuses the assignment)
    return cls
