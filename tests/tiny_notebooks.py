"""Small notebooks for the tests of the runner and the publisher, with the kernelspec the
stored notebooks carry (``python3``), so that papermill starts the venv's kernel."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def python3_notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook of ``cells`` run by the ``python3`` kernel."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.cells = cells
    return nb
