"""Operations admin: each topic in its own module (siblings add theirs here)."""

from operations.admin import gamedays, soak  # noqa: F401 - registers the model admins
