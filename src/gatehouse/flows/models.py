"""Tables of the flows context: a sign-on flow started by /as/authorize and driven through the
flows API until it completes or fails, and when progressive profiling last prompted each user."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Flow(IdMixin, TimestampMixin, Base):
    """`request` is the validated authorization request (`AuthorizeRequest.to_dict`).

    `policies` holds the sign-on policy the flow runs (`[{"id", "name"}]`: the first of the
    application's candidates, see flows.engine); `position` the action being worked on
    (`{"actionId"}`); `state` what that action keeps between steps (codes only as digests);
    `authenticators` the methods this flow completed, e.g. `{"pwd": iso}`; `prompted` the
    progressive-profiling actions that prompted in this flow. `session_id` is the browser's
    existing session the flow started from (single sign-on), if any.

    The flow is bound to the browser that started it by the digest of an interaction cookie, and
    is used up by /as/resume (`resumed_at`)."""

    __tablename__ = "flows"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(64))
    request: Mapped[dict[str, Any]]
    policies: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    authenticators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prompted: Mapped[list[Any]] = mapped_column(default=list)
    # why a FAILED flow failed: {"code", "message"}
    failure: Mapped[dict[str, Any] | None]
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    remote_ip: Mapped[str | None] = mapped_column(sa.String(64))
    interaction_digest: Mapped[str | None] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
    resumed_at: Mapped[datetime | None]


class ProfilePrompt(Base):
    """When a progressive-profiling action last prompted a user (its promptIntervalSeconds)."""

    __tablename__ = "profile_prompts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    action_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sign_on_policy_actions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    prompted_at: Mapped[datetime]
