"""Fixtures shared by the test modules, and the rules of the two test tiers.

Two tiers (README, "Tests"): ``pytest -m "not slow"`` is the developer's loop, ``pytest`` runs
everything. A test is ``slow`` when it starts a Jupyter kernel, publishes a report or takes
more than 2 s. This file enforces what it can without timing anything: a test that starts a
kernel without the marker fails, naming the marker; a test using a published report is marked
slow; and the tests of the fast tier that took over 2 s are listed at the end of the run (a
list, not a failure: timings on a shared machine are no assertion), so the fast tier stays fast
as tests are added.

Published reports are expensive (kernels, five notebooks, nbconvert, Chromium for the PDF) and
read-only for the tests that inspect them, so each kind is published **once per session**, and
once for all ``pytest-xdist`` workers: the first worker to need one builds it under a file lock
in the session's shared temporary folder, the others wait and read it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from filelock import FileLock, Timeout

from analyse.data.codebook import Codebook, load_codebook

ROOT = Path(__file__).resolve().parents[1]
SLOW_SECONDS = 2.0  # a test over this (setup and call) belongs to the slow tier
SHARED_BUILD_TIMEOUT = 900  # seconds a worker waits for another to publish a shared report

# fixtures that publish real reports: any test using one is slow whatever its marker says
PUBLISHING_FIXTURES = {"published_site", "published_example_export"}


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    """The barometer's codebook shipped in ``data/codebook.yaml``."""
    return load_codebook()


# ----------------------------------------------------------------------- published reports


@dataclass(frozen=True)
class Site:
    """A folder of published runs (``root/index.html`` and one folder per run)."""

    root: Path
    params: dict[str, Path]  # run name -> the parameter file it was published from

    def run(self, name: str) -> Path:
        return self.root / name


