from __future__ import annotations

import pytest

from execution.models import ReconciliationBreak
from execution.services import reconciliation_run

pytestmark = pytest.mark.django_db
URL = "/admin/execution/reconciliationbreak/"


@pytest.fixture
def open_break(memory_broker, db):
    memory_broker.plant_order("placed-by-hand", "MSFT")
    reconciliation_run(broker=memory_broker)
    return ReconciliationBreak.objects.get()


def _action(record):
    return {"action": "resolve_selected_breaks", "_selected_action": [record.pk]}


def test_an_operator_resolves_a_break_in_admin_after_giving_a_reason(
    client, desk_operator, open_break
):
    client.force_login(desk_operator)

    confirm_page = client.post(URL, _action(open_break))
    assert confirm_page.status_code == 200
    assert b"reason" in confirm_page.content
    open_break.refresh_from_db()
    assert open_break.status == "open"

    response = client.post(URL, {**_action(open_break), "apply": "1", "reason": "my test"})

    assert response.status_code == 302
    open_break.refresh_from_db()
    assert open_break.status == "resolved"
    assert (open_break.resolved_by, open_break.resolution_reason) == (desk_operator, "my test")
    assert open_break.resolution_request_id  # the admin request's ID


def test_the_confirm_page_refuses_an_empty_reason(client, desk_operator, open_break):
    client.force_login(desk_operator)

    response = client.post(URL, {**_action(open_break), "apply": "1", "reason": ""})

    assert response.status_code == 200  # the form again, with its error
    open_break.refresh_from_db()
    assert open_break.status == "open"


def test_a_compliance_officer_sees_breaks_but_cannot_resolve_them(
    client, compliance_officer, open_break
):
    client.force_login(compliance_officer)

    page = client.get(URL)
    assert page.status_code == 200
    assert b"resolve_selected_breaks" not in page.content

    response = client.post(
        URL, {**_action(open_break), "apply": "1", "reason": "not mine"}, follow=True
    )

    open_break.refresh_from_db()
    assert open_break.status == "open"
    assert response.status_code == 200


def test_breaks_cannot_be_edited_in_admin(client, desk_operator, open_break):
    client.force_login(desk_operator)

    response = client.post(f"{URL}{open_break.pk}/change/", {"detail": "edited"})

    assert response.status_code == 403
    open_break.refresh_from_db()
    assert open_break.detail != "edited"


def test_an_orders_page_shows_its_events(client, desk_operator, sent_order):
    from execution.services import order_update_apply
    from execution.services.orders import remote_order_update

    order, remote = sent_order()
    order_update_apply(update=remote_order_update(remote, source="stream"))
    desk_operator.is_superuser = True
    desk_operator.save()
    client.force_login(desk_operator)

    page = client.get(f"/admin/execution/order/{order.pk}/change/")

    assert page.status_code == 200
    assert b"pending_new" in page.content and b"stream" in page.content
    assert client.get("/admin/execution/orderevent/").status_code == 200
    assert client.get("/admin/execution/reconciliationrun/").status_code == 200
