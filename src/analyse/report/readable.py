"""Every table of the reports as a table for readers (``analyse.report.reader_table``).

One function per table of ``analyse.report.tables``, with the same name and arguments, returning
a ``ReaderTable`` in the report's language (``analyse.report.i18n.current()``): a caption,
labelled headers, values formatted by kind, and the raw numbers in ``.frame`` at full precision
(internal column names of ``tables``, not rounded) for code and tests. A notebook shows one
with ``show_table(readable.size_effects(claim), output_dir=output_dir)``: each table carries a
default download name (``ReaderTable.name``), unique across the five notebooks.

The raw functions of ``analyse.report.tables`` stay as they are, because figures
(``analyse.report.plots``) and tests read their columns; this module only chooses labels and
formats. Texts a user wrote (codebook labels, file names) are shown as they are, escaped; the
reasons computed elsewhere (an exclusion from scoring, a dropped term, a model's "not
estimable" note, the bands merged for the weights) are worded by the catalogue
(``analyse.report.reasons``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyse.data.codebook import Codebook
from analyse.data.provenance import is_synthetic
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.params import shown_input
from analyse.reasons import Reason
from analyse.report import i18n, tables
from analyse.report.findings import MEANS, capital, control_name, held_phrase
from analyse.report.findings import words as means_words
from analyse.report.groups import type_label
from analyse.report.prose import sesoi_in_points
from analyse.report.reader_table import Column, Format, ReaderTable
from analyse.report.reasons import word
from analyse.stats.equivalence import VERDICTS, equivalence_interval, standardize
from analyse.stats.regression import OTHER_TYPE
from analyse.stats.robustness import CHOICES
from analyse.stats.sensitivity import unweighted

if TYPE_CHECKING:
    from analyse.params import RunParams
    from analyse.stats.claim import ClaimAnalysis


def _m() -> i18n.Messages:
    return i18n.current()


def _label(theme: object, m: i18n.Messages) -> str:
    """A codebook theme's label in the report's language (the English one as a fallback)."""
    return str(getattr(theme, f"label_{m.lang}", None) or getattr(theme, "label_en", ""))


def _quantities(
    m: i18n.Messages,
    table: str,
    rows: Sequence[tuple[str, object, Format]],
    caption: str,
    name: str,
    labels: Sequence[str] | None = None,
    note: str = "",
) -> ReaderTable:
    """A two-column table of named quantities: one row per (key, value, format)."""
    frame = pd.DataFrame(
        {"value": [value for _, value, _ in rows]},
        index=pd.Index([key for key, _, _ in rows], name="quantity"),
        dtype=object,
    )
    return ReaderTable(
        frame=frame,
        caption=caption,
        columns=[Column("value", m("tables.value"))],
        row_header=m("tables.quantity"),
        row_labels=list(labels)
        if labels is not None
        else [m(f"tables.{table}.rows.{key}") for key, _, _ in rows],
        row_formats=[fmt for _, _, fmt in rows],
        note=note,
        name=name,
    )


TEXT = Format("text")
COUNT = Format("count")
P = Format("p")
YESNO = Format("yesno")


def term_name(term: str, m: i18n.Messages | None = None) -> str:
    """A model term in words: "size" -> "Taille (population, échelle log)", a control
    "collectivity_type[T.CA]" -> "Type de collectivité : Communauté d'agglomération (CA)"."""
    m = m or _m()
    found = re.fullmatch(r"(\w+)\[T\.(.+)\]", term)
    if found:
        variable, level = found.groups()
        if variable == "collectivity_type":
            level = type_label(level, m)
        elif level == OTHER_TYPE:  # an extra control's merged categories
            level = m("terms.other_category")
        return m(
            "tables.term_level",
            variable=m.get(f"terms.{variable}", control_name(variable)),
            level=level,
        )
    return m.get(f"terms.{term}", control_name(term))  # an extra control by its name


def _names(m: i18n.Messages, words: Sequence[str], none: str = "tables.none") -> str:
    """Words joined as "a, b et c" in the report's language; the message ``none`` if none."""
    words = list(words)
    if not words:
        return m(none)
    if len(words) == 1:
        return words[0]
    return m("tables.and_list", items=", ".join(words[:-1]), last=words[-1])


