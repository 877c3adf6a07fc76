"""Fixtures shared by the test modules.

The shipped codebook is a read-only input used by most modules: loaded once per session.
"""

from __future__ import annotations

import pytest

from analyse.data.codebook import Codebook, load_codebook


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    """The barometer's codebook shipped in ``data/codebook.yaml``."""
    return load_codebook()
