"""The tables a report shows, ready to display, with small groups suppressed.

Every function takes the scored survey or the ``ClaimAnalysis`` of ``analyse.stats.claim`` and
returns a DataFrame so that a notebook cell is one call. Descriptive tables never show
statistics for a group of fewer than ``min_cell`` respondents (``analyse.report.disclosure``):
such a group is listed as "fewer than {min_cell}" with empty cells, and a group hidden with it
so that the total, or another breakdown of the same respondents, does not give it away as
"hidden to protect a smaller group"; the hidden part of a table is 0 or at least ``min_cell``
respondents."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from analyse.data.codebook import Codebook
from analyse.data.provenance import is_synthetic
from analyse.data.scoring import EXCLUSION_COLUMN, reliability, share_at_least
from analyse.data.simulate import PUBLISHED_2025_SHARES
from analyse.params import shown_input
from analyse.report import i18n
from analyse.report.disclosure import breakdown_suppression, suppression_labels
from analyse.report.findings import controls_held, held_means
from analyse.report.groups import unavailable
from analyse.report.prose import sesoi_in_points
from analyse.stats.equivalence import VERDICTS, equivalence_interval, standardize
from analyse.stats.regression import OUTCOME
from analyse.stats.sensitivity import power_curve, unweighted

if TYPE_CHECKING:
    from analyse.params import RunParams
    from analyse.stats.claim import ClaimAnalysis

GROUP_LABELS: dict[str, str] = {
    "size": "Size (ln population)",
    "budget": "Budget (ln € per inhabitant)",
    "staff": "Digital staff (per 10,000 inhabitants)",
    "sponsorship": "Political sponsorship",
    "controls": "Collectivity type",
}


# --------------------------------------------------------------------------- descriptives


def describe_by(
    scored: pd.DataFrame, by: str, min_cell: int = 5, digits: int | None = 1
) -> pd.DataFrame:
    """n, mean, SD and median of the maturity index per group of ``by``.

    Only respondents with a maturity index count. ``by`` is a column of ``scored`` (see
    ``with_groups`` for size bands, budget bands and sponsorship); a missing value forms its own
    group (``groups.missing``: "Non renseigné"). Groups with fewer than ``min_cell``
    respondents show "fewer than {min_cell}" and no statistics, a group hidden only to protect a
    smaller one says so (see ``analyse.report.disclosure``); these words are in the report's
    language. Statistics are rounded to ``digits`` decimals (None: not rounded, for
    ``analyse.report.readable``). A grouping of ``with_groups`` that the survey cannot form (no
    budget column) gives one line saying why.
    """
    m = i18n.current()
    if by not in scored.columns:
        reason = unavailable(scored, by)
        if reason:  # a grouping the survey cannot form (no budget column, say): say so
            return pd.DataFrame(
                [["", "", "", ""]],
                columns=["n", "mean", "sd", "median"],
                index=pd.Index([m("groups.not_described", reason=reason)], name=by),
                dtype=object,
            )
        raise KeyError(f"no column {by!r}; available: {list(scored.columns)}")
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1, got {min_cell}")
    data = scored.loc[scored[OUTCOME].notna(), [by, OUTCOME]].copy()
    groups = data[by]
    missing = m("groups.missing")
    if isinstance(groups.dtype, pd.CategoricalDtype):
        if groups.isna().any():
            groups = groups.cat.add_categories([missing]).fillna(missing)
    else:
        groups = groups.astype("object").where(groups.notna(), missing)
    grouped = data[OUTCOME].astype("float64").groupby(groups, observed=False, sort=True)
    summary = pd.DataFrame(
        {
            "n": grouped.size(),
            "mean": grouped.mean(),
            "sd": grouped.std(ddof=1),
            "median": grouped.median(),
        }
    )
    summary = summary[summary["n"] > 0]
    # hidden beside the other breakdowns of the same respondents too (disclosure, rule 3)
    linked = breakdown_suppression(scored, by, min_cell)
    hidden = suppression_labels(summary["n"], min_cell, hidden=linked)
    out = pd.DataFrame(index=summary.index, columns=["n", "mean", "sd", "median"], dtype=object)
    for group in summary.index:
        if hidden[group]:
            out.loc[group] = [hidden[group], "", "", ""]
        else:
            row = summary.loc[group]
            out.loc[group] = [
                int(row["n"]),
                *(_round(row[c], digits) for c in ("mean", "sd", "median")),
            ]
    out.index.name = by
    return out


def _round(x: float, digits: int | None = 1) -> float | str:
    if pd.isna(x):
        return ""
    return float(x) if digits is None else round(float(x), digits)


# --------------------------------------------------------------------------- data quality


def exclusions_table(analysis: ClaimAnalysis) -> pd.DataFrame:
    """Why respondents are not in the model, with how many: one line per reason, then the
    number analysed. Counts of data problems, not of answers, so they are not suppressed."""
    rows = [(str(reason), int(count)) for reason, count in analysis.exclusions.items()]
    rows.append(("analysed (in the model)", int(analysis.n)))
    return pd.DataFrame(rows, columns=["reason", "respondents"]).set_index("reason")


def reliability_table(scored: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Cronbach's alpha per theme (``analyse.data.scoring.reliability``) with theme labels."""
    out = reliability(scored, codebook)
    out.insert(1, "label", [codebook.theme(t).label_en for t in out["theme"]])
    out["alpha"] = out["alpha"].round(2)
    return out.set_index("theme")


