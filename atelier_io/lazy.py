"""Lazy package exports (PEP 562): a package's public names, imported from their modules on first use, so that
``from recsys import Store`` costs the store's imports, not the encoder's and the recommenders' as well."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(package: str, exports: Mapping[str, Sequence[str]]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``. ``exports`` maps each relative module (".store") to the names it
    gives the package, each written as its import would be: "Store", or "read_products_csv as read_sales_csv".

    The first use of a name imports its module and binds every name of that module in the package, so later uses
    are plain attribute reads."""
    owner = {_split(entry)[1]: module for module, entries in exports.items() for entry in entries}

    def __getattr__(name: str) -> object:
        if name not in owner:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(owner[name], package)
        namespace = vars(sys.modules[package])
        for entry in exports[owner[name]]:
            source, bound = _split(entry)
            namespace[bound] = getattr(module, source)
        return namespace[name]

    return __getattr__


def _split(entry: str) -> tuple[str, str]:
    """"a as b" → ("a", "b"); "a" → ("a", "a")."""
    source, _, alias = entry.partition(" as ")
    return source, alias or source