# --------------------------------------------------------------------------- data quality


def input_summary(params: RunParams, scored: pd.DataFrame) -> ReaderTable:
    """What a run loaded: files, rows, respondents with an index, and whether it is synthetic.

    Files are named as results.json names them (``analyse.params.shown_input``): a published
    table must not reveal the building machine's folders."""
    m = _m()
    excluded = int((scored[EXCLUSION_COLUMN].fillna("") != "").sum())
    synthetic = is_synthetic(params.survey_path)
    rows = [
        ("survey", shown_input(params.data.survey), TEXT),
        ("codebook", shown_input(params.data.codebook), TEXT),
        ("rows", len(scored), COUNT),
        ("with_index", len(scored) - excluded, COUNT),
        ("without_index", excluded, COUNT),
        (
            "synthetic",
            m("tables.input_summary.synthetic_yes") if synthetic else m("tables.no"),
            TEXT,
        ),
    ]
    return _quantities(m, "input_summary", rows, m("tables.input_summary.caption"), "input_summary")


def missing_by_theme(scored: pd.DataFrame, codebook: Codebook) -> ReaderTable:
    """Per theme: items, share of item answers missing, respondents who left it blank."""
    m = _m()
    frame = tables.missing_by_theme(scored, codebook, digits=None)
    return ReaderTable(
        frame=frame,
        caption=m("tables.missing_by_theme.caption"),
        columns=[
            Column("items", m("tables.missing_by_theme.items"), "count"),
            Column("missing_answers_pct", m("tables.missing_by_theme.missing"), "percent", 1),
            Column("theme_left_blank", m("tables.missing_by_theme.blank"), "count"),
        ],
        row_header=m("tables.theme"),
        row_labels=[_label(codebook.theme(t), m) for t in frame.index],
        name="missing_by_theme",
    )


def exclusions_table(analysis: ClaimAnalysis) -> ReaderTable:
    """Why respondents are not in the model, with how many, then the number analysed."""
    m = _m()
    frame = tables.exclusions_table(analysis)
    labels = [word(str(reason), m, _theme_labels(analysis, m)) for reason in frame.index[:-1]]
    labels.append(m("tables.exclusions_table.analysed"))
    return ReaderTable(
        frame=frame,
        caption=m("tables.exclusions_table.caption"),
        columns=[Column("respondents", m("tables.exclusions_table.count"), "count")],
        row_header=m("tables.exclusions_table.reason"),
        row_labels=labels,
        name="exclusions",
    )


def _theme_labels(analysis: ClaimAnalysis, m: i18n.Messages) -> dict[str, str]:
    labels = getattr(analysis, "theme_labels", None) or {}
    return {key: names.get(m.lang) or names.get("en") or key for key, names in labels.items()}


def frame_matching(enrichment: pd.DataFrame | None) -> ReaderTable:
    """How the reference frame filled the survey: rows per identification method, rows
    unmatched, what was filled or contradicted (counts only, no respondent named)."""
    m = _m()
    caption = m("tables.frame_matching.caption")
    if enrichment is None:
        return _quantities(
            m,
            "frame_matching",
            [("frame", m("tables.frame_matching.not_used"), TEXT)],
            caption,
            "frame_matching",
        )
    from analyse.data.enrich import enrichment_summary

    frame = enrichment_summary(enrichment).set_index("method")
    return ReaderTable(
        frame=frame,
        caption=caption,
        columns=[
            Column(c, m(f"tables.frame_matching.columns.{c}"), "count")
            for c in ("rows", "population_filled", "type_filled", "conflicts")
        ],
        row_header=m("tables.frame_matching.method"),
        row_labels=[m.get(f"tables.frame_matching.methods.{k}", str(k)) for k in frame.index],
        name="frame_matching",
    )


