"""The committed synthetic surveys are what the documented command regenerates, and valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyse.data import simulate
from analyse.data.loading import load_survey

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = {
    "synthetic_barometre_2025.csv": ("barometre-2025", 2025),
    "synthetic_census_epci.csv": ("census-epci", 2025),
}


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_file_regenerates_byte_for_byte(name, tmp_path):
    design, seed = COMMITTED[name]
    data, truth = simulate.write(simulate.generate(design, seed=seed), tmp_path / name)
    committed = ROOT / "data" / "synthetic" / name
    assert data.read_bytes() == committed.read_bytes()
    assert truth.read_bytes() == simulate.truth_path(committed).read_bytes()


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_file_passes_validation(name):
    survey = load_survey(ROOT / "data" / "synthetic" / name)
    assert len(survey) in (56, 1255)


def test_regenerate_script_names_the_committed_files():
    script = (ROOT / "data" / "synthetic" / "regenerate.sh").read_text(encoding="utf-8")
    for name, (design, seed) in COMMITTED.items():
        assert f"--design {design} --seed {seed} --out data/synthetic/{name}" in script
