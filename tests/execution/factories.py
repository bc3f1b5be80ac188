from __future__ import annotations

from decimal import Decimal

import factory

from execution.models import Strategy
from models_registry.models import RegisteredModel


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegisteredModel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"model-{n}")


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"strategy-{n}")
    registered_model = factory.SubFactory(RegisteredModelFactory)
    notional_per_trade = Decimal("10000")
    min_confidence = 0.5

    @factory.post_generation
    def instruments(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.instruments.set(extracted)
