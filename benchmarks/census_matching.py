"""Benchmark: matching a census of every tier to the reference frame by name alone.

The census is made here from the committed frame itself, so the right answer of every row is
known: one row per commune, EPCI, EPT, département and région (about 36,000), with no id column,
no SIREN, no INSEE code and no population (everything must come from the frame), the type as a
survey gives it (``epci`` for every EPCI and EPT: the frame gives the legal type), and names
written as real exports write them, drawn with a fixed seed:

- most as the frame writes them (``exact_name``);
- some behind a legal form: « Ville de », « Commune de », « Mairie de », « Département du »,
  « Conseil régional », an EPCI's « CC »/« CA » written out (``prefix_stripped``);
- the régions' usual names (« Région Sud », « Paris Région », « AURA »: ``alias``);
- the short names the frame gives some EPCI (« CARENE »: ``short_name``);
- one letter wrong (two neighbours swapped, or one dropped) in names of at least 8 letters
  (``typo``).

It prints the time of ``enrich_from_frame`` on the census (the first call, which builds the
name and typo indexes, and the median of three more), the rows matched by each method, how many
of them found the row the census was made from (a wrong match is a fuzzy match that found
another body), and why the others are unmatched (homonyms: the same name in several
départements, with nothing to choose between them; ambiguous typos; a typo with nothing to
confirm it, only suggested, and how often the suggestion is the right body). A typo is used only
when a code's département or the survey's population agrees, and this census gives neither, so
the census is matched a second time with each row's population given (the frame's own, as a
survey that knows its size would): the typos are then used, and counted right or wrong. Timings
vary with the machine's load: compare figures measured in one run.

Run: ``.venv/bin/python benchmarks/census_matching.py``
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import Counter

import pandas as pd

from analyse.data.enrich import ALIASES, METHODS, enrich_from_frame, enrichment_summary
from analyse.data.reference import LEVELS, load_frame

SEED = 20
TYPO_SHARE = 0.05
PREFIX_SHARE = 0.10
PREFIXES = {
    "commune": ("Ville de ", "Commune de ", "Mairie de "),
    "departement": ("Département ", "Conseil départemental "),
    "region": ("Région ", "Conseil régional "),
}
LONG_FORMS = {"CC ": "Communauté de communes ", "CA ": "Communauté d'agglomération "}


def _typo(rng: random.Random, name: str) -> str:
    """``name`` with two neighbouring letters swapped or one letter dropped (never a space)."""
    letters = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
    i = rng.choice(letters)
    if rng.random() < 0.5 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i + 1 :]


def census(rng: random.Random) -> tuple[pd.DataFrame, list[str], list[str], list[object]]:
    """The census, the frame name each row was made from, how its name was written, and the
    frame population of the row it was made from."""
    aliases: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    rows, truth, how, sizes = [], [], [], []
    for level in LEVELS:
        frame = load_frame(level)
        sizes += frame["population"].astype("Int64").tolist()
        for name, kind in zip(frame["name"], frame["collectivity_type"], strict=True):
            declared = "epci" if kind in {"CC", "CA", "CU", "metropole", "EPT"} else kind
            written, style = name, "as is"
            draw = rng.random()
            short = name[name.find("(") + 1 : name.find(")")] if "(" in name else ""
            if kind == "region" and name in aliases and draw < 0.5:
                written, style = rng.choice(aliases[name]), "alias"
            elif declared == "epci" and short and draw < 0.5:
                written, style = short, "short name"
            elif draw < PREFIX_SHARE:
                if kind in PREFIXES:
                    written, style = rng.choice(PREFIXES[kind]) + name, "legal form"
                elif name[:3] in LONG_FORMS:
                    written, style = LONG_FORMS[name[:3]] + name[3:], "legal form"
            elif draw < PREFIX_SHARE + TYPO_SHARE and sum(c.isalpha() for c in name) >= 8:
                written, style = _typo(rng, name), "typo"
            rows.append({"collectivity_type": declared, "name": written})
            truth.append(name)
            how.append(style)
    survey = pd.DataFrame(rows).astype("string")
    survey.insert(0, "respondent_id", [f"row-{i + 2}" for i in range(len(survey))])
    survey["population"] = pd.array([pd.NA] * len(survey), dtype="Int64")
    return survey, truth, how, sizes


def _by_method(report: pd.DataFrame, truth: list[str]) -> None:
    """Rows per method, and how many found the row the census was made from."""
    right = report["frame_name"].fillna("").to_numpy() == pd.Series(truth).to_numpy()
    summary = enrichment_summary(report).set_index("method")
    print(f"{'method':<16}{'rows':>7}{'right body':>12}{'other body':>12}")
    for method in (*METHODS, "unmatched"):
        at = (report["method"].fillna("") == ("" if method == "unmatched" else method)).to_numpy()
        n = int(summary.loc[method, "rows"])
        if method == "unmatched":
            print(f"{method:<16}{n:>7}")
        else:
            print(f"{method:<16}{n:>7}{int(right[at].sum()):>12}{int((~right[at]).sum()):>12}")
    print(f"{'total':<16}{int(summary.loc['total', 'rows']):>7}")


def _causes(report: pd.DataFrame, truth: list[str]) -> None:
    """Why the unmatched rows are, and whether the typo suggestions name the right body."""
    review = report["review"].fillna("")
    unmatched = report["method"].fillna("") == ""
    cause = review[unmatched].str.extract(r"^((?:ambiguous|legal form) \([a-z_]+\))")[0]
    cause = cause.fillna(review[unmatched].str.extract(r"^(did you mean)")[0])
    cause = cause.fillna("no candidate")
    print(
        "unmatched rows by cause (ambiguous at that method, a legal form no candidate has, a "
        "typo only suggested, or no candidate): "
        + ", ".join(f"{k} {v}" for k, v in cause.value_counts().items())
    )
    suggested = review.str.extract(r"^did you mean (['\"])(.*?)\1\? typo")[1]
    made = suggested.notna().to_numpy()
    right = (suggested.to_numpy()[made] == pd.Series(truth).to_numpy()[made]).sum()
    print(f"typo suggestions (nothing filled): {int(made.sum())}, naming the right body: {right}")
    print(
        "rows with a review note (fuzzy match, tie broken, or candidates listed): "
        f"{int((review != '').sum())}"
    )


def main() -> None:
    rng = random.Random(SEED)
    survey, truth, how, sizes = census(rng)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"# .venv/bin/python benchmarks/census_matching.py  ({os.cpu_count()} cores, "
        f"load average at start {load}: other work was running)"
    )
    print(f"census: {len(survey)} rows of every tier, names only (no id, SIREN, code, population)")
    print("names as written: " + ", ".join(f"{k} {v}" for k, v in Counter(how).most_common()))

    start = time.perf_counter()
    result = enrich_from_frame(survey)
    first = time.perf_counter() - start
    again = []
    for _ in range(3):
        start = time.perf_counter()
        enrich_from_frame(survey)
        again.append(time.perf_counter() - start)
    shown = ", ".join(f"{t:.2f}" for t in again)
    print(
        f"enrich_from_frame: first call {first:.2f} s (frame read, name and typo indexes built); "
        f"median of 3 more {statistics.median(again):.2f} s ({shown})"
    )

    report = result.report
    print()
    _by_method(report, truth)

    print()
    print("names as written -> method (rows)")
    table = pd.crosstab(pd.Series(how, name="written"), report["method"].replace("", "unmatched"))
    print(table.to_string())
    print()
    _causes(report, truth)

    print()
    print("the same census with each row's population given (the frame's own; none for a body")
    print("whose frame population is 0 or missing): a typo is then confirmed by it")
    given = survey.assign(
        population=pd.array([None if pd.isna(p) or p <= 0 else p for p in sizes], dtype="Int64")
    )
    report = enrich_from_frame(given).report
    _by_method(report, truth)
    _causes(report, truth)


if __name__ == "__main__":
    main()
