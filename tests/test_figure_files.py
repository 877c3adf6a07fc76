"""The run's index names each figure file the notebooks saved by the figure it is ("Figure 3
du chapitre 3 (PNG)"), even when two chapters draw the same chart: chapter 5's detail shows
chapter 3's relative importance again, and both files were named after chapter 5's."""

from __future__ import annotations

import base64

import nbformat

from analyse.pipeline.publish import SAVED_AS_KEY, extract_figures, figures_saved_as
from analyse.report.notebook import SAVED_AS_KEY as NOTEBOOK_KEY

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _notebook(path, saved: list[str | None]) -> None:
    cells = []
    for name in saved:
        metadata = {"image/png": {"alt": "chart", **({SAVED_AS_KEY: name} if name else {})}}
        output = nbformat.v4.new_output(
            "display_data",
            data={"image/png": base64.b64encode(PNG).decode("ascii")},
            metadata=metadata,
        )
        cells.append(nbformat.v4.new_code_cell("show_figure(...)", outputs=[output]))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_the_two_modules_use_one_metadata_key():
    assert SAVED_AS_KEY == NOTEBOOK_KEY


def test_each_saved_file_is_named_by_the_figure_that_saved_it(tmp_path):
    ch3, ch5 = tmp_path / "03_is_size_decisive.ipynb", tmp_path / "05_robustness.ipynb"
    _notebook(ch3, [None, None, "relative_importance.png"])
    _notebook(ch5, ["importance_bootstrap.png"])
    run = tmp_path / "run"
    run.mkdir()
    figures = extract_figures(ch3, run) + extract_figures(ch5, run)
    for name in ("relative_importance.png", "importance_bootstrap.png", "old.png"):
        (run / name).write_bytes(PNG)  # the very bytes displayed, as show_figure writes them
    found = figures_saved_as(
        run, ["relative_importance.png", "importance_bootstrap.png", "old.png"], figures
    )
    assert (found["relative_importance.png"].notebook, found["relative_importance.png"].number) == (
        "03_is_size_decisive",
        3,
    )
    assert (
        found["importance_bootstrap.png"].notebook,
        found["importance_bootstrap.png"].number,
    ) == (
        "05_robustness",
        1,
    )
    assert "old.png" in found  # no figure says it saved it: matched by its bytes, as before
