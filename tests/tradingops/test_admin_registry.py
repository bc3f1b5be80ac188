"""Every record our apps keep has an admin page, or is shown inline on its parent's: operators
act there and compliance reads there, so a model without one is a record nobody can see."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin

OUR_APPS = (
    "access",
    "audit",
    "marketdata",
    "models_registry",
    "risk",
    "execution",
    "operations",
    "drills",
)
# Not records: state a service keeps for itself.
NOT_RECORDS = {
    "audit.AuditChainHead": "the chain's tip, one row the append service locks",
}


def test_every_record_of_our_apps_is_shown_in_admin():
    shown = set(admin.site._registry)
    shown |= {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }

    missing = [
        model._meta.label
        for app_label in OUR_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model not in shown and model._meta.label not in NOT_RECORDS
    ]

    assert missing == []
