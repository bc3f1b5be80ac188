"""The permission matrix (docs/permission_matrix.yaml) against the code.

1. Every URL of the URLconf, every admin model and every admin action has a row: a new
   endpoint without a decision fails the build.
2. For each row, each role is allowed or refused exactly as the matrix says: API and page
   URLs by HTTP status (refused: 401/403, or the admin login redirect), admin models by the
   ModelAdmin's own permission checks and the actions it offers, plus the changelist status.

To add a row: run this test; its failure prints the row the code behaves like. Check that
the behaviour is the one you want, then paste the row into docs/permission_matrix.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
MATRIX = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "docs" / "permission_matrix.yaml").read_text()
)
ROLES: list[str] = MATRIX["roles"]
GROUPS = [role for role in ROLES if role != "anonymous"]
ADMIN_PERMISSIONS = ("view", "add", "change", "delete")
PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def _allowed(entry: str | list[str]) -> set[str]:
    shorthand = {"everyone": set(ROLES), "authenticated": set(GROUPS), "nobody": set()}
    return shorthand[entry] if isinstance(entry, str) else set(entry)


def _spell(roles: set[str]) -> str | list[str]:
    for name in ("everyone", "authenticated", "nobody"):
        if roles == _allowed(name):
            return name
    return [role for role in ROLES if role in roles]


def _route(prefix: str, pattern: URLPattern | URLResolver) -> str:
    raw = (prefix + str(pattern.pattern)).replace("^", "").replace("$", "")
    return PARAM.sub(lambda m: f"<{m.group(1) or m.group(2)}>", raw).replace("\\", "")


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, _route(prefix, pattern), space)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield _route(prefix, pattern), name, pattern.callback


def _model_url_names() -> set[str]:
    return {f"admin:{m._meta.app_label}_{m._meta.model_name}_" for m in admin.site._registry}


def _urls() -> dict[str, object]:
    """Non-admin URL routes -> view; format-suffix twins (``.json``) follow their base row,
    a model admin's own URLs its admin_models row."""
    model_routes = tuple(
        f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry
    )
    return {
        route: callback
        for route, name, callback in _walk(get_resolver().url_patterns)
        if not name.startswith("admin:")
        and not route.startswith((*model_routes, "admin/<url>"))
        and "<format>" not in route
    }


def _admin_pages() -> set[str]:
    prefixes = _model_url_names()
    return {
        name or route
        for route, name, _ in _walk(get_resolver().url_patterns)
        if (name.startswith("admin:") or route.startswith("admin/<url>"))
        and not any(name.startswith(p) for p in prefixes)
    }


def _methods(callback: object) -> set[str]:
    if hasattr(callback, "actions"):  # a ViewSet route (DRF adds "head" after a first GET)
        return {m.upper() for m in callback.actions if m not in ("head", "options")}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return {
            m.upper()
            for m in view_class.http_method_names
            if hasattr(view_class, m) and m not in ("options", "head")
        }
    return {"GET"}


@pytest.fixture
def clients(role_user) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role in GROUPS:
        clients[role] = Client()
        clients[role].force_login(role_user(role))
    return clients


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/admin/login/" in response.get("Location", "")


def test_every_url_has_a_row_with_each_of_its_methods():
    missing = []
    for route, callback in _urls().items():
        row = MATRIX["urls"].get(route)
        if row is None or not _methods(callback) <= set(row):
            missing.append(f"{route}: {sorted(_methods(callback))}")

    assert not missing, "URLs without a decision in docs/permission_matrix.yaml:\n" + "\n".join(
        missing
    )


def test_every_admin_page_model_and_action_has_a_row():
    pages = _admin_pages() - set(MATRIX["admin_pages"])
    models = {m._meta.label_lower for m in admin.site._registry} - set(MATRIX["admin_models"])
    actions = []
    for model, model_admin in admin.site._registry.items():
        row = MATRIX["admin_models"].get(model._meta.label_lower, {})
        for _, name, _ in model_admin._get_base_actions():
            if name != "delete_selected" and name not in row.get("actions", {}):
                actions.append(f"{model._meta.label_lower}: {name}")

    assert not (pages or models or actions), f"no row for {pages=} {models=} {actions=}"


