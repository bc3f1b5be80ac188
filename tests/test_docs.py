"""The commands in README.md and docs/ work as written, so a doc cannot rot unseen.

Every ``manage.py`` command line must name a command whose own parser accepts its flags;
every ``scripts/*.py`` line must parse with that script's argparse parser; every ``curl`` at
the TradingOps API must reach a URL that resolves, with a method the view allows and the
authentication it accepts (a bearer token, never Basic). Lines come from fenced blocks
(backslash continuations joined; a fenced line quoting commands in backticks gives those) and
inline code spans (line breaks inside them joined).

Doc placeholders become concrete values: ``<TOKEN>``, ``$VAR``, ``$(...)`` and upper-case
words (``S``, ``N``, ``USER``) become ``1``, or an option's first choice, and ``ISO`` a
timestamp; ``[--flag X]`` is given as ``--flag X``; ``a|b`` is ``a``; ``…`` after a flag is a
value, elsewhere a repetition and dropped.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from rest_framework.permissions import AllowAny

from execution.choices import OrderStatus

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PLACEHOLDER = "1"
NAMED_PLACEHOLDERS = {"ISO": "2026-03-30T14:30:00+00:00", "YYYY-MM-DD": "2026-03-30"}
# Where a doc's curl may point other than the TradingOps web: each reviewed, so a curl at a
# mistyped host or port fails instead of being skipped.
EXTERNAL = {
    ("paper-api.alpaca.markets", None): "Alpaca's paper trading API",
    ("localhost", 18100): "the Alpaca simulator (manage.py run_broker_simulator)",
    ("127.0.0.1", 40123): "the fake Polygon server (harness.fakes.polygon)",
}
OUR_HOSTS = {"host", "localhost", "127.0.0.1", "tradingops.example.com"}
SEPARATORS = {"|", "||", "&&", ";"}
CURL_VALUE_OPTIONS = {
    "-o", "--output", "-w", "--write-out", "-X", "--request", "-H", "--header", "-d", "--data",
    "--data-raw", "--data-binary", "--json", "-u", "--user", "-m", "--max-time",
}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One command line of a doc: where it is and its words, placeholders filled in."""

    where: str
    words: tuple[str, ...]


