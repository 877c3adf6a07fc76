"""Reading the YAML files users write: parameter files, codebooks, column and label mappings.

One reader so that every YAML file fails the same way: a missing file, a file that is not
text, or a syntax error is one ``InputError`` naming the file, the line and what was expected,
never a parser traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analyse.errors import InputError, Problem


def read_yaml(
    path: str | Path,
    *,
    what: str = "file",
    expected: str | None = None,
    text_scalars: bool = False,
) -> Any:
    """The parsed document of a YAML file, or an ``InputError`` saying what is wrong with it.

    ``what`` names the file in messages ("parameter file not found"). With ``text_scalars``,
    every scalar stays text (YAML's base loader), so that answer labels such as ``No`` or
    ``Off`` do not become booleans and ``01`` stays ``01``. A UTF-8 byte-order mark, as saved
    by some Windows editors, is accepted.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, f"{what} not found", expected=expected)])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, f"cannot read {what}: {exc}", expected=expected)]) from None
    loader = yaml.BaseLoader if text_scalars else yaml.SafeLoader
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - safe and base loaders only
    except yaml.YAMLError as exc:
        raise InputError(
            [Problem(name, f"not valid YAML: {yaml_error(exc)}", expected=expected)]
        ) from None


def yaml_error(exc: yaml.YAMLError) -> str:
    """A parser error as "what went wrong at line N", without the parser's internals."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} at line {mark.line + 1}" if mark is not None else problem
