"""Values the domain reads several times in one unit of work, kept without the domain knowing what that unit is.

The domain names each kept value and the tables it is read from (`keep(...)`); whoever runs the unit of
work installs a store (the web layer: liaison/request_memo.py, one per request, dropped when those tables
are written). Without an installed store (CLI, scheduler, domain tests) nothing is kept: every call loads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol


class Store(Protocol):
    def get(self, kept: Kept, key, load: Callable[[], Any]): ...

    def put(self, kept: Kept, key, value) -> None: ...

    def known(self, kept: Kept) -> dict: ...

    def forget(self, kept: Kept) -> None: ...


class _NothingKept:
    """The default store: every value is loaded each time it is asked for."""

    def get(self, kept, key, load):
        return load()

    def put(self, kept, key, value) -> None:
        pass

    def known(self, kept) -> dict:
        return {}

    def forget(self, kept) -> None:
        pass


_store: Store = _NothingKept()


@dataclass(frozen=True)
class Kept:
    """One kept value: its name, the models whose writes drop it, and whether commits and rollbacks do too."""

    name: str
    models: tuple[type, ...]
    on_commit: bool = False

    def get(self, key, load: Callable[[], Any]):
        """The kept value for `key`, or `load()` (kept if a store is installed)."""
        return _store.get(self, key, load)

    def put(self, key, value) -> None:
        _store.put(self, key, value)

    def known(self) -> dict:
        return _store.known(self)

    def forget(self) -> None:
        _store.forget(self)


KEPT: list[Kept] = []


def keep(name: str, models: tuple[type, ...], *, on_commit: bool = False) -> Kept:
    kept = Kept(name, models, on_commit)
    KEPT.append(kept)
    return kept


def install(store: Store | None) -> None:
    """Keep values in `store` from now on (None: keep nothing)."""
    global _store
    _store = store if store is not None else _NothingKept()
