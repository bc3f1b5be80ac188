"""Template context every admin page needs: whether trading is halted."""

from __future__ import annotations

from django.http import HttpRequest

from risk.models import KillSwitch
from risk.selectors import kill_switch_get


def kill_switch(request: HttpRequest) -> dict[str, KillSwitch | None]:
    """The kill switch for staff pages (one query), so a halt is never missed in admin."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff):
        return {"kill_switch": None}
    return {"kill_switch": kill_switch_get()}
