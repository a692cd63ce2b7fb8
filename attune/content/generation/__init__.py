"""Item generation behind a port (issue 13): generators make items, the evaluator verifies
them, and only accepted items enter the bank that learners are served from.

- :class:`ItemGenerator` (port): :class:`TemplateGenerator` (Attune's templates) and
  :class:`OpenAICompatibleGenerator` (a chat-completions server, off by default:
  :class:`GeneratorSettings`);
- :class:`Evaluator`: well formed, stated answer = key, key verified by sympy (through the
  maths pool) or by the template; :func:`review` puts the verdict into the provenance;
- :class:`GeneratedBank` (port) with :func:`admit` / :func:`transition` (``active`` ->
  ``retired``), :class:`InMemoryGeneratedBank`, and :func:`entry_document` /
  :func:`entry_from_document` for stores that keep entries as JSON;
- :func:`variation_seed`: which variant a learner's attempt gets;
- :class:`Terminology`, :class:`TerminologyRegistry` and :func:`load_terminology`.

Pure core; the only I/O is the HTTP call of the OpenAI-compatible generator. Nothing runs at
import.
"""

from attune.content.generation.bank import (
    BANK_STATUSES,
    BankEntry,
    BankError,
    BankStatus,
    GeneratedBank,
    InMemoryGeneratedBank,
    RefusedItemError,
    StatusChange,
    UnknownItemError,
    admit,
    require_admitted,
    transition,
)
from attune.content.generation.bank_codec import entry_document, entry_from_document
from attune.content.generation.evaluator import Evaluator, ItemEvaluator, review
from attune.content.generation.openai_generator import OpenAICompatibleGenerator
from attune.content.generation.records import (
    Clock,
    Computation,
    Equivalence,
    Evidence,
    GeneratedItem,
    GenerationError,
    GenerationRequest,
    ItemGenerator,
    Provenance,
    Substitution,
    TemplateSource,
    Verdict,
)
from attune.content.generation.seeds import variation_seed
from attune.content.generation.settings import GeneratorSettings
from attune.content.generation.template_generator import TemplateGenerator
from attune.content.generation.terminology import (
    InMemoryTerminologyRegistry,
    Terminology,
    TerminologyRegistry,
    load_terminology,
    load_terminology_file,
)

__all__ = [
    "BANK_STATUSES",
    "BankEntry",
    "BankError",
    "BankStatus",
    "Clock",
    "Computation",
    "Equivalence",
    "Evaluator",
    "Evidence",
    "GeneratedBank",
    "GeneratedItem",
    "GenerationError",
    "GenerationRequest",
    "GeneratorSettings",
    "InMemoryGeneratedBank",
    "InMemoryTerminologyRegistry",
    "ItemEvaluator",
    "ItemGenerator",
    "OpenAICompatibleGenerator",
    "Provenance",
    "RefusedItemError",
    "StatusChange",
    "Substitution",
    "TemplateGenerator",
    "TemplateSource",
    "Terminology",
    "TerminologyRegistry",
    "UnknownItemError",
    "Verdict",
    "admit",
    "entry_document",
    "entry_from_document",
    "load_terminology",
    "load_terminology_file",
    "require_admitted",
    "review",
    "transition",
    "variation_seed",
]