def reliability_table(scored: pd.DataFrame, codebook: Codebook) -> ReaderTable:
    """Cronbach's alpha per theme, with the items and complete answers it rests on."""
    m = _m()
    from analyse.data.scoring import reliability

    frame = reliability(scored, codebook).set_index("theme")
    if "alpha_fault" in frame:
        # an alpha that says nothing is said to be so, and why: never a bare « — » or 0,00
        frame["alpha"] = [
            m(f"tables.reliability_table.not_computable.{fault}")
            if isinstance(fault, str)
            else alpha
            for alpha, fault in zip(frame["alpha"], frame["alpha_fault"], strict=True)
        ]
    return ReaderTable(
        frame=frame,
        caption=m("tables.reliability_table.caption"),
        columns=[
            Column("n_items", m("tables.reliability_table.items"), "count"),
            Column("n_complete", m("tables.reliability_table.complete"), "count"),
            Column("alpha", m("tables.reliability_table.alpha"), "number", 2),
        ],
        row_header=m("tables.theme"),
        row_labels=[_label(codebook.theme(t), m) for t in frame.index],
        name="reliability",
    )


def published_comparison(scored: pd.DataFrame, codebook: Codebook, level: int = 2) -> ReaderTable:
    """Per theme: the published 2025 share at "formalised actions" or better, this survey's
    share at level ``level`` or better, and the gap in percentage points; with another codebook
    than the barometer's, no line and a note saying why."""
    m = _m()
    frame = tables.published_comparison(scored, codebook, level)
    note = ""
    if frame.attrs.get("not_shown"):
        frame = frame.iloc[0:0]
        note = m("tables.published_comparison.not_shown")
    return ReaderTable(
        frame=frame.drop(columns="label"),
        caption=m("tables.published_comparison.caption"),
        columns=[
            Column("published_2025", m("tables.published_comparison.published"), "percent", 1),
            Column("this_survey", m("tables.published_comparison.survey"), "percent", 1),
            Column("difference", m("tables.published_comparison.difference"), "effect", 1),
        ],
        row_header=m("tables.theme"),
        row_labels=[_label(codebook.theme(t), m) for t in frame.index],
        note=note,
        name="published_comparison",
    )


# --------------------------------------------------------------------------- descriptives


def describe_by(scored: pd.DataFrame, by: str, min_cell: int = 5) -> ReaderTable:
    """The maturity index per group of ``by`` (a column of ``groups.with_groups``): count,
    mean, standard deviation and median, small groups hidden (``tables.describe_by``)."""
    m = _m()
    frame = tables.describe_by(scored, by, min_cell, digits=None)
    group = m.get(f"tables.describe_by.groups.{by}", by)
    return ReaderTable(
        frame=frame,
        caption=m.get(
            f"tables.describe_by.captions.{by}", m("tables.describe_by.caption", group=group)
        ),
        # the page shows the median, chapter 2's one statistic (its figures draw medians); the
        # download keeps the mean and the standard deviation too
        columns=[
            Column("n", m("tables.respondents"), "count"),
            Column("median", m("tables.describe_by.median"), "number", 1),
        ],
        download_columns=[
            Column("n", m("tables.respondents"), "count"),
            Column("mean", m("tables.describe_by.mean"), "number", 1),
            Column("sd", m("tables.describe_by.sd"), "number", 1),
            Column("median", m("tables.describe_by.median"), "number", 1),
        ],
        row_header=group,
        name=f"maturity_by_{re.sub(r'[^A-Za-z0-9_-]', '_', by)}",
    )


# --------------------------------------------------------------------------- the claim


