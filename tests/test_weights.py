"""Calibrated weights meet the frame's margins or are refused: feasibility, collapse, R's values.

R's ``survey::calibrate`` (tests/fixtures/r_calibration) gives the reference weights for raking,
bounded (logit) calibration and raking on merged bands; the feasibility rule is checked against
a linear programme; a survey that cannot be raked stops a run with exit status 2.
"""

from __future__ import annotations

import json
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from survey_factory import build_survey, write_csv

from analyse import cli
from analyse.data import simulate
from analyse.data.bands import (
    POPULATION_BAND_LABELS,
    RAKING_TIERS,
    population_band,
    raking_band,
    raking_tier,
)
from analyse.data.reference import load_frame
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.pipeline import runner
from analyse.pipeline.run_result import load_scored, run_weights
from analyse.stats import weights as weights_module
from analyse.stats.equivalence import standardize
from analyse.stats.regression import Design, fit_ols
from analyse.stats.weights import CalibrationError, rake

FIXTURE = Path(__file__).parent / "fixtures" / "r_calibration"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURE / "calibration.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "sample.csv")


@pytest.fixture(scope="module")
def small_frame() -> pd.DataFrame:
    """The fixture's frame as one row per unit, as ``load_frame`` gives it."""
    cells = pd.read_csv(FIXTURE / "frame_cells.csv")
    rows = cells.loc[cells.index.repeat(cells["units"]), ["collectivity_type", "population"]]
    return rows.reset_index(drop=True)


def _r_weights(block: dict, ids: pd.Series) -> np.ndarray:
    """R's calibrated weights in the sample's order, rescaled to mean 1 as ``rake`` returns."""
    w = np.array([block["weights"][i] for i in ids], dtype="float64")
    return w / w.mean()


def _margins_met(data: pd.DataFrame, frame: pd.DataFrame, w: pd.Series) -> None:
    """Weighted shares of type and band group (``attrs['band_groups']``) equal the frame's."""
    groups = w.attrs["band_groups"]
    for values, fvalues in (
        (data["collectivity_type"], frame["collectivity_type"]),
        (
            population_band(data["population"]).astype(str).map(groups),
            population_band(frame["population"]).astype(str).map(groups),
        ),
    ):
        got = w.groupby(values.to_numpy()).sum() / w.sum()
        kept = fvalues[fvalues.isin(set(values))]
        target = kept.value_counts(normalize=True)
        np.testing.assert_allclose(
            got.sort_index(), target.reindex(got.index).sort_index(), atol=1e-9
        )


# ------------------------------------------------------------------------------- R reference