def missing_by_theme(
    scored: pd.DataFrame, codebook: Codebook, digits: int | None = 1
) -> pd.DataFrame:
    """Per theme: items, share of item answers missing (%, rounded to ``digits``, None: not
    rounded), respondents who left it blank."""
    rows = []
    for theme in codebook.themes:
        items = scored[theme.columns]
        rows.append(
            {
                "theme": theme.key,
                "label": theme.label_en,
                "items": len(theme.columns),
                "missing_answers_pct": _maybe_round(
                    float(items.isna().to_numpy().mean()) * 100, digits
                ),
                "theme_left_blank": int(items.isna().all(axis=1).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("theme")


NOT_BAROMETER = (
    "not shown: the survey's codebook is not the 2025 barometer's (other themes or items), so "
    "its shares cannot be set beside the published ones"
)


def published_comparison(scored: pd.DataFrame, codebook: Codebook, level: int = 2) -> pd.DataFrame:
    """Per theme: the published 2025 share at "formalised actions" or better, and this survey's
    share of respondents whose theme level is at least ``level`` (both in %), and the gap.

    The survey share is ``analyse.data.scoring.share_at_least`` (respondents who left the theme
    unanswered are out of its denominator); themes without a published figure show no share.

    Only the barometer's own codebook (``Codebook.is_barometer_2025``) measures what the
    published shares measure: with another, the table has no theme and ``attrs['not_shown']``
    says why, in its one line (``plots.published_vs_survey`` then draws no bars).
    """
    if not codebook.is_barometer_2025:
        nan = float("nan")
        out = pd.DataFrame(
            {"label": [NOT_BAROMETER], "published_2025": nan, "this_survey": nan},
            index=pd.Index(["(no comparison)"], name="theme"),
        )
        out["difference"] = nan
        out.attrs["not_shown"] = NOT_BAROMETER
        return out
    shares = share_at_least(scored, codebook, level).astype("float64")
    published = pd.Series(PUBLISHED_2025_SHARES, dtype="float64").reindex(shares.index)
    out = pd.DataFrame(
        {
            "label": [codebook.theme(t).label_en for t in shares.index],
            "published_2025": published * 100.0,
            "this_survey": shares * 100.0,
        },
        index=pd.Index(shares.index, name="theme"),
    )
    out["difference"] = out["this_survey"] - out["published_2025"]
    return out


def compared(comparison: pd.DataFrame) -> bool:
    """Whether chapter 1 has a section comparing these data with the published 2025 shares:
    only when ``published_comparison`` could set them side by side (the barometer's codebook).
    With other themes the section is left out entirely (heading, table, figure, and the
    chapter's intro, ``narrative`` variant ``nb1.intro.alone``): a report does not show a
    section with nothing in it."""
    return not comparison.attrs.get("not_shown") and "difference" in comparison.columns


# --------------------------------------------------------------------------- the claim


ESTIMANDS = ("total", "direct", "indirect")  # the rows of ``size_effects``, in reading order


def size_effects(analysis: ClaimAnalysis) -> pd.DataFrame:
    """The two answers about size and what separates them (``analyse.stats.estimands``): the
    total effect (size alone, or with the confounders), the direct effect (the means held
    equal: the barometer's claim) and the indirect effect (their difference, through the
    means).

    Index points between two collectivities one ten times as populous as the other, with the
    (1 - 2 alpha) interval each verdict reads (the indirect effect's from the bootstrap), the
    p-value of the test of zero and the verdict (none for the indirect effect, which is not
    judged against the smallest effect of interest).
    """
    from analyse.stats.estimands import to_results

    if analysis.estimands is None:
        raise ValueError("this analysis has no estimands (analyse.stats.estimands)")
    found = to_results(analysis.estimands)
    rows = []
    for name in ESTIMANDS:
        block = found[name]
        low, high = block.get("ci90_points") or (np.nan, np.nan)
        rows.append(
            {
                "estimand": name,
                "points": float(block["coef_points"]),
                "low": float(low),
                "high": float(high),
                "p": float(block.get("p", np.nan)),
                "verdict": str(block.get("verdict") or ""),
            }
        )
    out = pd.DataFrame(rows).set_index("estimand")
    # what the direct model holds equal, as results.json says it (analyse.report.findings)
    seen = {
        "dropped_terms": list(analysis.dropped_terms),
        "estimands": {k: {"terms": found[k].get("terms") or []} for k in ("total", "direct")},
    }
    means = held_means(seen)[0]
    controls = controls_held(seen)
    if not means:
        # no mean measured: nothing can pass through the means (the indirect effect is 0 by
        # construction, not a finding), and with no control either the direct effect is the
        # total one: a reader would see the same number twice under two names
        out = out.drop(index=["indirect"] if controls else ["indirect", "direct"])
    out.attrs["sesoi_points"] = sesoi_in_points(analysis.size)
    out.attrs["alpha"] = analysis.size.alpha
    out.attrs["means_held"] = means
    out.attrs["controls_held"] = controls
    return out


def _quantity_table(rows: list[tuple[str, object]]) -> pd.DataFrame:
    """A two-column table of named quantities, numbers rounded for reading."""
    out = pd.DataFrame(rows, columns=["quantity", "value"], dtype=object).set_index("quantity")
    out["value"] = _values(out["value"], 4)
    return out


def nested_summary(analysis: ClaimAnalysis) -> pd.DataFrame:
    """What size adds to the full model: R² with and without it, partial R², Wald test, BF01."""
    nested = analysis.nested
    rows = [
        ("R² of the full model", nested.r2_full),
        ("R² without size", nested.r2_without_size),
        ("Partial R² of size", nested.partial_r2),
        ("Wald F of size (HC3)", nested.wald_f),
        ("p-value of the Wald test", nested.wald_p),
        (
            f"Bayes factor for 'size adds nothing' (BF01, JZS, r = {nested.bf_prior_scale:.3g})"
            if nested.bf01 is not None
            else f"Bayes factor BF01 (not estimable: {nested.bf01_not_estimable})"
            if nested.bf01_not_estimable
            else "Bayes factor BF01 (not computed with survey weights)",
            float("nan") if nested.bf01 is None else nested.bf01,
        ),
    ]
    return _quantity_table(rows)


def equivalence_summary(analysis: ClaimAnalysis) -> pd.DataFrame:
    """The standardized size effect, its (1 - 2 alpha) interval, and the three tests."""
    test = analysis.size
    low, high = equivalence_interval(test)
    level = f"{100 * (1 - 2 * test.alpha):g} %"
    rows = [
        ("Standardized size effect (SD of index per SD of ln population)", test.std_coef),
        (f"{level} interval, low", low),
        (f"{level} interval, high", high),
        ("Smallest effect of interest (± SESOI)", test.sesoi),
        ("SESOI in index points, for a tenfold population", sesoi_in_points(test)),
        ("p-value, equivalence test (TOST: inside ± SESOI)", test.tost_p),
        ("p-value, minimal-effect test (beyond ± SESOI)", test.met_p),
        ("p-value, test of zero effect", test.p),
        ("Respondents", analysis.n),
    ]
    return _quantity_table(rows)


def importance_table(analysis: ClaimAnalysis, digits: int | None = 3) -> pd.DataFrame:
    """LMG shares of R² per group, in % of the index's variance, with bootstrap intervals and
    the share of bootstrap samples in which size's share is below each other group's (numbers
    rounded to ``digits``; None: not rounded)."""
    imp = analysis.importance
    table = imp.table()
    out = pd.DataFrame(
        {
            "label": [GROUP_LABELS.get(g, g) for g in table.index],
            "share_pct": table["lmg"] * 100.0,
            "low_pct": table["low"] * 100.0,
            "high_pct": table["high"] * 100.0,
            "share_of_r2_pct": table["share_of_r2"] * 100.0,
            "p_size_below": imp.prob_size_below.reindex(table.index),
        },
        index=pd.Index(table.index, name="group"),
    )
    if imp.not_estimable:  # no shares at all: every line says why
        out["note"] = f"not estimable: {imp.not_estimable}"
    if digits is not None:
        out = out.round(digits)
    out.attrs["confidence"] = imp.confidence
    out.attrs["draws"] = len(imp.draws)
    out.attrs["not_estimable"] = imp.not_estimable
    return out


def theme_table(
    analysis: ClaimAnalysis,
    codebook: Codebook,
    confidence: float = 0.95,
    digits: int | None = 4,
) -> pd.DataFrame:
    """Size in each theme's ordinal model as an odds ratio for a **tenfold** population (the
    reports' one unit: ``exp(coef * ln 10)``, the coefficient being per unit of ln population),
    with its Wald interval, raw and Holm-adjusted p-values, and two checks of proportional odds with
    Holm-adjusted p-values: Brant's test (``brant_note`` says why a theme is not testable) and
    the likelihood-ratio test of a threshold-specific size slope (``po_size_p``). A theme whose
    model cannot be estimated has empty numbers and ``model`` "not estimable: reason". Numbers
    are rounded to ``digits`` (None: not rounded)."""
    themes = analysis.themes
    z = stats.norm.ppf(0.5 + confidence / 2)
    tenfold = np.log(10.0)
    out = pd.DataFrame(
        {
            "label": [codebook.theme(t).label_en for t in themes.index],
            "odds_ratio": np.exp(themes["coef"] * tenfold),
            "low": np.exp((themes["coef"] - z * themes["se"]) * tenfold),
            "high": np.exp((themes["coef"] + z * themes["se"]) * tenfold),
            "p": themes["p"],
            "p_holm": themes["p_holm"],
            "brant_p": themes["brant_p"],
            "brant_p_holm": themes["brant_p_holm"],
            "brant_note": themes["brant_note"],
            "po_size_p": themes["po_size_p"],
            "po_size_p_holm": themes["po_size_p_holm"],
            "converged": themes["converged"],
            "model": [
                f"not estimable: {reason}" if reason else ""
                for reason in themes.get("not_estimable", pd.Series("", index=themes.index))
            ],
        },
        index=themes.index,
    )
    return out if digits is None else out.round(digits)


def sensitivity_summary(analysis: ClaimAnalysis) -> pd.DataFrame:
    """What the sample can detect: MDEs at the chosen power (true standardized effects, each
    direction as a magnitude) and the power of the TOST at zero."""
    sens = analysis.sensitivity
    detected = f"Smallest standardized size effect detected with {sens.power:.0%} power"
    rows = [
        (f"{detected} in both directions", sens.mde_std),
        (f"{detected}, positive effects", sens.mde_std_positive),
        (f"{detected}, negative effects (magnitude)", sens.mde_std_negative),
        ("Smallest effect of interest (SESOI)", simulated_sesoi(analysis)),
        ("Power of the equivalence test if size has no effect at all", sens.tost_power),
        ("Simulated samples", sens.simulations),
    ]
    if analysis.weighted_parts:
        # the simulations are unweighted (analyse.stats.sensitivity); the weighted verdict's
        # standard error is larger, so it detects only effects about this many times larger
        unweighted_se = standardize(unweighted(analysis.fit))[1]
        rows.append(
            (
                "Weighted / unweighted standard error of the size effect (the MDEs above are "
                "unweighted; the weighted verdict detects effects about this many times larger)",
                analysis.size.std_se / unweighted_se,
            )
        )
    out = pd.DataFrame(rows, columns=["quantity", "value"], dtype=object).set_index("quantity")
    out["value"] = _values(out["value"], 3)
    return out


def simulated_sesoi(analysis: ClaimAnalysis) -> float:
    """The SESOI on the sensitivity simulations' standardized scale: the bound they used (a
    SESOI in points is converted with the unweighted SDs), the main test's when they carry none.
    """
    found = analysis.sensitivity.sesoi
    return analysis.size.sesoi if math.isnan(found) else found


def power_curve_table(analysis: ClaimAnalysis, seed: int, points: int = 41) -> pd.DataFrame:
    """The power curve of ``analyse.stats.sensitivity.power_curve`` on the analysis'
    own simulations.

    Same seed and number of simulations as the analysis' sensitivity, so the curve crosses the
    chosen power at -MDE (negative) and +MDE (positive). Effects span ±max(2 MDE, 2 SESOI, 0.5),
    capped at ±0.95: an effect of 1 or more does not exist in the direction in which size
    correlates with the other terms (``analyse.stats.sensitivity``), and every |effect| < 1 does.
    ``points`` values.
    """
    sens = analysis.sensitivity
    # an MDE is NaN when no simulated world reaches the power (a tiny sample): ignore it then
    reach = min(float(np.nanmax([2 * sens.mde_std, 2 * analysis.size.sesoi, 0.5])), 0.95)
    return power_curve(
        analysis.fit,
        np.linspace(-reach, reach, points),
        alpha=analysis.size.alpha,
        simulations=sens.simulations,
        seed=seed,
        # the bound the simulations used: a SESOI in points converted with the unweighted SDs
        # (the band drawn), each sample judged on the raw scale as the analysis judges
        sesoi=simulated_sesoi(analysis),
        sesoi_points=analysis.sesoi_points_given,
    )


def _maybe_round(x: float, digits: int | None) -> float:
    return x if digits is None else round(x, digits)


def _values(values: pd.Series, digits: int) -> pd.Series:
    """Counts as integers, other numbers rounded, in one display column."""
    shown = [
        int(v) if isinstance(v, (int, np.integer)) else round(float(v), digits) for v in values
    ]
    return pd.Series(shown, index=values.index, dtype=object)


def summary_table(values: Mapping[str, object]) -> pd.DataFrame:
    """A two-column table (item, value) from a mapping, for facts such as what was loaded."""
    return pd.DataFrame(
        {"value": [str(v) for v in values.values()]},
        index=pd.Index(list(values), name="item"),
    )


def input_summary(params: RunParams, scored: pd.DataFrame) -> pd.DataFrame:
    """What a run loaded: files, rows, respondents with an index, and whether it is synthetic.

    Files are named as results.json names them (``analyse.params.shown_input``): a published
    table must not reveal the building machine's folders."""
    excluded = int((scored[EXCLUSION_COLUMN].fillna("") != "").sum())
    synthetic = is_synthetic(params.survey_path)
    return summary_table(
        {
            "Survey file": shown_input(params.data.survey),
            "Codebook": shown_input(params.data.codebook),
            "Rows read": len(scored),
            "Respondents with a maturity index": len(scored) - excluded,
            "Respondents without a maturity index": excluded,
            "Synthetic data": "yes: invented answers, not the barometer's" if synthetic else "no",
        }
    )


def specification_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """How many specifications reach each verdict, and how often each choice leads to it.

    One line per choice and option: the number of specifications and the share of each verdict
    among them, so a reader sees which choice moves the conclusion.
    """
    from analyse.stats.robustness import CHOICES

    rows = []
    for choice in CHOICES:
        for option, part in curve.groupby(choice, sort=False):
            shares = part["verdict"].value_counts(normalize=True)
            rows.append(
                {
                    "choice": choice,
                    "option": option,
                    "specifications": len(part),
                    **{v: float(shares.get(v, 0.0)) for v in VERDICTS},
                }
            )
    total = curve["verdict"].value_counts(normalize=True)
    rows.append(
        {
            "choice": "all",
            "option": "",
            "specifications": len(curve),
            **{v: float(total.get(v, 0.0)) for v in VERDICTS},
        }
    )
    return pd.DataFrame(rows).set_index(["choice", "option"])


def _weights_description(summary: Mapping[str, object] | None) -> str:
    """The weights in words: how they were made, what was merged, what they cost in precision
    (Kish's effective sample size and the spread of the weights)."""
    if summary is None:
        return "none (unweighted)"
    if str(summary.get("method", "")).startswith("column "):  # analyse.data.user_weights
        return (
            f"shipped with the survey ({summary['method']}), not calibrated here"
            + f"; effective sample size (Kish) {float(summary['kish_n']):.1f}"
            + f"; largest / smallest weight {float(summary['max_ratio']):.1f}"
        )
    merged = summary.get("collapsed")
    dropped = int(summary.get("dropped") or 0)
    return (
        f"{summary['method']} calibration to the frame's margins"
        + (f"; {merged}" if merged else "")
        + (
            f"; {dropped} frame units left out (a type or band without any respondent), so the "
            "other margin is matched on the rest of the frame"
            if dropped
            else ""
        )
        + f"; effective sample size (Kish) {float(summary['kish_n']):.1f}"
        + f"; largest / smallest weight {float(summary['max_ratio']):.1f}"
    )


def skipped_specifications(curve: pd.DataFrame) -> pd.DataFrame:
    """The specifications the curve could not estimate, and why (never counted)."""
    skipped = curve.attrs.get("skipped") or {"(none)": "every specification was estimated"}
    return pd.DataFrame(
        {"reason": list(skipped.values())},
        index=pd.Index(list(skipped), name="specification not counted"),
    )


def curve_inference_table(curve: pd.DataFrame) -> pd.DataFrame:
    """The inferential test of the specification curve, one line per statistic.

    Each statistic of the observed curve is set against the curves drawn under the null of no
    size effect (``analyse.stats.robustness``): the p-value is the share of those null curves at
    least as extreme, in either direction, counting the observed curve among them ((1 + k) /
    (1 + draws)). Empty when the run drew
    no null curve.
    """
    inference = curve.attrs.get("inference")
    columns = ["observed", "p (share of null curves at least as extreme)"]
    reason = curve.attrs.get("inference_not_estimable")
    if not inference and reason:
        return pd.DataFrame(
            [[f"not estimable: {reason}", ""]],
            columns=columns,
            index=pd.Index(["Test of the whole curve"], name="statistic"),
        )
    if not inference:
        return pd.DataFrame(columns=columns).rename_axis("statistic")
    rows = [
        ("Median standardized size effect", "median_std_coef", "median_p"),
        (
            "Share of specifications significant in the dominant direction",
            "share_significant",
            "share_significant_p",
        ),
        ("Mean z across specifications (Stouffer)", "mean_z", "mean_z_p"),
    ]
    table = pd.DataFrame(
        [(label, inference[obs], inference[p]) for label, obs, p in rows],
        columns=["statistic", *columns],
    ).set_index("statistic")
    table.index.name = f"statistic ({inference['draws']} null curves)"
    return table.round(3)


def _controls_description(analysis: ClaimAnalysis) -> str:
    """The controls in words, with the types merged into "other" so that no coefficient
    describes fewer than min_cell respondents (``analyse.stats.regression.merge_rare_types``)."""
    parts = []
    for control in analysis.controls:
        merged = analysis.controls_merged.get(control)
        if not merged:
            parts.append(control)
            continue
        every = f"{control}[T.other]" not in analysis.fit.coef.index
        shown = ", ".join(merged) if control == "collectivity_type" else f"{len(merged)} rare"
        parts.append(
            f"{control} ({shown} merged into one category 'other', so that no "
            f"coefficient describes fewer than {analysis.min_cell} respondents"
            + ("; that is every type, so the control holds nothing fixed)" if every else ")")
        )
    return "; ".join(parts) or "none"


def model_specification(analysis: ClaimAnalysis) -> pd.DataFrame:
    """What the main model used: its terms, controls, sample, and the terms it had to drop,
    each with why (the survey lacks its column, or a 0/1 term's rarer value has fewer than
    min_cell respondents), so a reader knows what was not held fixed."""
    terms = [t for t in analysis.fit.coef.index if t != "Intercept"]
    reasons = analysis.fit.design.dropped_reasons
    dropped = [f"{t} ({reasons[t]})" if reasons.get(t) else t for t in analysis.dropped_terms]
    rows = [
        ("Outcome", "maturity_index (0-100)"),
        ("Terms in the model", ", ".join(terms)),
        ("Terms dropped", ", ".join(dropped) or "none"),
        ("Controls", _controls_description(analysis)),
        ("Weighted parts", ", ".join(analysis.weighted_parts) or "none (unweighted)"),
        ("Survey weights", _weights_description(analysis.weights_summary)),
        ("Respondents in the model", analysis.n),
        ("Respondents excluded", analysis.n_excluded),
    ]
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")


def frame_matching(enrichment: pd.DataFrame | None) -> pd.DataFrame:
    """How the reference frame filled the survey (``data.enrich_from_frame``): rows identified
    by SIREN, INSEE code or name, rows unmatched, and what was filled or contradicted. Counts
    only (``analyse.data.enrich.enrichment_summary``): no respondent is named."""
    if enrichment is None:
        return summary_table(
            {
                "Reference frame": "not used (data.enrich_from_frame is false): every population "
                "and type comes from the survey"
            }
        )
    from analyse.data.enrich import enrichment_summary

    return enrichment_summary(enrichment).set_index("method")
