"""The prerequisite graph: cycle detection and topological order.

Edges map a skill to its prerequisites (skill -> things that must come first). Both walks
are linear in skills + edges and iterative, so a 20,000-skill chain neither takes quadratic
time nor hits the recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Return one cycle as a closed path ``[a, b, ..., a]``, or ``[]`` when the graph is a DAG.

    The path follows prerequisite edges: ``a -> b`` means b is a prerequisite of a.
    Iterative depth-first search: each node is entered once and each edge followed once.
    """
    done: set[str] = set()
    for root in edges:
        if root in done:
            continue
        # The current path, its position index (for naming a cycle without a search) and,
        # per node on it, the iterator over the prerequisites not yet followed.
        path = [root]
        at = {root: 0}
        pending: list[Iterator[str]] = [iter(edges[root])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                node = path.pop()
                del at[node]
                done.add(node)
                pending.pop()
                continue
            if nxt in at:
                return [*path[at[nxt] :], nxt]
            if nxt in done or nxt not in edges:
                continue
            at[nxt] = len(path)
            path.append(nxt)
            pending.append(iter(edges[nxt]))
    return []


def topological_order(edges: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """Skills ordered so that every prerequisite precedes its dependants.

    Skills come in layers: first those with no prerequisites, then those whose prerequisites
    are all in earlier layers, and so on (a skill's layer is the length of the longest
    prerequisite chain below it). Within a layer the input order is kept, so the result is
    deterministic. Kahn's algorithm: linear, plus the sort. Assumes a DAG.
    """
    index = {k: n for n, k in enumerate(edges)}
    waiting = {k: 0 for k in edges}
    dependants: dict[str, list[str]] = {k: [] for k in edges}
    for k, pre in edges.items():
        for p in set(pre):
            if p in dependants:
                dependants[p].append(k)
                waiting[k] += 1
    layer = dict.fromkeys(edges, 0)
    ready = [k for k, n in waiting.items() if n == 0]
    seen = 0
    while ready:
        k = ready.pop()
        seen += 1
        for d in dependants[k]:
            layer[d] = max(layer[d], layer[k] + 1)
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    if seen != len(edges):  # pragma: no cover - guarded by find_cycle
        raise ValueError("graph has a cycle")
    return tuple(sorted(edges, key=lambda k: (layer[k], index[k])))


def ready_skills(prerequisites: Mapping[str, Iterable[str]], mastered: set[str]) -> set[str]:
    """Skills whose prerequisites are all mastered (mastered skills included)."""
    return {s for s, pre in prerequisites.items() if set(pre) <= mastered}
