"""Valid documents with a few parts broken: a value of the wrong type, an extreme timestamp,
a huge or odd string, deep nesting, a key removed."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import strategies as st

from tests.fuzz import strategies as s

_DEEP = re.compile(r'"\\u0000DEEP:(\d+)\\u0000"')

TIMESTAMPS = [
    "1969-07-20T20:17:00Z",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "2024-03-01T10:00:00.000000000001Z",
    "2024-03-01T10:00:00+99:99",
    "2024-03-01",
    "PT5S",
]
DURATIONS = ["PT0S", "PT-5S", "P99999999999999Y", "PT1e308S", "P", "PT", "bogus", "PT0.5S"]


def deep(levels: int) -> str:
    """A placeholder that :func:`dumps` turns into ``levels`` nested arrays."""
    return f"\x00DEEP:{levels}\x00"


def dumps(document: Any) -> str:
    """JSON text, with each :func:`deep` placeholder expanded (json.dumps itself would
    recurse too deep to write them)."""
    text = json.dumps(document, allow_nan=True)
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    s.floats,
    s.text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
nasty_values = st.one_of(
    json_values,
    st.sampled_from(TIMESTAMPS + DURATIONS),
    # Copied: a perturbation must never write into an object that another example shares.
    st.sampled_from([deep(10), deep(1_000), deep(100_000), [], {}, [[]], {"": None}]).map(
        copy.deepcopy
    ),
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for n, value in enumerate(document):
            found += _paths(value, (*prefix, n))
    return found


@st.composite
def perturbed(draw: st.DrawFn, document: Any, max_changes: int = 2) -> Any:
    """``document`` with up to ``max_changes`` values replaced by nasty ones or removed."""
    out = copy.deepcopy(document)
    for _ in range(draw(st.integers(0, max_changes))):
        paths = _paths(out)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(nasty_values)
    return out
