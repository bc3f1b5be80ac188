"""The API token model moved from operations to the access app without touching its rows: a
token issued before the move still authenticates after it, and permissions granted on the old
content type still hold."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from access.services import api_token_authenticate, api_token_hash
from tests.migration_moves import migrate

# serialized_rollback: a plain transactional flush re-creates content types, which would clash
# with the serialized data that later serialized_rollback tests (live server, worker) load.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrations_back_to_head"),
]
BEFORE = [
    ("operations", "0003_audit_models_to_audit_app"),
    ("access", None),
    # At head already; named so the historical models are the current content types and auth.
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
AFTER = [
    ("operations", "0004_access_models_to_access_app"),
    ("access", "0002_content_types_from_operations"),
]
SECRET = secrets.token_urlsafe(32)
NOW = datetime.now(tz=UTC)  # token expiry follows the wall clock, not the frozen one


def _token_issued_before(apps) -> None:
    user = apps.get_model("auth", "User").objects.create(username="ci-owner")
    apps.get_model("operations", "ApiToken").objects.create(
        user=user,
        name="ci-bot",
        prefix=SECRET[:8],
        key_hash=api_token_hash(SECRET),
        scope="read_write",
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )


def _view_permission(apps, app_label: str):
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename="view_apitoken"
    )


def test_tokens_and_granted_permissions_survive_the_move():
    apps = migrate(BEFORE)
    _token_issued_before(apps)
    old = _view_permission(apps, "operations")
    group = apps.get_model("auth", "Group").objects.create(name="token auditors")
    group.permissions.add(old)

    apps = migrate(AFTER)

    token = api_token_authenticate(SECRET)
    assert token is not None
    assert (token.name, token.scope, token.user.username) == ("ci-bot", "read_write", "ci-owner")
    moved = _view_permission(apps, "access")
    assert (moved.pk, moved.content_type_id) == (old.pk, old.content_type_id)
    grants = apps.get_model("auth", "Group").objects.get(name="token auditors").permissions.all()
    assert list(grants) == [moved]
    content_types = apps.get_model("contenttypes", "ContentType").objects
    assert not content_types.filter(app_label="operations", model="apitoken").exists()


def test_an_access_content_type_made_before_the_move_is_merged_into_the_old_one():
    apps = migrate(BEFORE)
    content_types = apps.get_model("contenttypes", "ContentType").objects
    permissions = apps.get_model("auth", "Permission").objects
    groups = apps.get_model("auth", "Group").objects
    old = _view_permission(apps, "operations")
    groups.create(name="old grant").permissions.add(old)
    # What post_migrate makes when a partial migrate runs with the access app's model in place.
    early = content_types.create(app_label="access", model="apitoken")
    groups.create(name="new grant").permissions.add(
        permissions.create(content_type=early, codename="view_apitoken", name="view")
    )

    apps = migrate(AFTER)

    kept = apps.get_model("contenttypes", "ContentType").objects.get(
        app_label="access", model="apitoken"
    )
    assert kept.pk == old.content_type_id != early.pk
    merged = _view_permission(apps, "access")
    assert merged.pk == old.pk
    for name in ("old grant", "new grant"):
        grants = apps.get_model("auth", "Group").objects.get(name=name).permissions.all()
        assert list(grants) == [merged]