def model_specification(analysis: ClaimAnalysis) -> ReaderTable:
    """What the main model used: outcome, terms, terms dropped, controls, weights, sample."""
    m = _m()
    terms = [term_name(t, m) for t in analysis.fit.coef.index if t != "Intercept"]
    reasons = analysis.fit.design.dropped_reasons
    dropped = [
        m("tables.with_reason", item=term_name(t, m), reason=word(reasons[t], m))
        if reasons.get(t)
        else term_name(t, m)
        for t in analysis.dropped_terms
    ]
    rows = [
        ("outcome", m("terms.index"), TEXT),
        ("terms", _names(m, terms), TEXT),
        ("dropped", _names(m, dropped, "tables.none_terms"), TEXT),
        ("controls", _controls(analysis, m), TEXT),
        (
            "weighted_parts",
            _names(m, [m.get(f"reasons.parts.{p}", p) for p in analysis.weighted_parts])
            if analysis.weighted_parts
            else m("tables.unweighted"),
            TEXT,
        ),
        ("weights", _weights(analysis.weights_summary, m), TEXT),
        ("n", analysis.n, COUNT),
        ("n_excluded", analysis.n_excluded, COUNT),
    ]
    return _quantities(
        m,
        "model_specification",
        rows,
        m("tables.model_specification.caption"),
        "model_specification",
    )


def _controls(analysis: ClaimAnalysis, m: i18n.Messages) -> str:
    parts = []
    for control in analysis.controls:
        name = m.get(f"terms.{control}", control_name(control))
        merged = analysis.controls_merged.get(control)
        if not merged:
            parts.append(name)
            continue
        every = f"{control}[T.other]" not in analysis.fit.coef.index
        typed = control == "collectivity_type"
        parts.append(
            m(
                "tables.model_specification.merged"
                if not every
                else "tables.model_specification.merged_every"
                if typed
                else "tables.model_specification.merged_every_category",
                control=name,
                # an extra control's categories may be anything (a name, a free text): the
                # published page counts the rare ones, never shows them
                types=_names(m, [type_label(t, m) for t in merged])
                if typed
                else m("tables.model_specification.rare_categories", n=m.integer(len(merged))),
                min_cell=m.integer(analysis.min_cell),
            )
        )
    # « Autres caractéristiques tenues égales : aucune », the row's noun being feminine
    return "; ".join(parts) or m("tables.none_terms")


def _weights(summary: dict[str, object] | None, m: i18n.Messages) -> str:
    if summary is None:
        return m("tables.unweighted")
    kish = m.number(float(summary["kish_n"]), 1)  # type: ignore[arg-type]
    ratio = m.number(float(summary["max_ratio"]), 1)  # type: ignore[arg-type]
    method = str(summary.get("method", ""))
    if method.startswith("column "):
        return m(
            "tables.model_specification.weights_shipped", method=method, kish=kish, ratio=ratio
        )
    text = m("tables.model_specification.weights_raked", method=method, kish=kish, ratio=ratio)
    code = summary.get("collapsed_code")
    if code:
        text = m("reasons.and_then", first=text, then=word(Reason.from_dict(code), m))  # type: ignore[arg-type]
    elif summary.get("collapsed"):
        text = m("reasons.and_then", first=text, then=word(str(summary["collapsed"]), m))
    dropped = int(summary.get("dropped") or 0)  # type: ignore[call-overload]
    if dropped:
        dropped_text = m("tables.model_specification.weights_dropped", n=m.integer(dropped))
        text = m("reasons.and_then", first=text, then=dropped_text)
    return text


def _held_fixed(analysis: ClaimAnalysis, m: i18n.Messages) -> str:
    groups = [g for g in analysis.fit.design.groups if g != "size"]
    names = [m.get(f"tables.held.{g}", control_name(g)) for g in groups]
    return _names(m, names)