def _snippets(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each fenced-block line and each inline code span."""
    found, prose, pending, start, fenced = [], [], "", 0, False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith(("```", "~~~")):
            fenced = not fenced
            prose.append("")
        elif not fenced:
            prose.append(line)
        elif line.rstrip().endswith("\\"):
            start = start or number
            pending += line.rstrip()[:-1] + " "
            prose.append("")
        else:
            whole = pending + line
            # A diagram in a fence quotes its commands in backticks: those are the commands.
            spans = re.findall(r"`([^`]+)`", whole) or [whole]
            found += [(start or number, span) for span in spans]
            pending, start = "", 0
            prose.append("")
    text = "\n".join(prose)
    for span in re.finditer(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)*)`(?!`)", text):
        found.append((text.count("\n", 0, span.start()) + 1, span.group(1).replace("\n", " ")))
    return found


def _words(text: str) -> list[str] | None:
    text = text.replace("\\|", "|")
    text = re.sub(r"\$\([^)]*\)", PLACEHOLDER, text)  # $(cat secret-file)
    text = re.sub(r"<[^<>]+>", PLACEHOLDER, text)  # <TOKEN>, <an operator's token>
    text = re.sub(r"\$\{?\w+\}?", PLACEHOLDER, text)  # $MONITORING_TOKEN
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return None


def _lines(starts: callable) -> tuple[list[Line], list[str]]:
    """Command lines whose program word satisfies ``starts``, and snippets that cannot be
    split into words at all."""
    lines, broken = [], []
    for path in DOCS:
        for number, text in _snippets(path):
            where = f"{path.relative_to(ROOT)}:{number}"
            words = _words(text)
            if words is None:
                if "manage.py" in text or "curl " in text:
                    broken.append(f"{where}: cannot be split into shell words: {text}")
                continue
            segment: list[str] = []
            for word in [*words, ";"]:
                if word not in SEPARATORS:
                    segment.append(word)
                    continue
                for index, program in enumerate(segment):
                    if starts(program):
                        lines.append(Line(where, tuple(segment[index:])))
                        break
                segment = []
    return lines, broken


def _concrete(argv: tuple[str, ...]) -> list[str]:
    """Metasyntax to values (see the module docstring)."""
    out: list[str] = []
    for raw in argv:
        word = raw.removeprefix("[").removesuffix("]")
        if word in ("...", "…"):
            if out and out[-1].startswith("-"):
                out.append("x")
            continue
        if "|" in word:
            word = word.split("|")[0]
        word = NAMED_PLACEHOLDERS.get(word, word)
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", word):
            word = PLACEHOLDER
        if word:
            out.append(word)
    return out


def _with_choices(parser: argparse.ArgumentParser, options: list[str]) -> list[str]:
    """A placeholder given to an option with choices (``--scenario NAME``) is its first."""
    filled = list(options)
    for index in range(1, len(filled)):
        action = parser._option_string_actions.get(filled[index - 1])
        if filled[index] == PLACEHOLDER and action is not None and action.choices:
            filled[index] = next(iter(action.choices))
    return filled


def _manage_py_problem(line: Line) -> str | None:
    argv = _concrete(line.words[1:])
    if not argv or argv[0] == "x":  # `manage.py` or `manage.py …`: the program, no command
        return None
    name, *options = argv
    commands = get_commands()
    if name not in commands:
        return f"no management command {name!r}"
    if not options:  # a mention of the command by name
        return None
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    options = _with_choices(parser, options)
    try:
        parser.parse_args(options)
    except (CommandError, SystemExit) as exc:
        return f"{name} refuses {options}: {exc}"
    return None


def test_every_documented_manage_py_command_exists_and_its_flags_parse():
    lines, broken = _lines(lambda word: word.endswith("manage.py"))
    problems = broken + [
        f"{line.where}: {' '.join(line.words)}\n    {problem}"
        for line in lines
        if (problem := _manage_py_problem(line))
    ]

    assert len(lines) > 40, "the extractor lost the docs' manage.py lines"
    assert not problems, "\n".join(problems)


class _Parsed(Exception):
    """Raised once a script's parser has accepted its arguments, before the script runs."""


def _script_problem(line: Line, monkeypatch: pytest.MonkeyPatch) -> str | None:
    path = ROOT / "scripts" / line.words[0].split("scripts/", 1)[1]
    if not path.exists():
        return f"no script {path.relative_to(ROOT)}"
    argv = _concrete(line.words[1:])
    if path.suffix != ".py" or not argv:  # a mention by name
        return None
    spec = importlib.util.spec_from_file_location(f"docs_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
        spec.loader.exec_module(module)
    parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser, args=None, namespace=None):
        parse(parser, args, namespace)  # exits 2 on a bad argument
        raise _Parsed

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
        try:
            module.main(argv)
        except _Parsed:
            return None
        except SystemExit as exc:
            return f"its parser refuses {argv} (exit {exc.code})"
    return "main() ran without parsing its arguments"


def test_every_documented_script_exists_and_its_arguments_parse(monkeypatch, capsys):
    lines, _ = _lines(lambda word: re.search(r"(^|/)scripts/[\w-]+\.(py|sh)$", word) is not None)
    problems = [
        f"{line.where}: {' '.join(line.words)}\n    {problem}"
        for line in lines
        if (problem := _script_problem(line, monkeypatch))
    ]

    assert any(line.words[1:] for line in lines), "the extractor lost the docs' script lines"
    assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Curl:
    method: str
    url: str
    headers: tuple[str, ...]
    basic: bool


def _curl(words: tuple[str, ...]) -> Curl:
    method, url, headers, data, basic = "", "", [], False, False
    options = iter(words[1:])
    for word in options:
        if word in CURL_VALUE_OPTIONS:
            value = next(options, "")
            method = value.upper() if word in ("-X", "--request") else method
            headers += [value] if word in ("-H", "--header") else []
            data = data or word.startswith(("-d", "--data", "--json"))
            basic = basic or word in ("-u", "--user")
        elif not word.startswith("-") and not url and re.search(r"[/:]", word):
            url = word if "://" in word else f"http://{word}"
    basic = basic or any(re.match(r"(?i)authorization:\s*basic", h) for h in headers)
    return Curl(method or ("POST" if data else "GET"), url, tuple(headers), basic)


def _drf_problem(view: object, curl: Curl) -> str | None:
    actions = getattr(view, "actions", None)
    allowed = {m.upper() for m in actions} if actions else {
        m.upper() for m in view.cls.http_method_names if hasattr(view.cls, m) and m != "options"
    }  # fmt: skip
    if curl.method not in allowed:
        return f"{curl.method} is not allowed here (allowed: {sorted(allowed)})"
    public = all(p is AllowAny for p in view.cls.permission_classes)
    bearer = any(re.match(r"(?i)authorization:\s*bearer\s+\S+", h) for h in curl.headers)
    if not public and not bearer:
        return "the API needs 'Authorization: Bearer <token>' and the example sends none"
    return None


def _django_view_problem(match: object, curl: Curl, path: str) -> str | None:
    """Plain Django views (health, metrics) are asked: with the documented headers, and the
    monitoring token set to the placeholder's value, the answer is neither 405 nor a refusal
    of the login."""
    headers = dict(h.split(":", 1) for h in curl.headers if ":" in h)
    request = RequestFactory().generic(
        curl.method, path, headers={k.strip(): v.strip() for k, v in headers.items()}
    )
    request.user = AnonymousUser()
    status = match.func(request, *match.args, **match.kwargs).status_code
    if status == 405:
        return f"{curl.method} is not allowed here"
    if status in (302, 401, 403):
        return f"refused the documented authentication ({status})"
    return None


def _curl_problem(curl: Curl) -> str | None:
    parts = urlsplit(curl.url)
    if (parts.hostname, parts.port) in EXTERNAL:
        return None
    if parts.hostname not in OUR_HOSTS or parts.port not in (None, 8000):
        return f"{parts.netloc} is neither the TradingOps web nor a reviewed external service"
    if curl.basic:
        return "Basic authentication (-u) was removed: send 'Authorization: Bearer <token>'"
    try:
        match = resolve(parts.path)
    except Resolver404:
        return f"{parts.path} resolves to no view"
    if hasattr(match.func, "cls"):
        return _drf_problem(match.func, curl)
    return _django_view_problem(match, curl, parts.path)


@pytest.mark.django_db
def test_every_documented_curl_reaches_a_view_that_allows_its_method_and_authentication(
    settings,
):
    # Placeholders such as $MONITORING_TOKEN read as "1", so "1" is the monitoring token here.
    settings.MONITORING_TOKEN = PLACEHOLDER
    settings.METRICS_PUBLIC = False
    lines, broken = _lines(lambda word: word == "curl")
    curls = [(line, _curl(line.words)) for line in lines]
    problems = broken + [
        f"{line.where}: {' '.join(line.words)}\n    {problem}"
        for line, curl in curls
        if (problem := _curl_problem(curl))
    ]

    assert any(urlsplit(c.url).path.startswith("/api/v1/") for _, c in curls), "no API curl found"
    assert not problems, "\n".join(problems)


def test_order_statuses_named_beside_one_another_in_the_docs_all_exist():
    # A list such as "`new`, `submitted` or `partially_filled`" names order statuses: once one
    # of them is a status, the others must be statuses too (`submitted` was renamed).
    statuses = set(OrderStatus.values)
    listing = re.compile(r"`(\w+)`((?:\s*(?:,|or|and|/)\s*`\w+`)+)")
    problems = []
    for path in DOCS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for found in listing.finditer(line):
                names = [found.group(1), *re.findall(r"`(\w+)`", found.group(2))]
                unknown = [n for n in names if n not in statuses]
                if unknown and len(unknown) < len(names):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {unknown} in {names}")

    assert not problems, "\n".join(problems)
