"""The report's catalogues and number formats (analyse.report.i18n)."""

from __future__ import annotations

import datetime as dt

import pytest

from analyse.report import i18n


def test_every_key_exists_in_every_language_with_the_same_placeholders():
    catalogues = {lang: i18n.messages(lang) for lang in i18n.LANGUAGES}
    french = catalogues["fr"]
    for lang, other in catalogues.items():
        assert set(other.texts) == set(french.texts), (
            lang,
            sorted(set(other.texts) ^ set(french.texts)),
        )
        for key, text in french.texts.items():
            # the index's words are filled by the catalogue: a language picks its own forms
            # (English has no « d'indice »), the caller's placeholders must be the same
            theirs, ours = i18n.placeholders(other.texts[key]), i18n.placeholders(text)
            assert theirs - i18n.RUN_WORDS == ours - i18n.RUN_WORDS, (lang, key)
            assert bool(theirs & i18n.RUN_WORDS) == bool(ours & i18n.RUN_WORDS), (lang, key)


def test_every_language_fills_every_index_word():
    for lang in i18n.LANGUAGES:
        for label in (None, "indice de transparence"):
            assert set(i18n.index_words(lang, label)) == i18n.RUN_WORDS, (lang, label)


def test_every_catalogue_file_exists_in_every_language():
    names = {lang: [p.name for p in i18n.catalogue_files(lang)] for lang in i18n.LANGUAGES}
    assert names["fr"] and all(files == names["fr"] for files in names.values())


def test_french_formats_follow_the_locale():
    fr = i18n.messages("fr")
    assert fr.number(12.592, 1) == "12,6"
    assert fr.number(-0.2877, 2) == "\u22120,29"
    assert fr.number(-0.001, 2) == "0,00"  # no negative zero
    assert fr.number(0.24, 2, sign=True) == "+0,24"
    assert fr.integer(1225) == "1\u202f225"
    assert fr.euros(1200) == "1\u202f200\u00a0€"
    assert fr.percent(0.126, 1) == "12,6\u00a0%"
    assert fr.p_value(0.0004) == "p < 0,001"
    assert fr.p_value(0.03449, prefix=False) == "0,034"
    assert fr.date("2026-11-23T12:34:09+00:00") == "23 novembre 2026"
    assert fr.number(float("nan")) == fr.number(None) == "—"


def test_english_formats_follow_the_locale():
    en = i18n.messages("en")
    assert en.number(12.592, 1) == "12.6"
    assert en.integer(1225) == "1,225"
    assert en.euros(1200) == "€1,200"
    assert en.percent(0.126, 1) == "12.6%"
    assert en.p_value(0.5) == "p = 0.500"
    assert en.date(dt.date(2026, 11, 23)) == "23 November 2026"


def test_use_changes_the_current_language_and_unknown_ones_are_refused():
    try:
        assert i18n.use("en").lang == "en" and i18n.current().lang == "en"
        assert i18n.use("fr") is i18n.current()
    finally:
        i18n.use(i18n.DEFAULT_LANGUAGE)
    with pytest.raises(ValueError, match="unknown report language"):
        i18n.messages("de")


def test_a_missing_key_is_named():
    with pytest.raises(i18n.MissingMessage, match="no_such_key"):
        i18n.messages("fr")("no_such_key")


def test_no_catalogue_repeats_a_key():
    """YAML keeps the last of two equal keys without a word: a message written twice (once
    by mistake) silently replaces the first. Failed once: an edit turned `not_held` into a
    second `held`, and the key findings lost their sentence."""
    import yaml

    from analyse.report.i18n import LANGUAGES, catalogue_files

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
            repeated = {k for k in keys if keys.count(k) > 1}
            assert not repeated, (node.start_mark, repeated)
            return super().construct_mapping(node, deep=deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, Strict.construct_mapping)
    for lang in LANGUAGES:
        for path in catalogue_files(lang):
            yaml.load(path.read_text(encoding="utf-8"), Loader=Strict)
