"""Text embeddings for tag suggestions: the :class:`TextEmbedder` port and the packaged model.

The model is WordLlama's ``l2_supercat_256`` (MIT licence): a static table of 256-wide token
vectors distilled from Llama 2 70B's token embeddings, and Llama 2's tokenizer. Both files ship
inside the ``wordllama`` wheel from PyPI, so nothing is fetched at run time: we read them with
``safetensors`` and ``tokenizers`` directly and never import ``wordllama`` itself (its import
configures the root logger, loads compiled helpers and its loader knows how to download). A
text's vector is the mean of its tokens' vectors, which is how the model was trained to be
used; cosine similarity then compares texts.

Loading reads 16 MB and takes a fraction of a second; it happens on the first
:meth:`WordLlamaEmbedder.embed` call, once per process, never at import.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import structlog
from numpy.typing import NDArray

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = structlog.get_logger("attune.content.tagging")

PACKAGE = "wordllama"
WEIGHTS = "wordllama/weights/l2_supercat_256.safetensors"
TOKENIZER = "wordllama/tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
MAX_TOKENS = 512
"""Tokens read per text: a stem, its choices and its solution fit; the rest of a longer text
adds little to its mean and would only cost time."""


class TextEmbedder(Protocol):
    """Turns texts into vectors; rows of the result compare by cosine similarity."""

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text, in order (shape ``(len(texts), width)``)."""
        ...


class EmbedderUnavailableError(Exception):
    """The packaged model is not installed, or its files are not what we expect."""


@dataclass(frozen=True)
class _Model:
    table: NDArray[np.float32]  # (vocabulary, width)
    tokenizer: Tokenizer
    version: str


def _file(distribution: importlib.metadata.Distribution, name: str) -> Path:
    path = Path(str(distribution.locate_file(name)))
    if not path.is_file():
        raise EmbedderUnavailableError(f"{PACKAGE} {distribution.version} has no {name}")
    return path


@functools.cache
def _load() -> _Model:
    # Imported here: building a parser or importing attune.content must not pay for them.
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    try:
        distribution = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbedderUnavailableError(f"the {PACKAGE} package is not installed") from exc
    tensors = load_file(str(_file(distribution, WEIGHTS)))
    if TENSOR not in tensors or tensors[TENSOR].ndim != 2:
        raise EmbedderUnavailableError(f"{WEIGHTS} has no 2-D {TENSOR}")
    tokenizer = Tokenizer.from_file(str(_file(distribution, TOKENIZER)))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    table = np.ascontiguousarray(tensors[TENSOR], dtype=np.float32)
    log.info(
        "embedding_model_loaded",
        package=PACKAGE,
        version=distribution.version,
        vocabulary=table.shape[0],
        width=table.shape[1],
    )
    return _Model(table, tokenizer, distribution.version)


class WordLlamaEmbedder:
    """The packaged model behind :class:`TextEmbedder`; every instance shares one load."""

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The mean token vector of each text; a text with no tokens gets a zero row."""
        model = _load()
        width = model.table.shape[1]
        result = np.zeros((len(texts), width), dtype=np.float32)
        if not texts:
            return result
        encodings = model.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        last = model.table.shape[0] - 1
        for row, encoding in enumerate(encodings):
            if encoding.ids:
                ids = np.clip(np.asarray(encoding.ids, dtype=np.int64), 0, last)
                result[row] = model.table[ids].mean(axis=0)
        return result

    @property
    def version(self) -> str:
        """The installed model package's version (loads the model)."""
        return _load().version
