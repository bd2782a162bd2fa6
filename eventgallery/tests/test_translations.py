"""The translations of the guest pages (locale/, eventgallery/languages.py): every shipped
language has every string of the sources, translated, with each of its plural forms;
each committed .mo is its .po compiled; and the .po files are up to date with the
sources (extracted again the way `make messages` does, which needs GNU gettext:
`make test` installs it with bin/install-gettext).

A language joins settings.SHIPPED_LANGUAGES when its .po is complete; from then on
these tests hold it to that."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

from galleries.management.commands.guest_messages import extract, translated_locales

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [to_locale(code) for code in settings.SHIPPED_LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# What a copy of the sources for extracting them again leaves out.
NOT_SOURCES = {".venv", ".git", "locale", "media", "staticfiles", "node_modules", ".ruff_cache", ".pytest_cache"}


def _po(locale: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / locale / "LC_MESSAGES" / "django.po"))


def _nplurals(po: polib.POFile) -> int:
    return int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"])[1])


def _translations(catalog) -> dict:
    """(context, msgid) → the translation, or its plural forms in order, of a .po or .mo."""
    found = {}
    for entry in catalog:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            found[entry.msgctxt, entry.msgid] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        elif entry.msgid:
            found[entry.msgctxt, entry.msgid] = entry.msgstr
    return found


def test_the_site_ships_english_and_complete_languages_only():
    codes = [code for code, _name in settings.LANGUAGES]
    assert settings.SHIPPED_LANGUAGES[0] == settings.LANGUAGE_CODE == "en"
    assert set(settings.SHIPPED_LANGUAGES) <= set(codes)
    assert {"de", "fr"} <= set(settings.SHIPPED_LANGUAGES)
    assert sorted(translated_locales()) == sorted(to_locale(code) for code in codes if code != "en")
    for locale in translated_locales():
        assert (LOCALE / locale / "LC_MESSAGES" / "django.po").is_file(), locale


@pytest.mark.parametrize("locale", SHIPPED)
def test_a_shipped_language_has_every_string_translated(locale):
    po = _po(locale)
    nplurals = _nplurals(po)
    missing, fuzzy, wrong_placeholders = [], [], []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
        sources = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if len(entry.msgstr_plural) != nplurals or not all(forms):
                missing.append(entry.msgid)
            # Each form may leave out the number ("Hide this photo"), never name another.
            if any(not set(PLACEHOLDER.findall(form)) <= sources for form in forms):
                wrong_placeholders.append(entry.msgid)
            if forms[-1] and set(PLACEHOLDER.findall(forms[-1])) != set(PLACEHOLDER.findall(entry.msgid_plural)):
                wrong_placeholders.append(entry.msgid)
        else:
            if not entry.msgstr:
                missing.append(entry.msgid)
            elif set(PLACEHOLDER.findall(entry.msgstr)) != sources:
                wrong_placeholders.append(entry.msgid)
    assert not missing, f"{locale}: not translated: {missing}"
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy}"
    assert not wrong_placeholders, f"{locale}: placeholders differ: {wrong_placeholders}"
    assert not po.metadata_is_fuzzy and po.metadata["Language"] == locale


@pytest.mark.parametrize("locale", translated_locales())
def test_each_compiled_catalog_is_its_po(locale):
    mo = polib.mofile(str(LOCALE / locale / "LC_MESSAGES" / "django.mo"))
    assert _translations(mo) == {key: value for key, value in _translations(_po(locale)).items() if any(value)}
    assert mo.metadata["Plural-Forms"] == _po(locale).metadata["Plural-Forms"]


def test_the_po_files_hold_exactly_the_strings_of_the_sources(tmp_path, settings, monkeypatch):
    assert shutil.which("xgettext") and shutil.which("msgmerge"), "GNU gettext is missing: run bin/install-gettext"
    sources = tmp_path / "sources"
    sources.mkdir()
    for item in Path(settings.BASE_DIR).iterdir():
        if item.name in NOT_SOURCES:
            continue
        if item.is_dir():
            shutil.copytree(item, sources / item.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, sources / item.name)
    for locale in translated_locales():
        (sources / "locale" / locale / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy2(LOCALE / locale / "LC_MESSAGES" / "django.po", sources / "locale" / locale / "LC_MESSAGES")
    settings.LOCALE_PATHS = [sources / "locale"]
    monkeypatch.chdir(sources)

    extract()

    def keys(po):
        return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in po if not entry.obsolete}

    for locale in translated_locales():
        extracted = polib.pofile(str(sources / "locale" / locale / "LC_MESSAGES" / "django.po"))
        committed = _po(locale)
        assert keys(extracted) - keys(committed) == set(), f"{locale}: new strings, run `make messages`"
        assert keys(committed) - keys(extracted) == set(), f"{locale}: strings gone, run `make messages`"