def size_effects(analysis: ClaimAnalysis) -> ReaderTable:
    """The total, direct and indirect effects of size in index points for a tenfold
    population, with the interval each verdict reads and the verdicts (``tables.size_effects``).
    """
    m = _m()
    frame = tables.size_effects(analysis)
    level = m.percent(1 - 2 * frame.attrs["alpha"], 0)
    means = frame.attrs.get("means_held", list(MEANS))
    controls = list(frame.attrs.get("controls_held") or [])
    if len(means) == len(MEANS):  # every mean: the list (three or more words, « égaux »)
        direct = m("tables.size_effects.direct", held=_held_fixed(analysis, m))
    else:  # some or none: the words agree with what is held (« à budget égal »)
        phrase = capital(held_phrase(m, means, controls, listed=True))
        key = "direct_some" if means else "direct_no_means"
        direct = m(f"tables.size_effects.{key}", held=phrase)
    labels = {
        "total": m("tables.size_effects.total"),
        "direct": direct,
        # some means only: the difference passes through those the data measure
        "indirect": m("tables.size_effects.indirect_some", means=means_words(m, means))
        if 0 < len(means) < len(MEANS)
        else m("tables.size_effects.indirect"),
    }
    shown = frame.assign(
        verdict=[m.get(f"verdicts.{v}.label", v) if v else "" for v in frame["verdict"]]
    )
    return ReaderTable(
        frame=shown,
        caption=m(
            "tables.size_effects.caption" if means else "tables.size_effects.caption_no_means",
            level=level,
        ),
        columns=[
            Column("points", m("tables.size_effects.points"), "effect", 1),
            Column("low", m("tables.interval_level", level=level), "interval", 1, "high", True),
            Column("verdict", m("tables.size_effects.verdict"), "text"),
        ],
        row_header=m("tables.size_effects.estimand"),
        row_labels=[labels[name] for name in frame.index],
        name="size_effects",
    )


def nested_summary(analysis: ClaimAnalysis) -> ReaderTable:
    """What size adds to the full model: R² with and without it, partial R², Wald test, BF01."""
    m = _m()
    nested = analysis.nested
    rows = [
        ("r2_full", nested.r2_full, Format("number", 3)),
        ("r2_without_size", nested.r2_without_size, Format("number", 3)),
        ("partial_r2", nested.partial_r2, Format("number", 3)),
        ("wald_f", nested.wald_f, Format("number", 2)),
        ("wald_p", nested.wald_p, P),
        ("bf01", np.nan if nested.bf01 is None else nested.bf01, Format("number", 2)),
    ]
    labels = [m(f"tables.nested_summary.rows.{key}") for key, _, _ in rows]
    if nested.bf01 is not None:
        labels[-1] = m("tables.nested_summary.rows.bf01", scale=m.number(nested.bf_prior_scale, 3))
    elif nested.bf01_not_estimable:
        labels[-1] = m(
            "tables.nested_summary.bf01_not_estimable", reason=word(nested.bf01_not_estimable, m)
        )
    else:
        labels[-1] = m("tables.nested_summary.bf01_weighted")
    return _quantities(
        m, "nested_summary", rows, m("tables.nested_summary.caption"), "nested_summary", labels
    )


def equivalence_summary(analysis: ClaimAnalysis) -> ReaderTable:
    """The standardized size effect, its (1 - 2 alpha) interval, the smallest effect of
    interest, and the three tests' p-values."""
    m = _m()
    test = analysis.size
    low, high = equivalence_interval(test)
    level = m.percent(1 - 2 * test.alpha, 0)
    rows = [
        ("std_coef", test.std_coef, Format("effect", 3)),
        ("low", low, Format("effect", 3)),
        ("high", high, Format("effect", 3)),
        ("sesoi", test.sesoi, Format("number", 2)),
        ("sesoi_points", sesoi_in_points(test), Format("number", 1)),
        ("tost_p", test.tost_p, P),
        ("met_p", test.met_p, P),
        ("p", test.p, P),
        ("n", analysis.n, COUNT),
    ]
    labels = [m(f"tables.equivalence_summary.rows.{key}", level=level) for key, _, _ in rows]
    return _quantities(
        m,
        "equivalence_summary",
        rows,
        m("tables.equivalence_summary.caption"),
        "equivalence_summary",
        labels,
    )


