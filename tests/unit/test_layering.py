"""The layering of ARCHITECTURE.md, enforced: each contract names a layer, what it may import
from the project, and what it must never import. Imports are read from the source with the
AST (module level, function level and ``TYPE_CHECKING`` blocks alike), so a break fails here
before it ships. Third-party imports are free unless a contract forbids them by name."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Top-level names that belong to the project (everything else is a third-party import).
PROJECT = ("attune", "bench")
CONTRACT = "attune.engine.v1"  # the generated gRPC contract


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in PROJECT:
        base = ROOT / top
        for path in sorted(base.rglob("*.py")) if base.is_dir() else ():
            if "v1" not in path.relative_to(ROOT).parts[2:3]:  # the generated contract
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod (as import-linter counts it);
            # ``from pkg import name`` imports pkg itself.
            modules = [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in _sources()]
            yield from modules
            if len(modules) < len(node.names):
                yield stem


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module ``name`` imports, anywhere in its source."""
    return frozenset(_imports(name, _sources()[name]))


def closure(roots: tuple[str, ...]) -> set[str]:
    """Every project module reachable from ``roots`` through imports (lazy ones included)."""
    seen: set[str] = set()
    todo = [r for r in roots if r in _sources()]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imported in imports_of(name):
            for candidate in (imported, imported.rpartition(".")[0]):
                if candidate in _sources() and candidate not in seen:
                    todo.append(candidate)
    return seen


@dataclass(frozen=True)
class Contract:
    """Modules under ``layer`` import from the project only what ``may`` names, and never
    anything ``never`` names (project or third party)."""

    name: str
    layer: tuple[str, ...]
    may: tuple[str, ...]
    never: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()

    def breaks(self) -> list[str]:
        found = []
        for module in sorted(_sources()):
            if not _within(module, self.layer) or _within(module, self.exempt):
                continue
            for imported in sorted(imports_of(module)):
                project = imported.split(".")[0] in PROJECT
                allowed = _within(imported, (*self.layer, *self.may))
                forbidden = _within(imported, self.never) and not _within(imported, self.may)
                if (project and not allowed) or forbidden:
                    found.append(f"{module} imports {imported}")
        return found


DOMAIN = ("attune.engine.domain",)
PORTS = ("attune.engine.ports",)
IO = ("grpc", "redis", "onnxruntime", "structlog", "sqlite3", "numpy", "flask", "requests")
# What the integrations may see of the gateway: its ports and pure value types.
GATEWAY_PORTS = (
    "attune.gateway.edges",
    "attune.gateway.errors",
    "attune.gateway.lrs.client",
    "attune.gateway.lrs.targets",
    "attune.gateway.statements",
    "attune.gateway.lti.claims",
)
TRAINING = ("attune.models", "torch", "pyBKT", "pandas", "sklearn", "matplotlib", "onnx")

CONTRACTS = (
    Contract("domain -> nothing", layer=DOMAIN, may=(), never=IO),
    Contract("ports -> domain", layer=PORTS, may=DOMAIN, never=IO),
    Contract(
        "service -> ports and domain", layer=("attune.engine.service",), may=(*PORTS, *DOMAIN)
    ),
    Contract(
        "adapters -> ports, domain and shared infrastructure",
        layer=("attune.engine.adapters",),
        may=(*PORTS, *DOMAIN, "attune.infra"),
        # The factory is composition: it turns the engine's settings into a store.
        exempt=("attune.engine.adapters.factory",),
    ),
    Contract(
        "the DKT tracer -> ports and domain", layer=("attune.engine.dkt",), may=(*PORTS, *DOMAIN)
    ),
    Contract(
        "grpc -> service, its ports and domain, and the contract",
        layer=("attune.engine.grpc",),
        may=("attune.engine.service", *PORTS, *DOMAIN, CONTRACT),
    ),
    Contract(
        "the engine never imports the gateway, the integrations or training",
        layer=("attune.engine",),
        may=("attune.engine", CONTRACT, "attune.content", "attune.infra"),
        never=("attune.gateway", "attune.integrations", *TRAINING),
    ),
    Contract(
        "gateway -> the contract, content and shared infrastructure, never engine.*",
        layer=("attune.gateway",),
        may=(CONTRACT, "attune.content", "attune.infra"),
        never=("attune.engine", "attune.integrations", *TRAINING),
    ),
    Contract(
        "integrations -> gateway ports, never the reverse",
        layer=("attune.integrations",),
        may=GATEWAY_PORTS,
        never=("attune.engine", *TRAINING),
    ),
    Contract("content is shared and imports no deployable", layer=("attune.content",), may=()),
    Contract("shared infrastructure imports nothing", layer=("attune.infra",), may=()),
)

# The card's folders are links into attune/ at the top of the checkout: importing them by
# those names would load a second copy of each module.
CARD = ("engine", "gateway", "integrations", "content", "models")


def test_nothing_imports_the_card_folders_by_their_top_level_names() -> None:
    found = [
        f"{module} imports {imported}"
        for module in sorted(_sources())
        for imported in sorted(imports_of(module))
        if imported.split(".")[0] in CARD
    ]
    assert found == []


# The modules each deployable starts from; nothing they reach may be training code.
SERVING = ("attune.engine.main", "attune.gateway.main", "attune.serve")


def test_serving_never_imports_training_code() -> None:
    assert all(m in _sources() for m in SERVING)
    reached = closure(SERVING)
    assert {m for m in reached if _within(m, ("attune.models",))} == set()
    third_party = {i for m in reached for i in imports_of(m)}
    assert {i for i in third_party if _within(i, TRAINING)} == set()


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_the_layering_contract_holds(contract: Contract) -> None:
    assert contract.breaks() == []


def test_the_contracts_cover_every_layer_named_in_them() -> None:
    # A contract over a layer that no longer exists would pass forever: every layer is real.
    for contract in CONTRACTS:
        for layer in contract.layer:
            assert any(_within(m, (layer,)) for m in _sources()), (contract.name, layer)


def test_the_walker_sees_lazy_relative_and_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..domain import bkt\n"
        "def f():\n    import attune.gateway.app\n"
        "if TYPE_CHECKING:\n    import attune.models.dkt\n"
    )
    found = set(_imports("attune.engine.grpc.mod", source))
    assert {
        "attune.engine.grpc",
        "attune.engine.domain.bkt",
        "attune.gateway.app",
        "attune.models.dkt",
    } <= found
    assert "attune.engine.domain" not in found  # ``from pkg import mod`` names the module only
