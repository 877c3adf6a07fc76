"""The top of every page: a title that states the finding, and a chapeau that answers.

A reader of a national statistics note (an *Insee Première*) gets the answer in the title and
the first five lines: both answers about size (the total effect, and the effect with the means
held equal, which the barometer's claim is about), each with its verdict, value and interval
in the one unit of the reports (index points for a population ten times larger); the scope
(« Champ »: which kinds of bodies, how many); the nature of the data; and how large an effect
the sample could detect at all. Everything here is computed from the run's ``results.json``
(the index pages read nothing else), so the words change with the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyse.report.findings import (
    capital,
    controls_held,
    data_words,
    detectable_points,
    effect_words,
    held_means,
    held_words,
    means_case,
    words,
)
from analyse.report.i18n import Messages

# Kinds of body that share a name for readers: a run covering only these is about them.
INTERCOMMUNAL = frozenset({"CC", "CA", "CU", "metropole", "EPT"})
SCOPES = ("intercommunal", "commune", "departement", "region")


def scope(results: Mapping[str, Any]) -> str:
    """Which noun names what the run covers: ``intercommunal`` (every type an EPCI or EPT),
    ``commune``, ``departement``, ``region``, or ``mixed``."""
    found = set((results.get("descriptives") or {}).get("scope") or [])
    if not found:
        found = {row["type"] for row in (results.get("descriptives") or {}).get("by_type") or []}
    if found and found <= INTERCOMMUNAL:
        return "intercommunal"
    if len(found) == 1 and next(iter(found)) in SCOPES:
        return next(iter(found))
    return "mixed"


def kind(results: Mapping[str, Any]) -> str:
    """survey, census or synthetic (``run.kind``; older results: synthetic or survey)."""
    run = results.get("run") or {}
    found = run.get("kind")
    if found in ("survey", "census", "synthetic"):
        return str(found)
    return "synthetic" if run.get("synthetic") else "survey"


def noun(results: Mapping[str, Any], m: Messages, form: str = "plural") -> str:
    """The run's bodies named for readers (« intercommunalités »), in ``form``: ``plural``,
    ``populous`` (« plus peuplées »: agreement), ``counted`` (« répondantes » for a survey,
    « observées » for a census)."""
    key = scope(results)
    if form == "counted":
        counted = "observed" if kind(results) == "census" else "responding"
        return m(f"headline.nouns.{key}.{counted}")
    return m(f"headline.nouns.{key}.{form}")


def champ(results: Mapping[str, Any], m: Messages) -> str:
    """« Champ : 55 intercommunalités répondantes (communautés de communes, …). »"""
    types = (results.get("descriptives") or {}).get("scope") or []
    listed = ", ".join(m(f"headline.types.{t}") for t in types if m.has(f"headline.types.{t}"))
    return m(
        "headline.champ",
        n=m.integer(results.get("n") or 0),
        noun=noun(results, m),
        counted=noun(results, m, "counted"),
        types=m("headline.types_listed", types=listed) if listed else "",
    )


def source(results: Mapping[str, Any], m: Messages) -> str:
    """« Source : … »: the run's title or survey file, and what the data are."""
    run = results.get("run") or {}
    what = Path(str(run.get("survey") or "")).name
    return m(f"headline.source.{kind(results)}", what=what)


def run_title(results: Mapping[str, Any], m: Messages) -> str:
    """The run's name for readers: its ``title`` parameter, else its scope and data in words
    (« Intercommunalités, données synthétiques »), never the folder's slug."""
    run = results.get("run") or {}
    if run.get("title"):
        return str(run["title"])
    return m(
        "headline.run_title",
        noun=noun(results, m).capitalize(),
        n=m.integer(results.get("n") or 0),
        counted=noun(results, m, "counted"),
        data=m(f"headline.data.{kind(results)}"),
    )


