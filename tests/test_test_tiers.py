"""The rules of the two test tiers hold (tests/conftest.py): a test outside the slow tier that
starts a Jupyter kernel or papermill fails, naming the marker; the same test marked slow passes.

The tests run in a pytest of their own (``pytester``) with this project's conftest, and start
nothing real: the papermill they "start" does not exist, which the counting sees all the same.
"""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")
STARTS_PAPERMILL = """
import subprocess
import pytest

def _papermill():
    with pytest.raises(FileNotFoundError):
        subprocess.Popen(["/nowhere/papermill", "in.ipynb", "out.ipynb"])

@pytest.fixture(scope="module")
def papermill_in_a_module_fixture():
    _papermill()

def test_fast_starts_papermill():
    _papermill()

def test_fast_uses_a_module_fixture_that_starts_papermill(papermill_in_a_module_fixture):
    pass

@pytest.mark.slow
def test_slow_starts_papermill():
    _papermill()

def test_fast_starts_nothing():
    subprocess.run(["true"], check=True)
"""


def test_a_fast_test_that_starts_papermill_fails_naming_the_marker(pytester):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    pytester.makepyfile(test_tiers=STARTS_PAPERMILL)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    outcomes = {
        line.split()[1].split("::")[-1]: line.split()[0]
        for line in result.outlines
        if line.startswith(("FAILED", "ERROR"))
    }
    assert outcomes == {
        "test_fast_starts_papermill": "FAILED",
        # a kernel started by a fixture of any scope fails the setup of the test needing it
        "test_fast_uses_a_module_fixture_that_starts_papermill": "ERROR",
    }
    result.stdout.fnmatch_lines(["*this test starts the command `/nowhere/papermill*slow*"])