def importance_table(analysis: ClaimAnalysis) -> ReaderTable:
    """Each group's share of the index's variance (LMG), with its bootstrap interval, its share
    of R², and how often size's share is below it across bootstrap samples."""
    m = _m()
    frame = tables.importance_table(analysis, digits=None)
    level = m.percent(float(frame.attrs.get("confidence") or 0.95), 0)
    columns = [
        Column("share_pct", m("tables.importance_table.share"), "percent", 1),
        Column(
            "low_pct", m("tables.importance_table.interval", level=level), "interval", 1, "high_pct"
        ),
        Column("share_of_r2_pct", m("tables.importance_table.share_of_r2"), "percent", 1),
        Column("p_size_below", m("tables.importance_table.p_size_below"), "number", 2),
    ]
    if "note" in frame.columns:
        reason = word(str(frame.attrs.get("not_estimable") or ""), m)
        frame["note"] = m("reasons.not_estimable", reason=reason)
        columns.append(Column("note", m("tables.note"), "text"))
    return ReaderTable(
        frame=frame.drop(columns="label"),
        caption=m(
            "tables.importance_table.caption", draws=m.integer(int(frame.attrs.get("draws") or 0))
        ),
        columns=columns,
        row_header=m("tables.importance_table.group"),
        row_labels=[m.get(f"tables.held.{g}_long", control_name(str(g))) for g in frame.index],
        name="importance",
    )


def theme_table(
    analysis: ClaimAnalysis, codebook: Codebook, confidence: float = 0.95
) -> ReaderTable:
    """Size in each theme's ordinal model: odds ratio per unit of ln(population) with its
    interval and p-values, and the two checks of proportional odds.

    The page shows the answer (odds ratio, interval, Holm-corrected p-value), the corrected
    check of proportional odds and, when a theme's model could not be estimated, why; the raw
    p-values, the threshold-slope check and convergence stay in the downloads, which hold every
    column."""
    m = _m()
    frame = tables.theme_table(analysis, codebook, confidence, digits=None)
    themes = {t.key: _label(t, m) for t in codebook.themes}
    not_estimable = analysis.themes.get("not_estimable", pd.Series("", index=frame.index))
    frame = frame.assign(
        brant_note=[word(n, m, themes) if n else "" for n in frame["brant_note"].fillna("")],
        model=[
            m("reasons.not_estimable", reason=word(r, m, themes)) if r else ""
            for r in not_estimable.reindex(frame.index).fillna("")
        ],
    )
    level = m.percent(confidence, 0)
    key = "tables.theme_table."
    odds_ratio = Column("odds_ratio", m(key + "odds_ratio"), "number", 2)
    interval = Column("low", m("tables.interval_level", level=level), "interval", 2, "high")
    p_holm = Column("p_holm", m(key + "p_holm"), "p")
    brant_p_holm = Column("brant_p_holm", m(key + "brant_p_holm"), "p")
    model = Column("model", m(key + "model"), "text")
    # one theme, one test: nothing to correct, and a header saying « corrigé » would be false
    shown_p = [p_holm, brant_p_holm]
    if len(frame) == 1:
        shown_p = [
            Column("p", m("tables.p"), "p"),
            Column("brant_p", m(key + "brant_p"), "p"),
        ]
    return ReaderTable(
        frame=frame.drop(columns="label"),
        # one theme: named, not « dans chaque thème »
        caption=m(key + "caption_one", theme=_label(codebook.theme(frame.index[0]), m))
        if len(frame) == 1
        else m(key + "caption"),
        # a column of dashes says nothing: the model column only when a theme has a reason
        columns=[odds_ratio, interval, *shown_p]
        + ([model] if frame["model"].fillna("").astype(str).str.strip().any() else []),
        row_header=m("tables.theme"),
        row_labels=[_label(codebook.theme(t), m) for t in frame.index],
        name="themes",
        download_columns=[
            odds_ratio,
            interval,
            Column("p", m("tables.p"), "p"),
            p_holm,
            Column("brant_p", m(key + "brant_p"), "p"),
            brant_p_holm,
            Column("brant_note", m(key + "brant_note"), "text"),
            Column("po_size_p", m(key + "po_size_p"), "p"),
            Column("po_size_p_holm", m(key + "po_size_p_holm"), "p"),
            Column("converged", m(key + "converged"), "yesno"),
            model,
        ],
    )


