"""A bounded mapping that forgets the least recently used entry: the engine's caches keyed
by client input (course ids, learner ids, tenants) use it, so no caller can grow them
without bound."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most ``size`` entries; reading or writing an entry makes it the most recent."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("an LRU holds at least one entry")
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recent), or None."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Set ``key``, evicting the least recently used entry beyond ``size``."""
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def setdefault(self, key: K, value: V) -> V:
        """The value of ``key`` if present, else ``value``, now stored."""
        found = self.get(key)
        if found is not None:
            return found
        self.put(key, value)
        return value

    def pop(self, key: K) -> V | None:
        """Remove ``key``; its value or None."""
        return self._data.pop(key, None)

    def drop(self, match: Callable[[K], bool]) -> int:
        """Remove every entry whose key matches; how many."""
        keys = [k for k in self._data if match(k)]
        for k in keys:
            del self._data[k]
        return len(keys)

    def clear(self) -> None:
        """Remove everything."""
        self._data.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._data))
