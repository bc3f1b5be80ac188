from django.db import models

from risk.choices import OrderSide

__all__ = ["OrderSide", "OrderStatus", "OrderType"]


class OrderStatus(models.TextChoices):
    NEW = "new", "New"
    SUBMITTED = "submitted", "Submitted"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELED = "canceled", "Canceled"
    REJECTED = "rejected", "Rejected"


OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)


class OrderType(models.TextChoices):
    MARKET = "market", "Market"
