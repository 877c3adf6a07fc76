"""``setup(globals())``: the flat parameters of a notebook, checked; injected names refused.

These run without a kernel: a namespace is a dict, and papermill's injected cell is the last
entry of IPython's input history ``In`` that starts with "# Parameters".
"""

from __future__ import annotations

import pytest

from analyse.errors import InputError
from analyse.params import FLAT_NAMES, flat_parameters, load_params
from analyse.paths import project_root
from analyse.report.notebook import UnknownParameterError, injected_names, setup

DEFAULT = load_params(project_root() / "params" / "default.yaml")


def namespace(injected: str = "", **overrides) -> dict:
    """A notebook's globals after its parameter cell and, if given, papermill's injected cell."""
    ns = {**flat_parameters(DEFAULT), "output_dir": "", **overrides}
    ns["In"] = ["", "from analyse import x", "name = 'default'\nsesoi = 0.2"]
    if injected:
        ns["In"].append("# Parameters\n" + injected)
    return ns


def test_without_injection_the_parameter_cell_is_the_run():
    assert setup(namespace()) == DEFAULT


def test_an_injected_flat_value_is_used():
    params = setup(namespace("sesoi = 0.3\n", sesoi=0.3))
    assert params.analysis.sesoi == 0.3
    assert params.model_copy(update={"analysis": DEFAULT.analysis}) == DEFAULT


def test_injected_sections_fill_the_flat_names_and_the_namespace_follows():
    """``-f params.yaml`` injects ``data = {...}`` and ``analysis = {...}``."""
    ns = namespace(
        "name = 'other'\nanalysis = {'min_cell': 9, 'sesoi': 0.25}\n",
        name="other",
        analysis={"min_cell": 9, "sesoi": 0.25},
    )
    params = setup(ns)
    assert (params.name, params.analysis.min_cell, params.analysis.sesoi) == ("other", 9, 0.25)
    assert ns["min_cell"] == 9 and ns["sesoi"] == 0.25  # a cell may use the flat names


def test_a_flat_name_injected_beside_its_section_wins():
    """``-f params.yaml -p sesoi 0.35``."""
    ns = namespace(
        "analysis = {'sesoi': 0.25, 'alpha': 0.1}\nsesoi = 0.35\n",
        analysis={"sesoi": 0.25, "alpha": 0.1},
        sesoi=0.35,
    )
    params = setup(ns)
    assert params.analysis.sesoi == 0.35 and params.analysis.alpha == 0.1


def test_an_unknown_injected_name_is_refused_with_a_suggestion():
    with pytest.raises(UnknownParameterError) as exc:
        setup(namespace("sesoy = 0.3\nbootstrapp = 10\n", sesoy=0.3, bootstrapp=10))
    messages = [p.message for p in exc.value.problems]
    assert messages == [
        "unknown parameter 'sesoy'; did you mean 'sesoi'?",
        "unknown parameter 'bootstrapp'; did you mean 'bootstrap'?",
    ]
    assert all(name in exc.value.problems[0].expected for name in FLAT_NAMES)


def test_an_unknown_key_inside_an_injected_section_is_named_with_its_path():
    ns = namespace("analysis = {'sesio': 0.3}\n", analysis={"sesio": 0.3})
    with pytest.raises(InputError) as exc:
        setup(ns)
    assert "analysis.sesio: unknown key" in str(exc.value)


def test_a_wrong_type_is_reported_as_for_a_params_file():
    with pytest.raises(InputError) as exc:
        setup(namespace("sesoi = 'big'\n", sesoi="big"))
    assert "analysis.sesoi" in str(exc.value)


def test_papermill_s_own_injected_paths_are_accepted():
    """``papermill --inject-paths`` adds PAPERMILL_INPUT_PATH and PAPERMILL_OUTPUT_PATH."""
    injected = "PAPERMILL_INPUT_PATH = 'a.ipynb'\nPAPERMILL_OUTPUT_PATH = 'b.ipynb'\n"
    assert setup(namespace(injected, PAPERMILL_INPUT_PATH="a.ipynb")) == DEFAULT


def test_only_papermill_s_last_injected_cell_counts():
    ns = namespace()
    ns["In"] += ["# Parameters\nsesoy = 1\n", "x = 2", "# Parameters\nsesoi = 0.3\n"]
    assert injected_names(ns) == ["sesoi"]
    assert injected_names({"In": ["a = 1", "# Parameters\nnot python ("]}) == []
    assert injected_names({}) == []


def test_sesoi_points_beside_the_cell_s_default_sesoi_is_not_both_given():
    """Every flat variable has a value: in a notebook, sesoi counts as given when it is not
    its default, or when a params file injected with ``-f`` wrote both keys."""
    params = setup(namespace("sesoi_points = 25\n", sesoi_points=25))
    assert params.analysis.sesoi_points == 25 and params.analysis.sesoi == 0.2
    with pytest.raises(InputError, match="analysis.sesoi and analysis.sesoi_points"):
        setup(namespace("sesoi = 0.3\nsesoi_points = 25\n", sesoi=0.3, sesoi_points=25))
    both = {"sesoi": 0.2, "sesoi_points": 25}
    with pytest.raises(InputError, match="analysis.sesoi and analysis.sesoi_points"):
        setup(namespace(f"analysis = {both!r}\n", analysis=both))


def test_a_confounder_outside_the_controls_is_refused_in_a_notebook():
    with pytest.raises(InputError, match="add it to analysis.controls"):
        setup(namespace("confounders = ['collectivity_type']\n", confounders=["collectivity_type"]))


def test_the_cell_s_none_sections_are_not_given():
    """The parameter cell declares ``data = None`` and ``analysis = None`` (so that papermill
    knows the sections of ``-f params.yaml``): left at None, the flat names are the run."""
    assert setup(namespace(data=None, analysis=None)) == DEFAULT


def test_a_section_written_in_the_cell_wins_over_the_flat_defaults():
    """An analyst may paste a params file's section into the cell instead of its None."""
    ns = namespace(data=None, analysis={"min_cell": 7, "sesoi": 0.3})
    params = setup(ns)
    assert (params.analysis.min_cell, params.analysis.sesoi) == (7, 0.3)
    assert ns["min_cell"] == 7


def test_a_section_that_is_no_mapping_is_refused():
    with pytest.raises(InputError, match="analysis: not a mapping"):
        setup(namespace("analysis = 3\n", analysis=3))


def test_a_misspelt_section_is_refused_with_a_suggestion():
    """``-f`` of a file whose top-level key is misspelt: papermill warns, setup stops."""
    with pytest.raises(UnknownParameterError) as exc:
        setup(namespace("analysys = {'sesoi': 0.3}\n", analysys={"sesoi": 0.3}))
    assert exc.value.problems[0].message == (
        "unknown parameter 'analysys'; did you mean 'analysis'?"
    )
