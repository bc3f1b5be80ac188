"""common.request_context: the user an admin action or API view records as the actor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request

from common.request_context import request_user


@pytest.mark.django_db
def test_the_signed_in_user_is_the_actor_of_a_django_or_drf_request(operator):
    request = RequestFactory().post("/")
    request.user = SimpleLazyObject(lambda: operator)  # as AuthenticationMiddleware sets it

    assert request_user(request) == operator
    drf = Request(request)
    drf.user = operator
    assert request_user(drf) == operator


def test_an_anonymous_request_is_refused_rather_than_recorded_as_nobody():
    request = RequestFactory().post("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        request_user(request)