def sensitivity_summary(analysis: ClaimAnalysis) -> ReaderTable:
    """What the sample can detect: smallest effects detected with the chosen power, the power
    of the equivalence test at zero, and (weighted runs) how much larger the weighted standard
    error is."""
    m = _m()
    sens = analysis.sensitivity
    rows = [
        ("mde_std", sens.mde_std, Format("number", 2)),
        ("mde_std_positive", sens.mde_std_positive, Format("number", 2)),
        ("mde_std_negative", sens.mde_std_negative, Format("number", 2)),
        # the bound the simulations used, on their scale (a SESOI in points converted with the
        # unweighted SDs), as the MDEs beside it and the power figure's band
        ("sesoi", tables.simulated_sesoi(analysis), Format("number", 2)),
        ("tost_power", sens.tost_power, Format("share", 1)),
        ("simulations", sens.simulations, COUNT),
    ]
    if analysis.weighted_parts:
        unweighted_se = standardize(unweighted(analysis.fit))[1]
        rows.append(("se_ratio", analysis.size.std_se / unweighted_se, Format("number", 2)))
    power = m.percent(sens.power, 0)
    labels = [m(f"tables.sensitivity_summary.rows.{key}", power=power) for key, _, _ in rows]
    return _quantities(
        m,
        "sensitivity_summary",
        rows,
        m("tables.sensitivity_summary.caption"),
        "sensitivity",
        labels,
    )


# --------------------------------------------------------------------------- robustness


def specification_summary(curve: pd.DataFrame) -> ReaderTable:
    """For each choice and option of the specification curve, the number of specifications
    and the share of each verdict among them; the last line is the whole curve."""
    m = _m()
    frame = tables.specification_summary(curve)
    labels = []
    for choice, option in frame.index:
        if choice == "all":
            labels.append(m("tables.specification_summary.all"))
            continue
        labels.append(
            m(
                "tables.specification_summary.choice",
                choice=m.get(f"tables.choices.{choice}", str(choice)),
                option=m.get(f"tables.options.{option}", str(option)),
            )
        )
    assert set(CHOICES) >= {c for c, _ in frame.index if c != "all"}
    # the number of specifications goes with each row's label, so that the page keeps one
    # column per verdict within six columns; the downloads keep it as a column
    labels = [
        m.choose(
            "tables.specification_summary.with_count",
            int(count),
            label=label,
            number=m.integer(int(count)),
        )
        for label, count in zip(labels, frame["specifications"], strict=True)
    ]
    count = Column("specifications", m("tables.specification_summary.specifications"), "count")
    verdicts = [
        Column(v, m.get(f"verdicts.{v}.label", v).capitalize(), "share", 0)
        for v in VERDICTS
        if v in frame.columns
    ]
    return ReaderTable(
        frame=frame,
        caption=m("tables.specification_summary.caption"),
        columns=verdicts,
        row_header=m("tables.specification_summary.option"),
        row_labels=labels,
        name="specification_summary",
        download_columns=[count, *verdicts],
    )


def curve_inference_table(curve: pd.DataFrame) -> ReaderTable:
    """The inferential test of the specification curve: each statistic of the observed curve
    and the share of null curves at least as extreme (its p-value)."""
    m = _m()
    inference = curve.attrs.get("inference")
    reason = curve.attrs.get("inference_not_estimable")
    keys = [
        ("median_std_coef", "median_p", Format("effect", 3)),
        ("share_significant", "share_significant_p", Format("share", 0)),
        ("mean_z", "mean_z_p", Format("number", 2)),
    ]
    note = ""
    if inference:
        frame = pd.DataFrame(
            {
                "observed": [inference[obs] for obs, _, _ in keys],
                "p": [inference[p] for _, p, _ in keys],
            },
            index=pd.Index([obs for obs, _, _ in keys], name="statistic"),
            dtype=object,
        )
        formats: list[Format | None] = [replace(fmt, only="observed") for _, _, fmt in keys]
        draws = int(inference["draws"])
    else:
        frame = pd.DataFrame(
            {"observed": [], "p": []}, index=pd.Index([], name="statistic"), dtype=object
        )
        formats = []
        draws = 0
        note = (
            m("tables.curve_inference_table.not_estimable", reason=word(reason, m))
            if reason
            else m("tables.curve_inference_table.not_drawn")
        )
    return ReaderTable(
        frame=frame,
        caption=m("tables.curve_inference_table.caption", draws=m.integer(draws)),
        columns=[
            Column("observed", m("tables.curve_inference_table.observed"), "number", 2),
            Column("p", m("tables.curve_inference_table.p"), "p"),
        ],
        row_header=m("tables.curve_inference_table.statistic"),
        row_labels=[m(f"tables.curve_inference_table.rows.{k}") for k in frame.index],
        # the observed value's format depends on the statistic; the p-value stays a p-value
        row_formats=formats,
        note=note,
        name="curve_inference",
    )