def _shared_folder(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]):
    """``build(folder)`` once per session, whatever the number of xdist workers.

    A failed build leaves its message for the other workers, which fail with it instead of
    building again.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = factory.getbasetemp()
    shared = base.parent if worker else base  # xdist: the session folder all workers share
    folder = shared / name
    done, failed = shared / f"{name}.done", shared / f"{name}.failed"
    lock = FileLock(str(shared / f"{name}.lock"), timeout=SHARED_BUILD_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        pytest.fail(f"the shared {name!r} was not built within {SHARED_BUILD_TIMEOUT} s")
    try:
        if failed.exists():
            pytest.fail(f"building the shared {name!r} failed:\n{failed.read_text()}")
        if not done.exists():
            try:
                shutil.rmtree(folder, ignore_errors=True)  # a worker killed while building
                folder.mkdir()
                build(folder)
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
                raise
            done.touch()
    finally:
        lock.release()
    return folder


def _params_copy(source: str, folder: Path, **changes) -> Path:
    """A copy of ``params/<source>.yaml`` with top-level or ``analysis`` keys changed; paths in
    the copy are made absolute so that it can live outside the project."""
    doc = yaml.safe_load((ROOT / "params" / f"{source}.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key in doc.get("analysis", {}):
            doc["analysis"][key] = value
        else:
            doc[key] = value
    for key, value in doc["data"].items():
        if isinstance(value, str) and key != "kind":  # paths, not the kind of data
            doc["data"][key] = str(ROOT / value)
    path = folder / f"{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published_site(tmp_path_factory) -> Site:
    """Two real runs published in one folder: the 2025-like panel in French (``params/ci.yaml``,
    run ``ci``) and the census of EPCI in English (run ``census-en``, 20 bootstrap draws), with
    the PDF where Chromium is installed. Read-only: a test that alters a file copies the run.
    """
    from analyse.pipeline import publish
    from analyse.pipeline.runner import run_all

    def build(folder: Path) -> None:
        inputs = folder.parent / "published_site.params"
        inputs.mkdir(exist_ok=True)
        params = [
            _params_copy("ci", inputs),
            _params_copy(
                "census",
                inputs,
                name="census-en",
                lang="en",
                title="Synthetic census of every intercommunality",
                bootstrap=20,
            ),
        ]
        pdf = publish.chromium() is not None
        outcomes = run_all(params, folder, jobs=1, force=True, pdf=pdf)
        assert [o.status for o in outcomes] == ["published"] * 2, [o.message for o in outcomes]

    root = _shared_folder(tmp_path_factory, "published_site", build)
    inputs = root.parent / "published_site.params"
    return Site(root, {name: inputs / f"{name}.yaml" for name in ("ci", "census-en")})


@pytest.fixture(scope="session")
def published_example_export(tmp_path_factory) -> Path:
    """``analyse run params/example-export.yaml`` as an analyst types it (a fresh process, from
    the project folder): the worked example of a messy survey-tool export, published once."""
    import sys

    def build(folder: Path) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "analyse", "run", "params/example-export.yaml"]
            + ["--output-dir", str(folder), "--jobs", "1"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    return _shared_folder(tmp_path_factory, "published_example_export", build)


@pytest.fixture
def copy_of_run(tmp_path) -> Callable[[Path], Path]:
    """A private copy of a published run folder, for a test that writes into it."""

    def copy(run: Path) -> Path:
        target = tmp_path / "copy" / run.name
        shutil.copytree(run, target)
        return target

    return copy


# ------------------------------------------------------------------------- the two tiers


def pytest_collection_modifyitems(config, items):
    """A test reading a published report is slow, whether or not its module says so."""
    for item in items:
        if PUBLISHING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _runs_papermill(argv: object) -> str | None:
    """The command line, if a subprocess runs papermill (which starts a kernel)."""
    if isinstance(argv, str | bytes | os.PathLike):
        words = os.fsdecode(argv).split()
    else:
        try:
            words = [os.fsdecode(a) for a in argv]  # type: ignore[union-attr]
        except TypeError:
            return None
    return " ".join(words) if "papermill" in {Path(w).name for w in words} else None


_started: list[str] = []  # what the current test phase started (kernels, papermill)


def pytest_configure(config):
    """Count every kernel and papermill command started in this process, for the guard below.

    Kernels are counted where every in-process start goes (``LocalProvisioner``: papermill,
    nbclient and the runner's kernel alike). A kernel started in a forked worker of
    ``run_all(jobs=2)`` or in a command run as a subprocess is not seen: those tests take
    seconds, and the summary of fast-tier tests over 2 s lists them.
    """
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    launch = LocalProvisioner.launch_kernel

    async def counted_launch(self, cmd, **kwargs):
        _started.append("a Jupyter kernel")
        return await launch(self, cmd, **kwargs)

    popen_init = subprocess.Popen.__init__

    def counted_popen(self, args, *rest, **kwargs):
        what = _runs_papermill(args)
        if what:
            _started.append(f"the command `{what}`")
        popen_init(self, args, *rest, **kwargs)

    LocalProvisioner.launch_kernel = counted_launch
    subprocess.Popen.__init__ = counted_popen


def _no_kernel_outside_the_slow_tier(item: pytest.Item):
    """Fails the phase (setup, with the fixtures of every scope it sets up, or call) of a test
    outside the slow tier that started a Jupyter kernel or papermill."""
    _started.clear()
    result = yield
    started, slow = list(_started), item.get_closest_marker("slow")
    _started.clear()
    if started and not slow:
        pytest.fail(
            f"this test starts {started[0]}: mark it @pytest.mark.slow (the fast tier, "
            '`pytest -m "not slow"`, starts no kernel and publishes nothing)',
            pytrace=False,
        )
    return result


pytest_runtest_setup = pytest.hookimpl(wrapper=True)(_no_kernel_outside_the_slow_tier)
pytest_runtest_call = pytest.hookimpl(wrapper=True)(_no_kernel_outside_the_slow_tier)


_over_budget: list[tuple[float, str]] = []


def pytest_runtest_logreport(report):
    fast = report.when in ("setup", "call") and "slow" not in report.keywords
    if fast and report.duration > SLOW_SECONDS:
        _over_budget.append((report.duration, f"{report.nodeid} ({report.when})"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Tests of the fast tier that took over 2 s: candidates for ``@pytest.mark.slow``.

    Listed, not failed: a loaded machine makes any test slow once, and timings are not
    assertions here.
    """
    if not _over_budget:
        return
    terminalreporter.section(f"fast-tier tests over {SLOW_SECONDS:g} s (mark them slow?)")
    for seconds, nodeid in sorted(_over_budget, reverse=True):
        terminalreporter.write_line(f"{seconds:6.2f} s  {nodeid}")
