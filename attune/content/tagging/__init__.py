"""Suggested skill tags (issue 13): for items imported without a real skill, a packaged text
embedding model proposes skills; an instructor confirms them in a mapping file before they
count.

- :func:`suggest_tags`: pure; the model comes in as a :class:`TextEmbedder`.
- :class:`WordLlamaEmbedder`: the model shipped inside the ``wordllama`` wheel, loaded on first
  use, once per process; nothing is downloaded.
- :func:`write_tag_mapping`, :func:`read_tag_mapping` (:func:`load_tag_mapping` from a file),
  :func:`apply_tag_mapping`: the CSV an instructor confirms (``item_id,skill_id,confirmed``),
  and applying its confirmed rows.
"""

from attune.content.tagging.embedder import (
    EmbedderUnavailableError,
    TextEmbedder,
    WordLlamaEmbedder,
)
from attune.content.tagging.mapping import (
    TagMappingRow,
    apply_tag_mapping,
    load_tag_mapping,
    read_tag_mapping,
    write_tag_mapping,
)
from attune.content.tagging.suggest import (
    MIN_SCORE,
    TagSuggestion,
    is_placeholder_skill,
    needs_tags,
    suggest_tags,
)

__all__ = [
    "MIN_SCORE",
    "EmbedderUnavailableError",
    "TagMappingRow",
    "TagSuggestion",
    "TextEmbedder",
    "WordLlamaEmbedder",
    "apply_tag_mapping",
    "is_placeholder_skill",
    "load_tag_mapping",
    "needs_tags",
    "read_tag_mapping",
    "suggest_tags",
    "write_tag_mapping",
]
