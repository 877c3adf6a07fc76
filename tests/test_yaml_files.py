"""The one YAML reader refuses what would mislead or exhaust it: a key written twice, an alias
bomb, a device or a pipe, a file too large. Each is one ``InputError`` (exit 2), never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analyse.errors import InputError
from analyse.params import load_params
from analyse.yaml_files import MAX_YAML_BYTES, read_yaml

# A few hundred bytes; every level multiplies by 9: 9**9 (387 million) leaves once expanded.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def problem(path: Path, **kwargs) -> str:
    with pytest.raises(InputError) as exc:
        read_yaml(path, **kwargs)
    (only,) = exc.value.problems
    return str(only)


@pytest.mark.parametrize("text_scalars", [False, True])
def test_a_duplicated_key_names_the_key_and_both_lines(tmp_path, text_scalars):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nanalysis:\n  sesoi: 0.2\n  alpha: 0.05\n  sesoi: 0.5\n")
    text = problem(path, text_scalars=text_scalars)
    assert "'sesoi' is written twice (lines 3 and 5)" in text


def test_a_duplicated_key_on_one_line_is_found(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("{Oui: 3, Non: 0, Oui: 2}\n")
    assert "'Oui' is written twice" in problem(path, text_scalars=True)


def test_merge_keys_and_modest_aliases_are_still_accepted(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n")
    assert read_yaml(path) == {
        "base": {"x": 1, "y": 2},
        "other": {"x": 1, "y": 3},
        "list": [{"x": 1, "y": 2}, {"x": 1, "y": 2}],
    }


@pytest.mark.parametrize("text_scalars", [False, True])
def test_an_alias_bomb_is_refused_at_once(tmp_path, text_scalars):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    assert path.stat().st_size < 600
    assert "alias bomb" in problem(path, text_scalars=text_scalars)


def test_an_alias_bomb_as_params_exits_2(tmp_path):
    """Before: the params file loaded, and validating it walked hundreds of millions of values
    (about 7 GB). Bounded here by a memory limit so that the old code fails instead of
    exhausting the machine."""
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "name: bomb\ndata:\n  survey: s.csv\nextra:\n" + "  " + ALIAS_BOMB.replace("\n", "\n  ")
    )
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))\n"
        "from analyse.cli import main\n"
        f"sys.argv = ['analyse', 'run', {str(path)!r}, '--output-dir', {str(tmp_path / 'o')!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "alias bomb" in result.stderr and "Traceback" not in result.stderr


def test_a_self_referencing_alias_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    assert "contains it" in problem(path)


def test_a_device_is_not_read(tmp_path):
    """Before: ``/dev/zero`` as a parameter file was read forever."""
    text = problem(Path("/dev/zero"), what="parameter file")
    assert "parameter file is not a regular file (a device)" in text


def test_a_named_pipe_is_not_opened(tmp_path):
    """Opening a FIFO blocks until a writer comes: the reader must not even open it."""
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(problem(fifo)), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the old code's open() so the test ends
        with open(fifo, "w"):
            pass
        thread.join(10)
        pytest.fail("the reader blocked on a named pipe")
    assert "not a regular file (a named pipe)" in result[0]


def test_a_directory_is_said_to_be_one(tmp_path):
    assert "is a directory" in problem(tmp_path, what="codebook file")


def test_a_file_too_large_is_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * (MAX_YAML_BYTES // 10 + 1))
    assert "larger than 1 000 000 bytes" in problem(path)


def test_a_device_as_params_file_exits_2_at_once(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analyse", "run", "/dev/zero", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "/dev/zero: parameter file is not a regular file (a device)" in result.stderr


def test_load_params_reports_a_duplicated_key(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: a\nname: b\ndata:\n  survey: s.csv\n")
    with pytest.raises(InputError) as exc:
        load_params(path)
    assert "'name' is written twice (lines 1 and 2)" in str(exc.value)


@pytest.mark.parametrize(("raw", "line", "column"), [(b"\x7f", 1, 8), (b"\xc2\x80", 3, 17)])
@pytest.mark.parametrize("text_scalars", [False, True])
def test_a_character_yaml_refuses_is_named_with_its_place(
    tmp_path, raw, line, column, text_scalars
):
    """DEL, or a C1 control (mojibake's « \\x80 »), anywhere in the file: the reader refuses it
    as the loader is built, which is an InputError like any other, never a ReaderError."""
    path = tmp_path / "p.yaml"
    path.write_bytes(
        b"name: x"
        + (raw if line == 1 else b"")
        + b'y\ndata:\n  survey: "data/'
        + (raw if line == 3 else b"")
        + b'x.csv"\n'
    )
    code = raw.decode("utf-8")
    text = problem(path, text_scalars=text_scalars)
    assert (
        f"not valid YAML: the character U+{ord(code):04X} at line {line}, column {column}" in text
    )
    assert f"write it \\x{ord(code):02X} inside double quotes" in text


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_params_file_with_a_control_character_exits_2(tmp_path, monkeypatch, capsys, command):
    from analyse import cli

    path = tmp_path / "p.yaml"
    path.write_bytes(b"name: x\x7fy\ndata:\n  survey: data/example-export/export.csv\n")
    args = ["run", str(path), "--output-dir", str(tmp_path / "reports")]
    if command == "validate":
        args = ["validate", "--params", str(path)]
    monkeypatch.setattr(sys, "argv", ["analyse", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{path}: not valid YAML: the character U+007F at line 1, column 8" in err
    assert "Traceback" not in err and not (tmp_path / "reports").exists()
