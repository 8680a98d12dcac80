"""A value derived from an object once and kept in its __dict__ (Event's epoch_ms and mark)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

Derived = TypeVar("Derived")


class derived(Generic[Derived]):  # noqa: N801 (a decorator, like functools.cached_property)
    """functools.cached_property without its lock (Python 3.11 takes one at every first
    use, a microsecond an event): the value goes into the instance's __dict__, where the
    next lookup finds it as a plain attribute. Events are not shared between threads."""

    def __init__(self, compute: Callable[[Any], Derived]) -> None:
        self.compute = compute
        self.name = compute.__name__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> derived[Derived]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Derived: ...

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value
