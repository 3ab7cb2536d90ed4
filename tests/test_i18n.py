"""The Simplified Chinese catalogue is complete, compiled, and used.

The .po is read with a tiny parser of our own (no new dependency); the committed .mo is read
with the standard library, because a fresh machine may have no gettext to compile it.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import Cast

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
# What `makemessages --ignore=.venv --ignore=var --ignore=node_modules` does not need to see.
NOT_SOURCES = {".venv", "var", "node_modules", ".git", "locale", "static", ".ruff_cache"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file, header (msgid "") included; obsolete (#~) entries skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] = ("msgid", 0)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
        else:
            match = _KEYWORD.match(line)
            assert match, f"{PO_PATH.name}:{number}: cannot parse {line!r}"
            name, plural_index, literal = match.groups()
            value = ast.literal_eval(literal)
            if name == "msgstr":
                target = ("msgstr", int(plural_index or 0))
                current.msgstr[target[1]] = value
            else:
                target = (name, 0)
                setattr(current, name, value)
    return [entry for entry in entries if entry.msgstr or entry.msgid]


def _entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    entries = _entries()
    assert len(entries) > 100, "the catalogue looks truncated"
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy {entry.msgid!r}")
        if entry.msgid and (not entry.msgstr or not all(entry.msgstr.values())):
            problems.append(f"line {entry.line}: untranslated {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_header_declares_utf8_and_one_plural_form() -> None:
    header = next(entry for entry in _entries() if entry.msgid == "")
    assert "charset=UTF-8" in header.msgstr[0]
    assert "nplurals=1; plural=0;" in header.msgstr[0]


def test_compiled_catalogue_matches_the_po() -> None:
    """The committed .mo holds exactly what the .po says (run compilemessages after edits)."""
    with MO_PATH.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in _entries():
        if not entry.msgid:
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        compiled = catalog.get((key, 0)) if entry.msgid_plural else catalog.get(key)
        if compiled != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is out of date for: {stale[:10]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_catalogue_covers_every_marked_string(tmp_path: Path) -> None:
    """makemessages on a copy of the sources finds no message the catalogue lacks."""
    base = Path(settings.BASE_DIR)
    for path in base.iterdir():
        if path.name in NOT_SOURCES or path.name.startswith(".pytest"):
            continue
        if path.is_dir():
            shutil.copytree(
                path, tmp_path / path.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy(path, tmp_path / path.name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--verbosity", "0"],
        cwd=tmp_path,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "kam.settings.test"},
    )
    fresh = parse_po(
        (tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    )
    known = {entry.key for entry in _entries()}
    missing = sorted(
        (entry.msgctxt or "", entry.msgid)
        for entry in fresh
        if entry.msgid and entry.key not in known
    )
    assert not missing, (
        "Run `manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var "
        f"--ignore=node_modules`, translate, then compilemessages. Missing: {missing[:15]}"
    )


@pytest.mark.django_db
def test_login_page_in_chinese() -> None:
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "重点客户管理平台" in body
    assert "Sign in" not in body


@pytest.mark.django_db
def test_login_page_in_english() -> None:
    body = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert not CJK.search(body.replace("简体中文", ""))


def test_user_language_overrides_the_browser(cast: Cast) -> None:
    cast.owner.language = "zh-hans"
    cast.owner.save(update_fields=["language"])
    client = Client()
    client.force_login(cast.owner)
    body = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "新建客户" in body
    assert "New account" not in body


def test_language_switch_is_a_post_that_returns_to_the_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.owner)
    response = client.post("/language/", {"language": "zh-hans", "next": "/accounts/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    cast.owner.refresh_from_db()
    assert cast.owner.language == "zh-hans"
    assert "新建客户" in client.get("/accounts/").content.decode()
