"""CSV export of the dashboard's tables: RFC 4180 text that is safe to open in a spreadsheet.

* **Format** (RFC 4180 section 2): a header record, then one record per row, each ending in
  CRLF; a field that holds a comma, a double quote, CR or LF is enclosed in double quotes and
  its double quotes are doubled. Serve it as :data:`CSV_MEDIA_TYPE` (section 3 registers the
  ``header`` parameter).
* **Formula injection** (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with
  ``=``, ``+``, ``-`` or ``@`` as a formula (and tab or CR can hide such a start), and learner
  and item names are untrusted. A *text* cell that starts with one of those six characters is
  therefore prefixed with a single quote, which makes spreadsheets keep it as text (some show
  the quote). Numbers are passed as ``int``/``float`` and written as numbers, so a negative
  value stays a number: pass figures as numbers, not as preformatted text.
* **UTF-8 with a BOM**: Excel reads a CSV file without a byte order mark in the system's code
  page (Windows-1252 in much of the world), which garbles accented and non-Latin names; with
  U+FEFF first it reads UTF-8. The text returned starts with U+FEFF (encode it as UTF-8 to get
  the bytes EF BB BF); ``bom=False`` leaves it out, and Python reads either with
  ``encoding="utf-8-sig"``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

CsvValue = str | int | float | None
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8; header=present"
BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES: Final = re.compile(r'[",\r\n]')
_NOT_FILENAME: Final = re.compile(r"[^A-Za-z0-9._]+")


def neutralise(cell: str) -> str:
    """``cell`` with a leading single quote if a spreadsheet would start a formula with it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def field(value: CsvValue) -> str:
    """One field as written: text neutralised and quoted when needed, numbers as numbers.

    ``None`` and non-finite floats (NaN, infinities: no spreadsheet reads them back as
    numbers) are written as empty fields; booleans as ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    text = neutralise(value)
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[CsvValue]], *, bom: bool = True) -> str:
    """The table as CSV text (see the module docstring); every row must match the header."""
    if not header:
        raise ValueError("a CSV table needs at least one column")
    width = len(header)
    lines = [_record(header)]
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} fields, the header has {width}")
        lines.append(_record(row))
    return (BOM if bom else "") + "\r\n".join(lines) + "\r\n"


def _record(values: Sequence[CsvValue]) -> str:
    line = ",".join(field(v) for v in values)
    # One empty field would be an empty line, which readers skip: quote it to keep the row.
    return line or '""'


def csv_filename(*parts: str) -> str:
    """A download name from untrusted parts (a course title, a view): ASCII letters, digits,
    dots and underscores joined by hyphens, accents folded (NFKD), at most 100 characters
    before ``.csv``; safe in a ``Content-Disposition`` header without quoting rules."""
    words = []
    for part in parts:
        folded = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        word = _NOT_FILENAME.sub("-", folded).strip("-.")
        if word:
            words.append(word)
    stem = "-".join(words)[:100].strip("-.")
    return f"{stem or 'export'}.csv"