def skipped_specifications(curve: pd.DataFrame) -> ReaderTable:
    """The specifications the curve could not estimate, and why (never counted)."""
    m = _m()
    skipped = curve.attrs.get("skipped") or {}
    frame = pd.DataFrame(
        {"reason": [word(str(r), m) for r in skipped.values()]},
        index=pd.Index(list(skipped), name="specification"),
        dtype=object,
    )
    return ReaderTable(
        frame=frame,
        caption=m("tables.skipped_specifications.caption"),
        columns=[Column("reason", m("tables.skipped_specifications.reason"), "text")],
        row_header=m("tables.skipped_specifications.specification"),
        note="" if skipped else m("tables.skipped_specifications.none"),
        name="skipped_specifications",
    )


__all__ = [
    "curve_inference_table",
    "describe_by",
    "equivalence_summary",
    "exclusions_table",
    "frame_matching",
    "importance_table",
    "input_summary",
    "missing_by_theme",
    "model_specification",
    "nested_summary",
    "published_comparison",
    "reliability_table",
    "sensitivity_summary",
    "size_effects",
    "skipped_specifications",
    "specification_summary",
    "term_name",
    "theme_table",
]


def specifications(curve: pd.DataFrame, alpha: float = 0.05) -> ReaderTable:
    """Every specification of the curve, in the curve's order (by estimated effect): its
    choices, its sample, its standardized size effect with the interval the verdict reads, and
    its verdict. The whole curve, not a preview: readers look up the specification they
    would have chosen. The page gives the four choices in one cell (six columns fit a page);
    the downloads give each choice its own column, to sort and filter."""
    m = _m()
    options = {
        choice: [m.get(f"tables.options.{v}", str(v)) for v in curve[choice]] for choice in CHOICES
    }
    described = [
        m(
            "tables.specifications.described",
            **{
                c: m(
                    "tables.specification_summary.choice", choice=m(f"tables.choices.{c}"), option=o
                )  # fmt: skip
                for c, o in zip(CHOICES, row, strict=True)
            },
        )
        for row in zip(*options.values(), strict=True)
    ]
    frame = pd.DataFrame(
        {
            **options,
            "specification": described,
            "n": curve["n"].to_numpy(),
            "std_coef": curve["std_coef"].to_numpy(),
            "ci90_low": curve["ci90_low"].to_numpy(),
            "ci90_high": curve["ci90_high"].to_numpy(),
            "verdict": [m.get(f"verdicts.{v}.label", str(v)) for v in curve["verdict"]],
        },
        index=pd.RangeIndex(1, len(curve) + 1, name="rank"),
    )
    level = m.percent(1 - 2 * alpha, 0)  # the interval each specification's verdict reads
    results = [
        Column("n", m("tables.specifications.n"), "count"),
        Column("std_coef", m("tables.specifications.effect"), "effect", 2),
        Column(
            "ci90_low",
            m("tables.interval_level", level=level),
            "interval",
            2,
            "ci90_high",
            True,
        ),
        Column("verdict", m("tables.specifications.verdict"), "text"),
    ]
    return ReaderTable(
        frame=frame,
        caption=m("tables.specifications.caption", count=m.integer(len(curve))),
        columns=[
            Column("specification", m("tables.specifications.specification"), "text"),
            *results,
        ],
        row_header=m("tables.specifications.rank"),
        row_labels=[m.integer(i) for i in frame.index],
        name="specifications",
        download_columns=[
            *(Column(c, m(f"tables.choices.{c}"), "text") for c in CHOICES),
            *results,
        ],
    )
