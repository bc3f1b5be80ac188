"""Four-eyes changes: kill switch release, limit raises, loosened states, overrides."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from common.exceptions import NotFound, PermissionRefused, ValidationFailed
from risk import services
from risk.models import (
    ChangeRequest,
    KillSwitch,
    RiskAction,
    RiskLimit,
    TemporaryLimitOverride,
    TradingStateSetting,
)
from risk.selectors import limits_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def engaged(desk_operator):
    services.kill_switch_engage(actor=desk_operator, reason="bad fills", request_id="req-e")


@pytest.fixture
def release(engaged, desk_operator):
    return services.kill_switch_release_request(
        actor=desk_operator, reason="fills fixed", request_id="req-r"
    )


def test_a_release_request_leaves_the_kill_switch_engaged_until_approved(release, risk_officer):
    assert KillSwitch.objects.get().engaged
    assert release.status == "pending"

    services.change_request_approve(
        actor=risk_officer, change_request_id=release.pk, reason="checked", request_id="req-a"
    )

    release.refresh_from_db()
    assert not KillSwitch.objects.get().engaged
    assert (release.status, release.decided_by, release.decision_request_id) == (
        "approved",
        risk_officer,
        "req-a",
    )
    actions = list(RiskAction.objects.order_by("id").values_list("action", "actor_name"))
    assert actions == [
        ("kill_switch_engage", "oscar"),
        ("request_kill_switch_release", "oscar"),
        ("kill_switch_release", "rita"),
        ("approved_kill_switch_release", "rita"),
    ]


def test_a_risk_officer_cannot_approve_their_own_release_request(engaged, risk_officer):
    request = services.kill_switch_release_request(actor=risk_officer, reason="mine")

    with pytest.raises(PermissionRefused, match="own request"):
        services.change_request_approve(
            actor=risk_officer, change_request_id=request.pk, reason="self"
        )

    assert KillSwitch.objects.get().engaged


def test_a_second_risk_officer_approves_the_first_ones_request(
    engaged, risk_officer, second_risk_officer
):
    request = services.kill_switch_release_request(actor=risk_officer, reason="mine")

    services.change_request_approve(
        actor=second_risk_officer, change_request_id=request.pk, reason="ok"
    )

    assert not KillSwitch.objects.get().engaged


def test_an_operator_cannot_approve_a_release(release, operator):
    with pytest.raises(PermissionRefused, match="approve_change"):
        services.change_request_approve(actor=operator, change_request_id=release.pk, reason="x")

    assert KillSwitch.objects.get().engaged


def test_an_expired_request_cannot_be_approved(release, risk_officer, frozen_clock, settings):
    frozen_clock.advance(timedelta(minutes=settings.RISK_CHANGE_REQUEST_TTL_MINUTES))

    with pytest.raises(ValidationFailed, match="expired"):
        services.change_request_approve(
            actor=risk_officer, change_request_id=release.pk, reason="x"
        )

    assert KillSwitch.objects.get().engaged


def test_a_request_is_approved_once(release, risk_officer, second_risk_officer):
    services.change_request_approve(actor=risk_officer, change_request_id=release.pk, reason="a")

    with pytest.raises(ValidationFailed, match="already approved"):
        services.change_request_approve(
            actor=second_risk_officer, change_request_id=release.pk, reason="b"
        )


def test_an_unknown_request_is_not_found(risk_officer):
    with pytest.raises(NotFound):
        services.change_request_approve(actor=risk_officer, change_request_id=999, reason="x")


def test_nothing_to_release_when_the_switch_is_not_engaged(desk_operator):
    with pytest.raises(ValidationFailed, match="not engaged"):
        services.kill_switch_release_request(actor=desk_operator, reason="x")


def test_a_rejected_request_changes_nothing(release, risk_officer):
    services.change_request_reject(actor=risk_officer, change_request_id=release.pk, reason="no")

    release.refresh_from_db()
    assert release.status == "rejected"
    assert KillSwitch.objects.get().engaged


def test_compliance_can_do_nothing(engaged, compliance_officer):
    with pytest.raises(PermissionRefused):
        services.kill_switch_engage(actor=compliance_officer, reason="x")
    with pytest.raises(PermissionRefused):
        services.kill_switch_release_request(actor=compliance_officer, reason="x")
    with pytest.raises(PermissionRefused):
        services.limit_change_request(
            actor=compliance_officer, scope="global", key="", field="max_daily_loss",
            value="1", reason="x",
        )  # fmt: skip


# --- Limits ---------------------------------------------------------------------------------


def test_lowering_a_limit_applies_at_once_with_before_and_after(desk_operator):
    outcome = services.limit_change_request(
        actor=desk_operator,
        scope="global",
        key="",
        field="max_order_notional",
        value="20000",
        reason="quiet market",
        request_id="req-l",
    )

    assert outcome.applied
    assert RiskLimit.objects.get(strategy="", symbol="").max_order_notional == Decimal(20000)
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(20000)
    action = RiskAction.objects.get(action="limit_change")
    assert (action.actor, action.reason, action.request_id) == (
        desk_operator,
        "quiet market",
        "req-l",
    )
    assert action.before == {"scope": "global", "key": "", "max_order_notional": "25000.000000"}
    assert action.after["max_order_notional"] == "20000"


def test_raising_a_limit_waits_for_a_risk_officer(desk_operator, risk_officer):
    outcome = services.limit_change_request(
        actor=desk_operator, scope="global", key="", field="max_order_notional",
        value="30000", reason="bigger book",
    )  # fmt: skip

    assert not outcome.applied
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(25000)
    services.change_request_approve(
        actor=risk_officer, change_request_id=outcome.change_request.pk, reason="approved"
    )
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(30000)


@pytest.mark.parametrize(
    ("field", "value", "loosening"),
    [
        ("max_daily_loss", "", True),  # removing a limit
        ("max_daily_loss", "6000", True),
        ("max_daily_loss", "4000", False),
        ("min_buying_power_reserve", "100", False),  # a bigger reserve is stricter
        ("loss_cooldown_minutes", "10", True),  # a shorter cooldown is looser
    ],
)
def test_which_changes_count_as_loosening(desk_operator, field, value, loosening):
    outcome = services.limit_change_request(
        actor=desk_operator, scope="global", key="", field=field, value=value, reason="tune"
    )

    assert outcome.applied is not loosening


def test_an_instrument_override_above_the_global_limit_is_a_raise(desk_operator, instruments):
    outcome = services.limit_change_request(
        actor=desk_operator, scope="instrument", key="AAPL", field="max_order_notional",
        value="26000", reason="liquid name",
    )  # fmt: skip

    assert not outcome.applied
    assert not RiskLimit.objects.filter(symbol="AAPL").exists()


def test_a_strategy_override_below_the_global_limit_applies(desk_operator, strategy):
    outcome = services.limit_change_request(
        actor=desk_operator, scope="strategy", key=strategy.name, field="max_order_notional",
        value="1000", reason="new strategy",
    )  # fmt: skip

    assert outcome.applied
    assert limits_for(symbol="AAPL", strategy=strategy.name).max_order_notional == Decimal(1000)
    assert limits_for(symbol="AAPL", strategy="other").max_order_notional == Decimal(25000)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scope": "instrument", "key": "NOPE"}, "Unknown instrument 'NOPE'"),
        ({"scope": "strategy", "key": "ghost"}, "Unknown strategy 'ghost'"),
        ({"scope": "planet"}, "Unknown scope"),
        ({"value": "-5"}, "must be greater than 0"),
        ({"value": "0"}, "must be greater than 0"),
        ({"value": "lots"}, "must be a number"),
        ({"field": "max_fun"}, "Unknown limit"),
        ({"reason": " "}, "reason is required"),
    ],
)
def test_bad_limit_changes_are_refused_with_a_clear_message(
    desk_operator, instruments, changes, message
):
    request = {
        "scope": "global",
        "key": "",
        "field": "max_order_notional",
        "value": "100",
        "reason": "x",
        **changes,
    }

    with pytest.raises(ValidationFailed, match=message):
        services.limit_change_request(actor=desk_operator, **request)


# --- Temporary overrides --------------------------------------------------------------------


def test_a_temporary_tightening_applies_at_once_and_reverts_by_itself(desk_operator, frozen_clock):
    expires = frozen_clock.now() + timedelta(minutes=15)

    outcome = services.limit_change_request(
        actor=desk_operator, scope="global", key="", field="max_order_notional", value="100",
        reason="news due", expires_at=expires,
    )  # fmt: skip

    assert outcome.applied
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(100)
    frozen_clock.advance(timedelta(minutes=15))
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(25000)
    assert services.limit_overrides_expire() == 1
    assert TemporaryLimitOverride.objects.get().reverted_at == frozen_clock.now()
    assert RiskAction.objects.filter(action="limit_override_reverted").count() == 1


def test_a_temporary_raise_needs_approval_and_then_expires(
    desk_operator, risk_officer, frozen_clock
):
    outcome = services.limit_change_request(
        actor=desk_operator, scope="global", key="", field="max_order_notional", value="50000",
        reason="rebalance", expires_at=frozen_clock.now() + timedelta(hours=1),
    )  # fmt: skip
    assert not outcome.applied

    services.change_request_approve(
        actor=risk_officer, change_request_id=outcome.change_request.pk, reason="one hour"
    )

    assert limits_for(symbol="AAPL").max_order_notional == Decimal(50000)
    frozen_clock.advance(timedelta(hours=1, seconds=1))
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(25000)


def test_an_override_that_already_expired_is_refused(desk_operator, frozen_clock):
    with pytest.raises(ValidationFailed, match="future"):
        services.limit_change_request(
            actor=desk_operator, scope="global", key="", field="max_order_notional",
            value="100", reason="x", expires_at=frozen_clock.now(),
        )  # fmt: skip


# --- Trading states -------------------------------------------------------------------------


def test_tightening_a_state_applies_and_loosening_needs_approval(
    desk_operator, risk_officer, strategy
):
    halted = services.trading_state_set(
        actor=desk_operator, scope="strategy", key=strategy.name, state="HALTED", reason="bug"
    )
    loosen = services.trading_state_set(
        actor=desk_operator, scope="strategy", key=strategy.name, state="ACTIVE", reason="fixed"
    )

    assert halted.applied and not loosen.applied
    assert TradingStateSetting.objects.get(key=strategy.name).state == "HALTED"
    services.change_request_approve(
        actor=risk_officer, change_request_id=loosen.change_request.pk, reason="verified"
    )
    assert TradingStateSetting.objects.get(key=strategy.name).state == "ACTIVE"
    assert ChangeRequest.objects.get().kind == "state_loosen"


def test_an_unknown_state_is_refused(desk_operator):
    with pytest.raises(ValidationFailed, match="Unknown state"):
        services.trading_state_set(
            actor=desk_operator, scope="global", key="", state="PAUSED", reason="x"
        )
