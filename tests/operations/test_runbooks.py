"""Runbooks: every alert of every rule file links an existing runbook with the four sections;
loading is idempotent with a version per content change; staff read them at /runbooks/<slug>/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from operations.models import Runbook, RunbookVersion
from operations.runbooks import (
    REQUIRED_SECTIONS,
    alert_rule_files,
    alert_rule_problems,
    alert_rules,
    runbook_files,
    runbook_problems,
    runbooks_load,
)

PROCEDURES = (
    "shutdown",
    "restart",
    "failover-to-backup-data",
    "model-rollback",
    "key-rotation",
    "broker-outage",
)


def test_every_alert_rule_in_every_rule_file_links_an_existing_runbook():
    rules = alert_rules()

    assert alert_rule_files(), "no rule file found"
    assert len(rules) >= 14
    assert alert_rule_problems() == []
    slugs = {path.stem for path in runbook_files()}
    for rule in rules:
        assert rule.runbook_slug in slugs, rule


def test_every_alert_is_named_in_the_runbook_it_links():
    for rule in alert_rules():
        page = Path("docs/runbooks") / f"{rule.runbook_slug}.md"
        assert rule.name in page.read_text(), f"{rule.name} not named in {page}"


@pytest.mark.parametrize("path", runbook_files(), ids=lambda p: p.stem)
def test_every_runbook_has_symptoms_checks_actions_and_recovery(path):
    assert runbook_problems(path.read_text()) == []


def test_the_operating_procedures_have_runbooks():
    assert set(PROCEDURES) <= {path.stem for path in runbook_files()}


def test_a_rule_linking_a_missing_runbook_is_reported(settings, tmp_path):
    (tmp_path / "new.yml").write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - alert: NewThing\n    expr: up == 0\n"
        "    annotations: {runbook_url: docs/runbooks/no-such-page.md}\n"
        "  - alert: Unlinked\n    expr: up == 0\n"
    )
    settings.OPERATIONS_ALERT_RULES_DIR = tmp_path

    problems = alert_rule_problems()

    assert problems == [
        "new.yml: NewThing links a missing docs/runbooks/no-such-page.md",
        "new.yml: Unlinked runbook_url '' is not docs/runbooks/<slug>.md",
    ]


def test_a_runbook_without_a_section_is_reported():
    content = "# Title\n\n## Symptoms\nx\n## Checks\ny\n"

    assert runbook_problems(content) == [
        "no '## Actions' section",
        "no '## Verify recovery' section",
    ]
    assert set(REQUIRED_SECTIONS) == {"Symptoms", "Checks", "Actions", "Verify recovery"}


@pytest.fixture
def runbooks_dir(settings, tmp_path):
    directory = tmp_path / "runbooks"
    directory.mkdir()
    (directory / "README.md").write_text("# index, not a runbook\n")
    (directory / "stale-bars.md").write_text("# Stale bars\n\n## Symptoms\nold bars\n")
    settings.OPERATIONS_RUNBOOKS_DIR = directory
    return directory


@pytest.mark.django_db
def test_loading_twice_adds_no_version_and_a_change_adds_exactly_one(runbooks_dir):
    first = runbooks_load(actor_name="alice")
    second = runbooks_load(actor_name="alice")
    (runbooks_dir / "stale-bars.md").write_text("# Stale bars\n\n## Symptoms\nolder bars\n")
    third = runbooks_load(actor_name="bob")

    assert (first.created, second.unchanged, third.updated) == (
        ["stale-bars"],
        ["stale-bars"],
        ["stale-bars"],
    )
    runbook = Runbook.objects.get(slug="stale-bars")
    assert runbook.title == "Stale bars"
    assert runbook.alerts == ["MarketDataProviderErroring", "ProviderCircuitOpen", "StaleBars"]
    versions = list(RunbookVersion.objects.filter(runbook=runbook).order_by("number"))
    assert [(v.number, v.loaded_by) for v in versions] == [(1, "alice"), (2, "bob")]
    assert runbook.current_version == versions[1]
    assert "older bars" in versions[1].content
    assert versions[0].content_sha256 != versions[1].content_sha256


@pytest.mark.django_db
def test_load_runbooks_command_loads_every_repository_runbook():
    call_command("load_runbooks")

    assert set(Runbook.objects.values_list("slug", flat=True)) == {p.stem for p in runbook_files()}
    assert Runbook.objects.get(slug="kill-switch-engaged").alerts == ["KillSwitchEngaged"]


@pytest.mark.django_db
def test_staff_read_the_rendered_runbook_at_its_stable_address(client, operator):
    call_command("load_runbooks")
    client.force_login(operator)

    page = client.get("/runbooks/shutdown/")
    index = client.get("/runbooks/")

    assert page.status_code == 200
    assert "<h2" in page.content.decode() and "Verify recovery" in page.content.decode()
    assert "manage.py trading_shutdown --mode emergency" in page.content.decode()
    assert client.get("/runbooks/no-such-runbook/").status_code == 404
    assert index.status_code == 200
    for rule in alert_rules():
        assert client.get(f"/runbooks/{rule.runbook_slug}/").status_code == 200, rule


@pytest.mark.django_db
def test_runbook_pages_are_for_staff_only(client, outsider):
    call_command("load_runbooks")

    anonymous = client.get("/runbooks/shutdown/")
    client.force_login(outsider)
    not_staff = client.get("/runbooks/shutdown/")

    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert not_staff.status_code == 302 and "/admin/login/" in not_staff["Location"]


@pytest.mark.django_db
def test_admin_shows_the_runbook_rendered_with_its_versions(admin_client):
    call_command("load_runbooks")
    runbook = Runbook.objects.get(slug="restart")

    response = admin_client.get(f"/admin/operations/runbook/{runbook.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h2" in body and "Verify recovery" in body
    assert "/runbooks/restart/" in body
    assert runbook.current_version.content_sha256[:12] in body
