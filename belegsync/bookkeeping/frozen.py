"""A frozen dataclass built in one step: the same ``__init__``, a cheaper body.

A frozen dataclass's generated ``__init__`` stores each field with its own
``object.__setattr__`` call (its ``__setattr__`` refuses), which is most of what
building a voucher costs: an import builds a ``Voucher`` (22 fields), its
``Party`` (9) and its lines for every invoice of a file. :func:`one_step_init`
gives such a class an ``__init__`` with the very same parameters (names, order,
defaults, a fresh default from each ``default_factory``) that sets the
instance's ``__dict__`` at once. Everything else is the dataclass's own: the
class stays frozen (assignment raises), ``==``, ``hash``, ``repr``,
``dataclasses.replace`` and ``fields`` work as before.
``tests/bookkeeping/test_frozen.py`` holds both ``__init__`` side by side.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class _Factory:
    """The default of a parameter whose field has a ``default_factory``: not passed."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<factory of {self.name}>"


#: The most entries CPython 3.11 builds a dict display of at once (BUILD_CONST_KEY_MAP, a
#: table made to size): a longer one it builds entry by entry, growing the table four
#: times for a voucher's 22. A copy of a dict of the field names, its values then set, is
#: made to size, 14 % less to build a ``Voucher``; for a short one the display is less.
_ONE_DISPLAY = 15


def one_step_init(cls: type[T]) -> type[T]:
    """Replace the ``__init__`` of the frozen dataclass ``cls`` by one that sets all its
    fields in one assignment (see the module doc). The dataclass's own stays as
    ``cls.__dataclass_init__``, for the test that compares the two."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which this __init__ would skip")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    own = inspect.signature(cls.__init__).parameters
    plain = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if list(own)[1:] != [f.name for f in fields] or any(p.kind is not plain for p in own.values()):
        # an InitVar, a field left out of __init__, a keyword-only one: not supported
        raise TypeError(f"{cls.__name__}: its __init__ takes more than its fields in order")
    names = [f.name for f in fields]
    if "_fields" in names:
        raise TypeError(f"{cls.__name__}: a field's name is one the __init__ uses itself")
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_names": dict.fromkeys(names)}
    parameters, defaults = [], []
    for f in fields:
        name = f.name
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = f.default
            parameters.append(f"{name}=_default_{name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
            namespace[f"_unset_{name}"] = _Factory(name)
            parameters.append(f"{name}=_unset_{name}")
            defaults.append(
                f"    if {name} is _unset_{name}:\n        {name} = _factory_{name}()\n"
            )
        else:
            parameters.append(name)
    if len(names) <= _ONE_DISPLAY:
        fill = f"    _fields = {{{', '.join(f'{name!r}: {name}' for name in names)}}}\n"
    else:
        fill = "    _fields = _names.copy()\n" + "".join(
            f"    _fields[{name!r}] = {name}\n" for name in names
        )
    source = (
        f"def __init__(self, {', '.join(parameters)}):\n"
        f"{''.join(defaults)}{fill}    _set(self, '__dict__', _fields)\n"
    )
    exec(source, namespace)  # noqa: S102 - code built from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__dataclass_init__ = cls.__init__  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


R = TypeVar("R")


class once(Generic[R]):  # lower case: used like the property it stands for
    """A value of a frozen instance figured on first read and kept in its ``__dict__``:
    ``functools.cached_property`` without the lock Python 3.11 takes on every first read
    (3.12 dropped it; two threads may both figure a pure value, as they may there).
    A voucher's treatment and tax groups are first read by the import's checks."""

    def __init__(self, func: Callable[[Any], R]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> once[R]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> R: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> R | once[R]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value
