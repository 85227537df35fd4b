"""A failed delivery is recorded on its outbox message, cut to a bounded length."""

from __future__ import annotations

from gatehouse.notifications.models import MAX_DELIVERY_ERROR_LENGTH, OutboxMessage


def test_a_failure_is_recorded_cut_to_the_bound() -> None:
    message = OutboxMessage()
    message.record_failure("SMTPException: " + "x" * 5000)
    assert message.delivery_error is not None
    assert len(message.delivery_error) == MAX_DELIVERY_ERROR_LENGTH
    assert message.delivery_error.startswith("SMTPException: x")
    message.record_failure("short")
    assert message.delivery_error == "short"
