from django.db import models


class Direction(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"