def headline(results: Mapping[str, Any], m: Messages) -> str:
    """A title that states the finding on the barometer's claim (the effect with the means
    held equal), by its verdict and direction."""
    direct = (results.get("estimands") or {}).get("direct") or results.get("size") or {}
    verdict = results.get("verdict") or direct.get("verdict") or "inconclusive"
    key = verdict
    if verdict == "decisive":
        key = f"decisive_{direct.get('direction') or 'positive'}"
    counted = m(
        f"headline.units.{'census' if kind(results) == 'census' else 'survey'}",
        n=m.integer(results.get("n") or 0),
        noun=noun(results, m),
        counted=noun(results, m, "counted"),
    )
    # no mean measured: the title is about the gap the data measure, not the claim
    family = "title_no_means" if means_case(results) == "none" else "title"
    held = held_words(results, m)
    return m(
        f"headline.{family}.{key}",
        noun=noun(results, m),
        populous=noun(results, m, "populous"),
        units=counted,
        held=held,
        Held=capital(held),
    )


def chapeau(results: Mapping[str, Any], m: Messages) -> list[str]:
    """The four to six sentences under the title: the total and the held-equal effects (each
    with its verdict), the scope, the data, and what the sample could detect."""
    estimands = results.get("estimands") or {}
    alpha = float(results.get("alpha", 0.05))
    level = m.percent(1 - 2 * alpha)
    sentences = []
    total, direct = estimands.get("total"), estimands.get("direct")
    if total and direct and means_case(results) == "none":
        # no mean measured: say so, then the gaps the data do measure
        sentences.append(
            m("headline.no_means", missing=words(m, held_means(results)[1]), noun=noun(results, m))
        )
        sentences.append(
            m("headline.total_alone", noun=noun(results, m), level=level, **effect_words(m, total))
        )
        if controls_held(results):
            sentences.append(
                m(
                    "headline.held_controls",
                    held=capital(held_words(results, m)),
                    level=level,
                    **effect_words(m, direct),
                )
            )
    elif total and direct:
        # some means only: the gap is the nearest to the claim, not the claim itself
        some = means_case(results) == "some"
        sentences.append(
            m(
                "headline.direct_some" if some else "headline.direct",
                noun=noun(results, m),
                missing=words(m, held_means(results)[1]),
                held=capital(held_words(results, m, listed=True)),
                level=level,
                **effect_words(m, direct),
            )
        )
        sentences.append(m("headline.total", level=level, **effect_words(m, total)))
    sentences.append(champ(results, m))
    sentences.append(m(f"headline.data_sentence.{kind(results)}"))
    reach = detectable_points(results)
    if reach is not None:
        sentences.append(
            m(
                "headline.detectable",
                points=m.number(reach, 0),
                data=data_words(results, m),
                held=held_words(results, m),
            )
        )
    return sentences


def why_answers_differ(runs: list[Mapping[str, Any]], m: Messages) -> str | None:
    """When published runs give the barometer's claim different verdicts, what differs between
    them (scope, number of bodies, kind of data, weighting, smallest effect of interest), so a
    reader does not take two answers for a contradiction; None when they agree."""
    readable = [r for r in runs if r.get("verdict")]
    if len({r["verdict"] for r in readable}) < 2:
        return None
    differences = []

    def listed(values: list[str]) -> str:
        return (
            " ; ".join(dict.fromkeys(values))
            if m.lang == "fr"
            else "; ".join(dict.fromkeys(values))
        )

    aspects = {
        "scope": [noun(r, m) for r in readable],
        "n": [m.integer(r.get("n") or 0) for r in readable],
        "kind": [m(f"headline.data.{kind(r)}") for r in readable],
        "weights": [
            m(
                "headline.why.weighted"
                if (r.get("weights") or {}).get("method") not in (None, "none")
                else "headline.why.unweighted"
            )
            for r in readable
        ],
        "sesoi": [m.number(r.get("sesoi_points"), 1) for r in readable],
    }
    for aspect, values in aspects.items():
        if len(set(values)) > 1:
            differences.append(m(f"headline.why.{aspect}", values=listed(values)))
    if not differences:
        return m("headline.why.none")
    return m("headline.why.differ", differences=", ".join(differences))