def test_rows_name_only_urls_and_roles_that_exist():
    stale = set(MATRIX["urls"]) - set(_urls())

    assert not stale, f"rows for URLs that no longer exist: {stale}"
    for row in (*MATRIX["urls"].values(), *MATRIX["admin_pages"].values()):
        for allowed in row.values():
            assert _allowed(allowed) <= set(ROLES), allowed


def _request_path(route: str) -> str:
    # Detail routes get an id that does not exist: allowed roles see 404, refused 401/403.
    return "/" + re.sub(r"<\w+>", "999999", route)


def test_each_role_reaches_exactly_the_urls_the_matrix_allows(clients, settings):
    settings.METRICS_PUBLIC = False
    wrong = {}
    for route, row in MATRIX["urls"].items():
        for method, allowed in row.items():
            actual = {
                role
                for role, client in clients.items()
                if not _refused(
                    getattr(client, method.lower())(
                        _request_path(route), content_type="application/json"
                    )
                )
            }
            if actual != _allowed(allowed):
                wrong.setdefault(route, {})[method] = _spell(actual)

    assert not wrong, "the code behaves like:\n" + yaml.safe_dump({"urls": wrong})


def test_each_role_reaches_exactly_the_admin_pages_the_matrix_allows(clients):
    from django.urls import reverse

    wrong = {}
    for name, row in MATRIX["admin_pages"].items():
        if not name.startswith("admin:") or name in ("admin:logout", "admin:view_on_site"):
            continue  # the catch-all, logging out and content-type redirects need no role
        for method, allowed in row.items():
            path = reverse(name, kwargs={"app_label": "risk"} if name == "admin:app_list" else {})
            actual = {
                role
                for role, client in clients.items()
                if not _refused(getattr(client, method.lower())(path))
            }
            if actual != _allowed(allowed):
                wrong.setdefault(name, {})[method] = _spell(actual)

    assert not wrong, "the code behaves like:\n" + yaml.safe_dump({"admin_pages": wrong})


def _admin_row(model_admin: admin.ModelAdmin, users: dict) -> dict:
    factory = RequestFactory()
    allowed: dict[str, set[str]] = {p: set() for p in ADMIN_PERMISSIONS}
    actions: dict[str, set[str]] = {
        name: set() for _, name, _ in model_admin._get_base_actions() if name != "delete_selected"
    }
    for role, user in users.items():
        request = factory.get("/admin/")
        request.user = user
        for permission in ADMIN_PERMISSIONS:
            if getattr(model_admin, f"has_{permission}_permission")(request):
                allowed[permission].add(role)
        for name in model_admin.get_actions(request):
            if name in actions:
                actions[name].add(role)
    row = {p: _spell(roles) for p, roles in allowed.items()}
    row["actions"] = {name: _spell(roles) for name, roles in actions.items()}
    return row


def test_each_role_gets_exactly_the_admin_permissions_and_actions_the_matrix_allows(
    clients, role_user, django_user_model
):
    users = {"anonymous": AnonymousUser()}
    users.update(
        {role: django_user_model.objects.get(username=f"{role}-member") for role in GROUPS}
    )
    wrong = {}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        actual = _admin_row(model_admin, users)
        expected = MATRIX["admin_models"].get(label, {})
        normalised = {p: _spell(_allowed(expected.get(p, "nobody"))) for p in ADMIN_PERMISSIONS}
        normalised["actions"] = {
            n: _spell(_allowed(a)) for n, a in expected.get("actions", {}).items()
        }
        if actual != normalised:
            wrong[label] = actual

    assert not wrong, "the code behaves like:\n" + yaml.safe_dump({"admin_models": wrong})


def test_the_changelist_answers_each_role_as_its_view_permission_says(clients):
    wrong = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        viewers = _allowed(MATRIX["admin_models"].get(label, {}).get("view", "nobody"))
        for role, client in clients.items():
            if (role in viewers) == _refused(client.get(url)):
                wrong.append(f"{label}: {role}")

    assert not wrong, f"changelist status differs from the view row: {wrong}"
