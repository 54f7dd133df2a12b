"""Errors services raise. Messages are i18n keys, translated by the state layer."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every expected, user-facing failure.

    Args:
        key: i18n message key, e.g. ``"error.not_found"``.
        params: values for the message's placeholders.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class ValidationFailed(ServiceError):
    """Input was refused; ``fields`` maps a field name to an i18n message key.

    Args:
        fields: field name -> message key (``"_form"`` for the whole form).
    """

    def __init__(self, fields: dict[str, str], **params: object) -> None:
        super().__init__("error.validation", **params)
        self.fields = fields


class NotFound(ServiceError):
    """Absent, or not the caller's: the two are answered alike."""

    def __init__(self) -> None:
        super().__init__("error.not_found")


class PermissionDenied(ServiceError):
    """The caller is known but lacks the role for this action."""

    def __init__(self) -> None:
        super().__init__("error.forbidden")


class LoginRequired(ServiceError):
    """Nobody is logged in where the action needs a member."""

    def __init__(self) -> None:
        super().__init__("error.login_required")


class OwnCase(ServiceError):
    """An operator asked to decide something that concerns them: another operator must."""

    def __init__(self) -> None:
        super().__init__("error.own_case")


class Throttled(ServiceError):
    """Too many attempts; try again after ``minutes``."""

    def __init__(self, key: str, minutes: int) -> None:
        super().__init__(key, minutes=minutes)
        self.minutes = minutes