def test_raking_matches_survey_calibrate(reference, sample, small_frame):
    w = rake(sample, small_frame)
    np.testing.assert_allclose(
        w, _r_weights(reference["raking"], sample["respondent_id"]), rtol=1e-8
    )
    assert w.mean() == pytest.approx(1.0)
    assert w.attrs["converged"] is True and w.attrs["collapsed"] is None
    assert w.attrs["method"] == "raking" and w.attrs["dropped"] == 0
    assert w.attrs["kish_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert w.attrs["max_ratio"] == pytest.approx(w.max() / w.min())
    _margins_met(sample, small_frame, w)


def test_bounded_logit_calibration_matches_survey_calibrate(reference, sample, small_frame):
    lower, upper = reference["logit"]["bounds"]
    w = rake(sample, small_frame, method="logit", bounds=(lower, upper))
    np.testing.assert_allclose(
        w, _r_weights(reference["logit"], sample["respondent_id"]), rtol=1e-8
    )
    g = w  # mean-1 weights are w / (N/n): the ratio the bounds apply to
    assert g.min() > lower and g.max() < upper
    assert w.attrs["method"] == "logit" and w.attrs["bounds"] == [lower, upper]
    _margins_met(sample, small_frame, w)


def test_infeasible_design_merges_bands_as_r_calibrates_on_merged_bands(
    reference, sample, small_frame
):
    """Sample B: CC only in <20k and 20-50k, whose frame share (66 %) is below CC's (72 %).

    R's raking on the five bands fails to converge (recorded in the fixture); on 20-100k it
    converges, and ``rake`` finds that merge itself. The old rake returned IPF's unconverged
    weights here (``attrs['converged']`` False): this test failed before.
    """
    b = sample[sample["in_b"] == 1]
    assert reference["raking_b_unmerged"]["outcome"].startswith("Failed to converge")
    w = rake(b, small_frame)
    assert w.attrs["converged"] is True
    assert w.attrs["collapsed"].startswith(
        "population bands merged: 20-50k and 50-100k into 20-100k, because collectivity type CC"
    )
    np.testing.assert_allclose(
        w, _r_weights(reference["raking_b_merged"], b["respondent_id"]), rtol=1e-8
    )
    assert w.attrs["band_groups"]["50-100k"] == w.attrs["band_groups"]["20-50k"] == "20-100k"
    _margins_met(b, small_frame, w)
    with pytest.raises(CalibrationError, match=r"CC has respondents only in population band"):
        rake(b, small_frame, collapse=False)


def test_weighted_standardized_effect_uses_weighted_sds(reference, sample):
    """b * sd_w(size) / sd_w(y) with the fit's weights, as svyvar on the calibrated design."""
    ref = reference["standardized"]
    w = pd.Series(_r_weights(reference["raking"], sample["respondent_id"]), index=sample.index)
    x = sample[["size", "budget"]].astype(float)
    x.insert(0, "Intercept", 1.0)
    design = Design(y=sample["y"].astype(float), X=x, groups={"size": ["size"]})
    fit = fit_ols(design, weights=w)
    std_coef, std_se = standardize(fit)
    assert float(fit.coef["size"]) == pytest.approx(ref["coef_size"], rel=1e-10)
    assert std_coef == pytest.approx(ref["std_coef"], rel=1e-10)
    ratio = ref["sd_size"] / ref["sd_y"]
    assert std_se / float(fit.se_verdict["size"]) == pytest.approx(ratio, rel=1e-10)
    # equal weights: the unweighted standardization (ddof=1 SDs)
    flat = fit_ols(design, weights=pd.Series(3.0, index=sample.index))
    unweighted = design.X["size"].std(ddof=1) / design.y.std(ddof=1)
    assert standardize(flat)[0] == pytest.approx(float(flat.coef["size"]) * unweighted, rel=1e-12)


# ------------------------------------------------------------------------------ feasibility


def test_bounds_that_cannot_be_met_raise_a_calibration_error(sample, small_frame):
    # metropole's 9 units need 4 respondents at g = 9 / (4 * 286 / 24) = 0.19 < 0.2
    with pytest.raises(CalibrationError, match="between 0.2 and 3 times the design weight"):
        rake(sample, small_frame, method="logit", bounds=(0.2, 3.0))


def test_positive_weights_exist_exactly_when_the_hall_condition_holds():
    """The exact integer check agrees with a linear programme (max min cell weight > 0) on
    random supports, including designs at the boundary (a tight set)."""
    rng = np.random.default_rng(7)
    types, bands = ["CA", "CC", "CU"], list(POPULATION_BAND_LABELS[:4])
    mid = {"<20k": 10_000, "20-50k": 30_000, "50-100k": 70_000, "100-250k": 150_000}
    outcomes = set()
    for _ in range(150):
        cells = list(product(types, bands))
        units = rng.integers(0, 4, size=len(cells))
        frame = pd.DataFrame(
            [(t, mid[b]) for (t, b), k in zip(cells, units, strict=True) for _ in range(k)],
            columns=["collectivity_type", "population"],
        )
        chosen = rng.random(len(cells)) < 0.4
        sample = pd.DataFrame(
            [(t, mid[b]) for (t, b), c in zip(cells, chosen, strict=True) if c],
            columns=["collectivity_type", "population"],
        )
        if sample.empty or not set(sample["collectivity_type"]) <= set(frame["collectivity_type"]):
            continue
        prepared = [
            weights_module._prepare(d, ("collectivity_type", "band")) for d in (sample, frame)
        ]
        identity = {b: b for b in POPULATION_BAND_LABELS}
        problem = weights_module._build(*prepared, ("collectivity_type", "band"), identity)
        if any((t == 0).any() for t in problem.totals):
            continue
        hall = weights_module._hall_violation(problem) is None
        lp = weights_module._bounded_slack(problem, (0.0, 1e6)) > 1e-9
        assert hall == lp, problem
        outcomes.add(hall)
    assert outcomes == {True, False}  # both answers were exercised


def test_2025_like_panel_is_raked_on_merged_bands():
    """The shipped 2025-like panel (params/default.yaml): CC only in the two lowest bands,
    whose frame share is below CC's. The old rake returned weights down to 1e-93 with
    ``converged`` False and a Kish n of 18.8 of 55: this test failed before."""
    frame = load_frame("epci")
    scored, _ = load_scored(load_params(Path(__file__).parents[1] / "params" / "default.yaml"))
    data = scored[scored["maturity_index"].notna()]
    w = rake(data, frame)
    assert w.attrs["converged"] is True
    assert w.attrs["collapsed"] == (
        "population bands merged: 20-50k and 50-100k into 20-100k, because collectivity type "
        "CC has respondents only in population band(s) <20k, 20-50k, which hold 76.97 % of the "
        "frame (966 units), less than the 78.80 % (989) to match"
    )
    assert w.min() > 0.01 and w.attrs["max_ratio"] < 100
    _margins_met(data, frame, w)
    with pytest.raises(CalibrationError, match="CC has respondents only"):
        rake(data, frame, collapse=False)


@pytest.mark.parametrize("seed", [2, 5])
def test_simulated_2025_like_panels_meet_the_margins(seed):
    frame = load_frame("epci")
    data = simulate.generate("barometre-2025", seed=seed, n=300, with_truth=False).data
    w = rake(data, frame)
    assert w.attrs["converged"] is True
    _margins_met(data, frame, w)


# --------------------------------------------------------------------- a run that cannot rake


@pytest.fixture
def unrakeable_params(tmp_path, codebook) -> Path:
    """A survey of CC of 300,000 inhabitants and CA of 10,000: the three bands between hold
    units of the frame but no respondent, and CC's 79 % of the frame can only be carried by the
    band(s) where CC has respondents; no merge of bands short of one group meets both."""
    survey = build_survey(codebook, n=40, seed=3)
    cc = np.arange(len(survey)) % 2 == 0
    survey["collectivity_type"] = pd.array(np.where(cc, "CC", "CA").tolist(), dtype="string")
    survey["population"] = pd.array(np.where(cc, 300_000, 10_000), dtype="Int64")
    path = write_csv(survey, tmp_path / "survey.csv")
    params = tmp_path / "unrakeable.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "name": "unrakeable",
                "data": {"survey": str(path), "codebook": str(default_codebook_path())},
                "analysis": {"weights": "raked", "bootstrap": 10},
            }
        ),
        encoding="utf-8",
    )
    return params


