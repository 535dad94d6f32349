"""One registry pattern for models, metrics, direction methods, pools and datasets.

A config names an entry by string; the registry maps it to a factory and says,
when the name is unknown, which names exist. An entry carries its facts (e.g. whether
its work runs on a GPU), so the workflow reads them instead of keeping lists in step.
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
        self._facts: dict[str, dict] = {}

    def register(self, name: str, replace: bool = False, **facts) -> Callable[[T], T]:
        """Add a factory under ``name``, with its facts (``gpu=True``: its work runs on a
        GPU where the device allows one)."""
        def add(factory: T) -> T:
            if name in self._entries and not replace:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = factory
            self._facts[name] = facts
            return factory

        return add

    def fact(self, name: str, key: str, default=None):
        """One registered fact of an entry; an unknown name fails naming the known ones."""
        self.get(name)
        return self._facts[name].get(key, default)

    def uses_gpu(self, name: str) -> bool:
        """Whether the entry's work runs on a GPU where the device allows one."""
        return bool(self.fact(name, "gpu", False))

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
