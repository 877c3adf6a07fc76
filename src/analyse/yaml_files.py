"""Reading the YAML files users write: parameter files, codebooks, column and label mappings.

One reader so that every YAML file fails the same way: a missing file, a file that is not
text, or a syntax error is one ``InputError`` naming the file, the line and what was expected,
never a parser traceback.

It is also the one place that bounds what a YAML file may cost. Only a regular file is read
(a device such as ``/dev/zero`` named as a parameter file would be read forever), at most
``MAX_YAML_BYTES`` of it; a key written twice in a mapping is an error rather than the last
one silently winning; and aliases may not expand the document beyond ``MAX_ALIAS_EXPANSION``
extra values (a 565-byte "billion laughs" document expands to billions of values, gigabytes
once anything walks it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from analyse.errors import InputError, Problem

# Parameter files, codebooks and mappings are a few kilobytes; a megabyte leaves room for a
# codebook of thousands of items while refusing a survey export named by mistake.
MAX_YAML_BYTES = 1_000_000
# Values that aliases may add to a document beyond those written in it: reusing a mapping a few
# times is fine, an alias bomb is not.
MAX_ALIAS_EXPANSION = 10_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


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
    data = read_regular_file(path, what=what, limit=MAX_YAML_BYTES, expected=expected)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, f"cannot read {what}: {exc}", expected=expected)]) from None
    try:  # the reader checks every character as it is built
        loader = (yaml.BaseLoader if text_scalars else yaml.SafeLoader)(text)
    except yaml.reader.ReaderError as exc:
        raise InputError(
            [Problem(name, f"not valid YAML: {unacceptable(exc, text)}", expected=expected)]
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problem = _node_problem(node)
        if problem is not None:
            raise InputError([Problem(name, f"not accepted as YAML: {problem}", expected=expected)])
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError(
            [Problem(name, f"not valid YAML: {yaml_error(exc)}", expected=expected)]
        ) from None
    except RecursionError:
        raise InputError(
            [Problem(name, "not accepted as YAML: nested too deeply", expected=expected)]
        ) from None
    finally:
        loader.dispose()


def read_regular_file(
    path: str | Path, *, what: str = "file", limit: int, expected: str | None = None
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    The file is stat-ed before it is opened: opening a FIFO blocks until someone writes to it,
    and a character device (``/dev/zero``, ``/dev/urandom``) never ends. The size is checked
    on what is read too, in case the file grows between the two.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError([Problem(name, f"{what} not found", expected=expected)]) from None
    except OSError as exc:
        raise InputError(
            [Problem(name, f"cannot read {what}: {exc.strerror or exc}", expected=expected)]
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(name, f"{what} {not_regular(info.st_mode)}", expected=expected)])
    too_big = Problem(
        name, f"{what} is larger than {limit:,} bytes".replace(",", " "), expected=expected
    )
    if info.st_size > limit:
        raise InputError([too_big])
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(
            [Problem(name, f"cannot read {what}: {exc.strerror or exc}", expected=expected)]
        ) from None
    if len(data) > limit:
        raise InputError([too_big])
    return data


def not_regular(mode: int) -> str:
    """What a path that is not a regular file is, said so that a user recognises it."""
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    kind = (
        "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a special file"
    )
    return f"is not a regular file ({kind})"


def _node_problem(root: yaml.Node) -> str | None:
    """A duplicated key or an alias expansion beyond the limit, found on the composed nodes.

    Checked before construction: constructing shares aliased values, but anything that walks
    the result afterwards (validation, hashing, JSON) pays the full expansion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    distinct = 0

    def size(node: yaml.Node) -> int:
        nonlocal distinct
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused("an alias refers to a value that contains it")
        active.add(key)
        distinct += 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node)
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
        active.discard(key)
        sizes[key] = total
        return total

    try:
        expanded = size(root)
    except _Refused as exc:
        return str(exc)
    if expanded - distinct > MAX_ALIAS_EXPANSION:
        return (
            f"its aliases expand it to {expanded:,} values, more than "
            f"{MAX_ALIAS_EXPANSION:,} beyond the {distinct:,} written (an alias bomb?)"
        ).replace(",", " ")
    return None


class _Refused(Exception):
    pass


def _check_duplicates(node: yaml.MappingNode) -> None:
    """A key written twice: YAML loaders keep the last value silently, a user meant one."""
    seen: dict[tuple[str, str], int] = {}
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue  # merge keys (<<) may repeat keys on purpose
        line = key.start_mark.line + 1
        first = seen.get((key.tag, key.value))
        if first is not None:
            raise _Refused(f"key {key.value!r} is written twice (lines {first} and {line})")
        seen[(key.tag, key.value)] = line


def yaml_error(exc: yaml.YAMLError) -> str:
    """A parser error as "what went wrong at line N", without the parser's internals."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} at line {mark.line + 1}" if mark is not None else problem


def unacceptable(exc: yaml.reader.ReaderError, text: str) -> str:
    """A character YAML refuses (a control character, DEL, a C1 control such as the « \\x80 »
    of mojibake), said with its line and column, and how to write it if it is meant."""
    position = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    code = ord(character)
    escape = f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"
    kind = "a control character" if code < 0xA0 else "not a printable character"
    return (
        f"the character U+{code:04X} at line {line}, column {column} is not allowed in a YAML "
        f"file ({kind}); delete it, or write it {escape} inside double quotes"
    )


def key_lines(path: str | Path) -> dict[str, int]:
    """The line (1-based) of each top-level key of a YAML mapping file, as text: where a
    problem with one key of a mapping file is pointed at. Empty when the file cannot be read
    or is not a mapping (``read_yaml`` reports that); called after ``read_yaml`` accepted it,
    so composing it again is bounded the same way."""
    try:
        text = read_regular_file(path, limit=MAX_YAML_BYTES).decode("utf-8-sig")
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except (InputError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): key.start_mark.line + 1
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }
