"""The PingOne error body: one error type raised by services, rendered by one handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatehouse.common.ids import new_id


@dataclass
class Detail:
    code: str
    message: str
    target: str | None = None
    inner_error: dict[str, Any] | None = None

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            body["target"] = self.target
        if self.inner_error:
            body["innerError"] = self.inner_error
        return body


@dataclass
class Problem(Exception):
    status: int
    code: str
    message: str
    details: list[Detail] = field(default_factory=list)
    headers: dict[str, str] | None = None

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(new_id()), "code": self.code, "message": self.message}
        if self.details:
            body["details"] = [detail.render() for detail in self.details]
        return body


def invalid_data(
    message: str, *details: Detail, code: str = "INVALID_DATA", status: int = 400
) -> Problem:
    return Problem(status, code, message, list(details))


def invalid_value(target: str, message: str, **inner: Any) -> Problem:
    return invalid_data(
        "The request could not be completed. One or more validation errors were in the request.",
        Detail("INVALID_VALUE", message, target, inner or None),
    )


def required_value(target: str) -> Problem:
    return invalid_data(
        "The request could not be completed. One or more validation errors were in the request.",
        Detail("REQUIRED_VALUE", f"{target} is required", target),
    )


def uniqueness_violation(target: str, message: str, existing_id: Any = None) -> Problem:
    inner = {"existingId": str(existing_id)} if existing_id else None
    return invalid_data(
        "The request could not be completed. One or more validation errors were in the request.",
        Detail("UNIQUENESS_VIOLATION", message, target, inner),
    )


def not_found(message: str = "The requested resource was not found.") -> Problem:
    return Problem(404, "NOT_FOUND", message)


def request_failed(message: str, *details: Detail) -> Problem:
    return Problem(400, "REQUEST_FAILED", message, list(details))


def unauthorized(
    message: str = "The request could not be completed. Access token is invalid.",
) -> Problem:
    return Problem(
        401,
        "ACCESS_FAILED",
        message,
        [Detail("INVALID_TOKEN", message)],
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def forbidden(
    message: str = "The request could not be completed. You do not have access to this resource.",
) -> Problem:
    return Problem(403, "ACCESS_FAILED", message, [Detail("INSUFFICIENT_PERMISSIONS", message)])


def unsupported_media_type(media_type: str | None) -> Problem:
    return Problem(
        415,
        "INVALID_REQUEST",
        f"The request could not be completed. Unsupported Content-Type: {media_type or '(none)'}.",
    )