def test_run_weights_turns_a_calibration_error_into_a_user_error(unrakeable_params):
    params = load_params(unrakeable_params)
    scored, _ = load_scored(params)
    with pytest.raises(InputError) as exc:
        run_weights(params, scored, load_frame("epci"))
    (problem,) = exc.value.problems
    assert problem.file == str(params.survey_path)
    assert "analysis.weights is 'raked' but cannot weight the sample to the frame" in str(problem)
    assert "population bands 20-50k, 50-100k, 100-250k hold 694 units of the frame but no " in str(
        problem
    )
    assert "Merging adjacent population bands does not help either" in str(problem)


class _InProcessKernel:
    """Stands in for the run's Jupyter kernel: executes the analysis the runner sends it
    (``analyse.pipeline.analysis_in_kernel``) in this process, and no notebook (the analysis
    fails first). The path from an error in the analysis to exit 2 is the real one."""

    def __init__(self, cwd: Path, kernel_name: str = "") -> None:
        pass

    def __enter__(self) -> _InProcessKernel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def start(self) -> None:
        pass

    def wait_ready(self) -> None:
        pass

    def run_analysis(self, code: str) -> None:
        exec(code, {})

    def execute(self, *args: object) -> None:
        raise AssertionError("no notebook runs once the analysis has failed")


def test_analyse_run_exits_2_when_the_survey_cannot_be_raked(
    unrakeable_params, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(runner, "Kernel", _InProcessKernel)
    out = tmp_path / "reports"
    argv = ["analyse", "run", str(unrakeable_params), "--output-dir", str(out), "--jobs", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == cli.USER_ERROR
    printed = capsys.readouterr().out
    assert "analysis failed: InputError" in printed and "but no respondent" in printed
    assert not (out / "unrakeable").exists()  # nothing published


def test_weights_meet_the_margins_on_the_rows_the_model_fits():
    """An optional term missing for some respondents drops them from the model: the weights are
    raked on the fitted rows, not on every respondent with an index (which left the weights the
    model used off the margins)."""
    from analyse.data.codebook import load_codebook
    from analyse.data.scoring import score_survey
    from analyse.stats import robustness
    from analyse.stats.regression import build_design

    data = simulate.generate("random", seed=5, n=300, with_truth=False).data
    data.loc[data.index[::4], "digital_staff_fte"] = np.nan
    scored = score_survey(data, load_codebook())
    frame = load_frame("epci")
    params = load_params("params/default.yaml")
    params = params.model_copy(
        update={"analysis": params.analysis.model_copy(update={"weights": "raked"})}
    )
    weights = run_weights(params, scored, frame)
    rows = build_design(scored).y.index
    assert len(rows) < scored["maturity_index"].notna().sum()
    assert weights.index.equals(rows)
    _margins_met(scored.loc[rows], frame, weights)
    # the specification curve's raked specifications on all respondents use the same weights
    _, _, specs, _, _, _ = robustness._build(scored, frame)
    raked = [s for s in specs if s.weights is not None and s.choice["sample"] == "all"]
    assert raked
    for spec in raked:
        np.testing.assert_allclose(spec.weights[spec.rows], weights.to_numpy(), rtol=1e-12)


def test_a_merge_that_cannot_be_calibrated_is_passed_over(monkeypatch):
    """The 2025-like panel needs a merge of bands; when the calibration of one candidate merge
    fails, the others are still tried (it used to abort the whole raking)."""
    scored, _ = load_scored(load_params("params/default.yaml"))
    sample = scored[scored["maturity_index"].notna()]
    solve, calls = weights_module._solve, []

    def first_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise CalibrationError("Newton did not converge")
        return solve(*args, **kwargs)

    collapses = weights_module._collapses

    def twice(*args, **kwargs):  # the same candidate twice: the first try fails, not the second
        return collapses(*args, **kwargs) * 2

    monkeypatch.setattr(weights_module, "_solve", first_fails)
    monkeypatch.setattr(weights_module, "_collapses", twice)
    weights = rake(sample, load_frame("epci"))
    assert len(calls) >= 3 and weights.attrs["collapsed"]


# ------------------------------------------------------------- no frame unit dropped silently

PANEL = Path(__file__).parent / "fixtures" / "r_estimands" / "data.csv"  # the shipped panel's


def _shares_of(frame: pd.DataFrame, data: pd.DataFrame, w: pd.Series) -> None:
    """Weighted shares of type and of band group equal those of the *whole* ``frame``."""
    groups = w.attrs["band_groups"]
    for column, of in (
        ("collectivity_type", lambda d: d["collectivity_type"].astype(str)),
        ("band", lambda d: population_band(d["population"]).astype(str).map(groups)),
    ):
        got = w.groupby(of(data).to_numpy()).sum() / w.sum()
        target = of(frame).value_counts(normalize=True)
        assert set(target.index) == set(got.index), column  # every frame category carried
        np.testing.assert_allclose(got.sort_index(), target.sort_index(), atol=1e-9)


def test_a_frame_band_without_respondents_is_merged_into_its_neighbour_not_dropped():
    """The shipped panel without its 7 small CC: no respondent under 20,000 inhabitants, where
    515 of the frame's 1,255 EPCI are. They used to be left out ("dropped": 515) while the
    weights "met the margins" of the rest; the band is now merged into its neighbour, and the
    merge reported."""
    panel = pd.read_csv(PANEL)
    small = population_band(panel["population"]).astype(str) == "<20k"
    assert int(small.sum()) == 7 and set(panel.loc[small, "collectivity_type"]) == {"CC"}
    frame = load_frame("epci")
    w = rake(panel[~small], frame)
    assert w.attrs["dropped"] == 0 and w.attrs["dropped_types"] == {}
    assert w.attrs["band_groups"]["<20k"] == w.attrs["band_groups"]["20-50k"]
    assert (
        "population band <20k holds 515 units of the frame but no respondent"
        in (w.attrs["collapsed"])
    )
    _shares_of(frame, panel[~small], w)
    with pytest.raises(CalibrationError, match="band <20k holds 515 units of the frame but no"):
        rake(panel[~small], frame, collapse=False)


def test_a_frame_type_without_respondents_is_left_out_by_name():
    """A type cannot be merged into another: without its respondents it is out of the weights'
    population, and said so (``dropped_types``; ``dropped`` is its units)."""
    panel = pd.read_csv(PANEL)
    no_cu = panel[panel["collectivity_type"] != "CU"]
    frame = load_frame("epci")
    w = rake(no_cu, frame)
    units = int((frame["collectivity_type"] == "CU").sum())
    assert w.attrs["dropped_types"] == {"CU": units} and w.attrs["dropped"] == units
    _shares_of(frame[frame["collectivity_type"] != "CU"], no_cu, w)


def test_raked_weights_carry_their_calibration_cells():
    """What the calibrated linearization needs: each respondent's type and band as calibrated
    (after the merge), and its weight, aligned on the sample's index."""
    panel = pd.read_csv(PANEL)
    w = rake(panel, load_frame("epci"))
    calibration = w.attrs["calibration"]
    assert calibration["index"] == list(panel.index)
    assert calibration["cells"]["collectivity_type"] == list(panel["collectivity_type"])
    assert calibration["cells"]["band"] == list(panel["band"])  # make_data.py: rake's bands
    assert calibration["weight"] == list(w.to_numpy())


# ------------------------------------------------------------------------------- every tier


def _expand(cells: pd.DataFrame) -> pd.DataFrame:
    rows = cells.loc[cells.index.repeat(cells["units"]), ["collectivity_type", "population"]]
    return rows.reset_index(drop=True)


def _tier_margins_met(data: pd.DataFrame, frame: pd.DataFrame, w: pd.Series) -> None:
    """Weighted counts of every type and every band group (bands per tier, after the merges
    ``attrs['band_groups']`` made) equal the frame's units, on the tiers with respondents:
    each tier's margins met, in units of the frame (weights scaled to N)."""
    groups = w.attrs["band_groups"]
    out = set(w.attrs["dropped_tiers"])
    populated = pd.to_numeric(frame["population"]).gt(0).fillna(False).to_numpy(dtype=bool)
    tiers = frame["collectivity_type"].map(lambda t: raking_tier(t).name)
    kept = frame[populated & ~tiers.isin(out).to_numpy()]
    scaled = w * len(kept) / w.sum()
    for of in (
        lambda d: d["collectivity_type"].astype(str),
        lambda d: raking_band(d["collectivity_type"], d["population"]).astype(str).map(groups),
    ):
        got = scaled.groupby(of(data).to_numpy()).sum()
        target = of(kept).value_counts()
        assert set(target.index) == set(got.index)  # every category of a surveyed tier carried
        np.testing.assert_allclose(got.sort_index(), target.sort_index(), rtol=1e-9)


def test_mixed_tiers_match_survey_calibrate(reference):
    """EPCI, communes and départements raked at once (bands per tier), the départements' empty
    band merged, the régions (no respondent) left out by name: the weights are R's
    ``calibrate`` on the same rank-deficient ``~ type + band`` to 1e-8, and svyglm's
    linearization SE on that calibrated design is ``se_linearization``'s to 1e-9."""
    ref = reference["mixed"]
    sample = pd.read_csv(FIXTURE / "sample_mixed.csv")
    frame = _expand(pd.read_csv(FIXTURE / "frame_cells_mixed.csv"))
    w = rake(sample, frame)
    np.testing.assert_allclose(w, _r_weights(ref, sample["respondent_id"]), rtol=1e-8)
    assert w.attrs["collapsed"] == (
        "population bands merged: departement <250k and departement 250-500k into departement "
        "<500k, because population band departement <250k holds 6 units of the frame but no "
        "respondent"
    )
    assert w.attrs["dropped_tiers"] == {"region": 18} and w.attrs["dropped"] == 0
    assert set(w.attrs["calibration"]["cells"]["band"]) == set(ref["bands"])
    _tier_margins_met(sample, frame, w)
    x = sample[["size", "budget"]].astype(float)
    x.insert(0, "Intercept", 1.0)
    fit = fit_ols(Design(y=sample["y"].astype(float), X=x, groups={"size": ["size"]}), weights=w)
    assert fit.se_method == "linearization_calibrated_hc3"
    assert float(fit.coef["size"]) == pytest.approx(ref["coef_size"], rel=1e-10)
    assert float(fit.se_linearization["size"]) == pytest.approx(ref["se_size"], rel=1e-9)


@pytest.fixture(scope="module")
def every_tier() -> pd.DataFrame:
    return load_frame("all")


def _draw(frame: pd.DataFrame, counts: dict[tuple[str, ...], int], seed: int) -> pd.DataFrame:
    """Respondents drawn from the frame's populated units of each set of types, larger bodies
    likelier (probability ~ sqrt population), as a survey of every tier answers."""
    rng = np.random.default_rng(seed)
    pop = pd.to_numeric(frame["population"]).fillna(0).astype(float)
    parts = []
    for types, n in counts.items():
        rows = frame[frame["collectivity_type"].isin(types).to_numpy() & (pop > 0).to_numpy()]
        p = np.sqrt(rows["population"].astype(float).to_numpy())
        parts.append(rows.iloc[rng.choice(len(rows), n, replace=False, p=p / p.sum())])
    return pd.concat(parts, ignore_index=True)


EPCI = ("CC", "CA", "CU", "metropole")


@pytest.mark.parametrize("seed", [1, 4])
def test_a_mixed_survey_of_epci_communes_and_departements_meets_every_tiers_margins(
    every_tier, seed
):
    sample = _draw(every_tier, {("commune",): 300, EPCI: 80, ("departement",): 15}, seed)
    w = rake(sample, every_tier)
    assert w.attrs["converged"] is True and (w > 0).all()
    # the tiers nobody answered for are out of the weights' population, and named
    assert w.attrs["dropped_tiers"] == {"ept": 11, "region": 18}
    assert w.attrs["unpopulated"] == 12  # 6 communes of 0 inhabitants, 6 of none: never used
    _tier_margins_met(sample, every_tier, w)
    # each tier's weights are its own problem's: raking the communes alone gives theirs
    communes = sample["collectivity_type"] == "commune"
    alone = rake(sample[communes], every_tier)
    ratio = w[communes] / alone
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-9)


def test_an_epci_survey_is_weighted_as_on_the_epci_frame_alone(every_tier):
    """The frame of every tier changes nothing for a survey of EPCI: same weights, same
    merges, no type dropped (the other tiers are named apart, in ``dropped_tiers``)."""
    panel = pd.read_csv(PANEL)
    epci_only, all_tiers = rake(panel, load_frame("epci")), rake(panel, every_tier)
    np.testing.assert_allclose(all_tiers, epci_only, rtol=1e-12)
    assert all_tiers.attrs["collapsed"] == epci_only.attrs["collapsed"]
    assert all_tiers.attrs["dropped"] == 0 and all_tiers.attrs["dropped_types"] == {}
    assert set(all_tiers.attrs["dropped_tiers"]) == {"commune", "ept", "departement", "region"}


def test_departements_and_regions_fall_back_to_type_alone(every_tier):
    """Three départements of 500,000 to 1,000,000 inhabitants cannot meet any split of the
    départements' bands: they are calibrated on type alone, and the weights say so; the régions
    likewise. Communes never are: their size bands are what the analysis is about."""
    deps = every_tier[every_tier["collectivity_type"] == "departement"]
    mid = deps[deps["population"].between(500_000, 999_999)].head(3)
    regions = every_tier[every_tier["collectivity_type"] == "region"].nlargest(2, "population")
    communes = _draw(every_tier, {("commune",): 60}, 3)
    sample = pd.concat([communes, mid, regions], ignore_index=True)
    w = rake(sample, every_tier)
    groups = w.attrs["band_groups"]
    assert {groups[b] for b in ("departement <250k", "departement 1M+")} == {
        "departement all sizes"
    }
    assert groups["region <1M"] == groups["region 1M+"] == "region all sizes"
    assert "into departement all sizes" in w.attrs["collapsed"]
    assert "into region all sizes" in w.attrs["collapsed"]
    code = w.attrs["collapsed_code"]  # one reason per tier merged, chained
    assert code["code"] == "bands_merged" and code["params"]["then"]["code"] == "bands_merged"
    _tier_margins_met(sample, every_tier, w)
    # a survey whose communes are all under 500 inhabitants: their bands cannot be met
    small = every_tier[(every_tier["collectivity_type"] == "commune")]
    small = small[small["population"].between(1, 499)].head(20)
    with pytest.raises(CalibrationError) as exc:
        rake(pd.concat([small, mid], ignore_index=True), every_tier)
    assert "population bands commune 500-2k, commune 2-10k, commune 10-50k, commune 50k+ hold" in (
        str(exc.value)
    )
    assert "Merging adjacent population bands does not help either" in str(exc.value)


def test_infeasible_mixed_cases_give_the_tiers_reason(every_tier):
    """Bounds no weight can meet, in one tier of several, are said; a frame population of 0 in
    the survey is refused with its count (upstream leaves such rows out with their reason)."""
    sample = _draw(every_tier, {("commune",): 100, EPCI: 40}, 2)
    with pytest.raises(CalibrationError, match="no weights between 0.9 and 1.1 times"):
        rake(sample, every_tier, method="logit", bounds=(0.9, 1.1))
    zero = sample.copy()
    zero.loc[0, "population"] = 0
    with pytest.raises(CalibrationError, match=r"1 respondent\(s\) have a population of 0"):
        rake(zero, every_tier)


def test_a_frame_population_of_zero_is_never_calibrated_on():
    """Verdun's six communes of 0 inhabitants and the six of none are left out of both
    margins: with them the "commune <500" band would count 12 units that no body stands for."""
    frame = load_frame("communes")
    assert int((frame["population"] == 0).sum()) == 6
    sample = _draw(frame, {("commune",): 200}, 6)
    w = rake(sample, frame)
    assert w.attrs["unpopulated"] == 12
    small = raking_band(sample["collectivity_type"], sample["population"]) == "commune <500"
    share = float(w[small.to_numpy()].sum() / w.sum())
    band = raking_band(frame["collectivity_type"], frame["population"])
    assert share == pytest.approx(float((band == "commune <500").sum()) / band.notna().sum())


def test_the_feasibility_check_by_component_gives_the_reason_every_subset_gives():
    """``_type_subsets`` checks Gale's condition within the connected components of the cells;
    the old enumeration of every proper subset of types is the reference. On random supports
    over three tiers (EPCI, communes, départements) both find the same first violation (the
    same reason) or none."""
    rng = np.random.default_rng(11)
    mid = {
        "CA": [10_000, 30_000, 70_000, 150_000],
        "CC": [10_000, 30_000, 70_000],
        "CU": [70_000, 150_000, 400_000],
        "commune": [300, 1_000, 5_000],
        "departement": [180_000, 700_000],
    }
    cells = pd.DataFrame(
        [(t, p) for t, pops in mid.items() for p in pops],
        columns=["collectivity_type", "population"],
    )
    band = raking_band(cells["collectivity_type"], cells["population"]).to_numpy()
    margins = ("collectivity_type", "band")
    identity = {b: b for tier in RAKING_TIERS for b in tier.labels}
    outcomes, split = set(), 0
    for _ in range(40):
        # respondents in about half the cells; frame units in each of their cells, and maybe
        # in the other cells of the bands they reach (a band without respondents is merged
        # before this check is ever made)
        chosen = rng.random(len(cells)) < 0.5
        reached = np.isin(band, band[chosen])
        units = np.where(chosen, rng.integers(1, 4, len(cells)), rng.integers(0, 4, len(cells)))
        units = np.where(reached, units, 0)
        frame = cells.loc[cells.index.repeat(units)]
        sample = cells[chosen]
        if sample.empty:
            continue
        prepared = [weights_module._prepare(d, margins) for d in (sample, frame)]
        problem = weights_module._build(*prepared, margins, identity)
        found = weights_module._hall_violation(problem)
        assert found == _every_subset_violation(problem), problem
        outcomes.add(found is None)
        split += (
            len(weights_module._type_subsets(problem))
            < 2 ** len(sample["collectivity_type"].unique()) - 2
        )
    assert outcomes == {True, False}
    assert split > 5  # several components: the shortcut was exercised


def _every_subset_violation(problem) -> object:
    """Gale's check on every proper subset of types, by size (the implementation before tiers)."""
    from itertools import combinations

    n_types = len(problem.categories[0])
    every = (s for size in range(1, n_types) for s in combinations(range(n_types), size))
    return weights_module._hall_violation(problem, subsets=every)


@pytest.fixture
def mixed_params(tmp_path, codebook, every_tier) -> Path:
    """A survey of communes, EPCI and départements (types and populations from the frame),
    ``weights: raked``."""
    drawn = _draw(every_tier, {("commune",): 60, EPCI: 40, ("departement",): 12}, 8)
    survey = build_survey(codebook, n=len(drawn), seed=4, unanswered_share=0.0)
    survey["collectivity_type"] = pd.array(drawn["collectivity_type"].tolist(), dtype="string")
    survey["population"] = pd.array(drawn["population"].astype(int).tolist(), dtype="Int64")
    path = write_csv(survey, tmp_path / "mixed.csv")
    params = tmp_path / "mixed.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "name": "mixed",
                "data": {"survey": str(path), "codebook": str(default_codebook_path())},
                "analysis": {"weights": "raked", "bootstrap": 10},
            }
        ),
        encoding="utf-8",
    )
    return params


def test_the_pipeline_weights_a_survey_of_every_tier(mixed_params, every_tier):
    """``run_weights``, ``validate --params`` (preflight) and the curve's raked specifications
    all rake a survey of communes, EPCI and départements: nothing is skipped for its tiers."""
    from analyse.pipeline.preflight import check_params
    from analyse.stats import robustness

    params = load_params(mixed_params)
    scored, _ = load_scored(params)
    weights = run_weights(params, scored, every_tier)
    assert weights is not None and weights.attrs["converged"] is True
    assert set(weights.attrs["dropped_tiers"]) == {"ept", "region"}
    check = check_params(params)
    assert check.error is None and check.weights.startswith("raking (effective sample size")
    assert "tiers without respondents, not weighted to: ept (11 units), region (18 units)" in (
        check.weights
    )
    _, _, specs, _, skipped, _ = robustness._build(scored, every_tier)
    assert not [k for k in skipped if "weights=raked" in k], skipped
    raked = [s for s in specs if s.weights is not None and s.choice["sample"] == "all"]
    assert raked
    for spec in raked:
        np.testing.assert_allclose(spec.weights[spec.rows], weights.to_numpy(), rtol=1e-12)


def test_logit_bounds_are_on_each_tiers_design_weight():
    """A survey of 300 communes (of some 34,900) and 100 EPCI (of some 1,250) is two samples
    drawn at rates some eight times apart. Bounds (0.3, 3) on w / d are met by each tier
    alone; with one N/n for the whole sample they cannot be (the communes' weights would have
    to be far above it and the EPCI's far below): the bounds are on each tier's own N_t/n_t.
    Raking is unchanged (the design weight is absorbed in the tier's type multipliers)."""
    frame = load_frame("all")
    frame = frame[pd.to_numeric(frame["population"], errors="coerce") > 0]
    communes = frame[frame["collectivity_type"] == "commune"].sample(300, random_state=1)
    epci = frame[frame["collectivity_type"].isin(["CC", "CA"])].sample(100, random_state=2)
    sample = pd.concat([communes, epci]).reset_index(drop=True).astype({"population": float})
    bounds = (0.3, 3.0)
    w = weights_module.rake(sample, frame, method="logit", bounds=bounds)
    assert w.attrs["collapsed"] is None
    # back to frame units: the weights add up to the frame units of the types surveyed
    tier = np.where(sample["collectivity_type"] == "commune", "commune", "epci")
    units = {
        "commune": int((frame["collectivity_type"] == "commune").sum()),
        "epci": int(frame["collectivity_type"].isin(["CC", "CA"]).sum()),
    }
    total = w * (sum(units.values()) / w.sum())
    design = pd.Series(tier).map({t: units[t] / (tier == t).sum() for t in units}).to_numpy()
    ratio = total.to_numpy() / design
    assert ratio.min() >= bounds[0] - 1e-9 and ratio.max() <= bounds[1] + 1e-9
    # the one-N/n ratios of these weights leave the bounds: the old reading could not hold
    pooled = total.to_numpy() / (sum(units.values()) / len(sample))
    assert pooled.min() < bounds[0] or pooled.max() > bounds[1]
    # every margin met, by tier
    for t in units:
        assert total[tier == t].sum() == pytest.approx(units[t], rel=1e-9)
