"""One registry pattern for models, metrics, direction methods, pools and datasets.

A config names an entry by string; the registry maps it to a factory and says,
when the name is unknown, which names exist.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Callable, Generic, TypeVar

T = TypeVar("T", bound=Callable)


class Registry(Generic[T]):
    """A named collection of factories, filled with the ``register`` decorator."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, replace: bool = False) -> Callable[[T], T]:
        def add(factory: T) -> T:
            if name in self._entries and not replace:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = factory
            return factory

        return add

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            close = get_close_matches(str(name), list(self._entries), n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise KeyError(f"unknown {self.kind} {name!r}{hint}; known: "
                           f"{', '.join(sorted(self._entries))}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries
