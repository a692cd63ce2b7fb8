"""The prerequisite graph: cycle detection and topological order.

Edges map a skill to its prerequisites (skill -> things that must come first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Return one cycle as a closed path ``[a, b, ..., a]``, or ``[]`` when the graph is a DAG.

    The path follows prerequisite edges: ``a -> b`` means b is a prerequisite of a.
    Iterative DFS so that deep graphs do not hit the recursion limit.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    for root in edges:
        if colour[root] != white:
            continue
        stack: list[tuple[str, list[str]]] = [(root, list(edges[root]))]
        path = [root]
        colour[root] = grey
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = black
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop(0)
            state = colour.get(nxt, black)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append((nxt, list(edges.get(nxt, ()))))
    return []


def topological_order(edges: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """Skills ordered so that every prerequisite precedes its dependants.

    Ties keep the input order, so the result is deterministic. Assumes a DAG.
    """
    remaining = {k: set(v) for k, v in edges.items()}
    order: list[str] = []
    done: set[str] = set()
    while remaining:
        ready = [k for k, pre in remaining.items() if pre <= done]
        if not ready:  # pragma: no cover - guarded by find_cycle
            raise ValueError("graph has a cycle")
        for k in ready:
            order.append(k)
            done.add(k)
            del remaining[k]
    return tuple(order)


def ready_skills(prerequisites: Mapping[str, Iterable[str]], mastered: set[str]) -> set[str]:
    """Skills whose prerequisites are all mastered (mastered skills included)."""
    return {s for s, pre in prerequisites.items() if set(pre) <= mastered}
