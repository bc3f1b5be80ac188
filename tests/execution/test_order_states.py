from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution import order_states
from execution.choices import FINAL_STATUSES, OPEN_STATUSES, OrderStatus
from execution.order_states import RANK, STATUSES, target_status, transition

statuses = st.sampled_from(sorted(STATUSES))
events = st.sampled_from([*sorted(order_states.EVENT_STATUS), "order_cancel_rejected", "x"])


def test_the_database_choices_and_the_state_machine_name_the_same_states():
    assert set(OrderStatus.values) == STATUSES
    assert set(FINAL_STATUSES) == order_states.FINAL
    assert set(OPEN_STATUSES) == STATUSES - order_states.FINAL


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending_new", "new"),
        ("pending_new", "accepted"),
        ("pending_new", "filled"),
        ("pending_new", "rejected"),
        ("accepted", "new"),
        ("new", "partially_filled"),
        ("partially_filled", "filled"),
        ("new", "pending_cancel"),
        ("pending_cancel", "canceled"),
        ("pending_cancel", "filled"),
        ("new", "pending_replace"),
        ("pending_replace", "replaced"),
        ("new", "expired"),
    ],
)
def test_a_legal_step_forward_is_applied(current, target):
    assert transition(current, target) == order_states.Transition(target, "applied")


def test_a_new_after_a_fill_is_stale_and_never_regresses_the_status():
    assert transition("filled", "new") == order_states.Transition("filled", "stale")
    assert transition("partially_filled", "accepted").outcome == "stale"


def test_a_fill_after_a_cancel_is_an_anomaly_that_keeps_the_status():
    step = transition("canceled", "filled")

    assert (step.status, step.outcome, step.anomaly) == (
        "canceled",
        "anomaly",
        "filled_after_canceled",
    )


def test_a_skipped_step_the_broker_cannot_take_is_an_anomaly():
    step = transition("pending_cancel", "pending_replace")

    assert step.outcome == "anomaly" and step.status == "pending_cancel"


def test_a_refused_cancel_returns_the_order_to_working():
    step = transition("pending_cancel", "new", event="order_cancel_rejected")

    assert step == order_states.Transition("new", "applied")
    assert transition("pending_cancel", "new").outcome == "stale"


def test_the_same_state_again_changes_nothing():
    assert transition("new", "new").outcome == "noop"


def test_unknown_states_are_refused():
    with pytest.raises(ValueError, match="unknown order status"):
        transition("submitted", "new")


def test_events_point_to_their_states_and_polls_to_the_broker_status():
    assert target_status("fill", "filled") == "filled"
    assert target_status("partial_fill", "partially_filled") == "partially_filled"
    assert target_status("filled", "filled") == "filled"  # a poll reports the status
    assert target_status("done_for_day", "done_for_day") is None
    assert target_status("order_cancel_rejected", "new") == "new"


@given(statuses, statuses, events)
def test_no_update_ever_moves_an_order_backwards(current, target, event):
    step = transition(current, target, event=event)

    if event not in order_states.RETURN_EVENTS:
        assert RANK[step.status] >= RANK[current]
    assert step.status in (current, target)


@given(statuses, statuses, events)
def test_a_final_order_stays_final(current, target, event):
    if current in order_states.FINAL:
        assert transition(current, target, event=event).status == current


@given(st.lists(st.tuples(statuses, events), max_size=12))
def test_replaying_every_update_twice_ends_where_replaying_once_does(updates):
    def run(sequence):
        status = "pending_new"
        for target, event in sequence:
            status = transition(status, target, event=event).status
        return status

    doubled = [update for update in updates for _ in range(2)]

    assert run(doubled) == run(updates)
