"""Tables of the DaVinci runtime: one interaction (a run of a flow) per row.

The interaction token (sent back as the `interactionToken` header) is kept only as a keyed
digest. `state_sealed` is the engine's JSON state (`engine.state.InteractionState`) sealed with
the row's id as associated data: it holds what the user typed (passwords too) and what nodes
read, so it is never stored in clear. `request` is what started the interaction (the validated authorization request for pi.flow, DaVinci OIDC parameters for the
provider, nothing for API starts). An interaction expires `flow_idle_seconds` after its last
request. The DaVinci OpenID provider's authorization code is the interaction's: its digest,
expiry and use are kept here, with the user the flow signed on and the session it established.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.crypto.sealing import Sealer
from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"


class DavinciInteraction(IdMixin, TimestampMixin, Base):
    __tablename__ = "davinci_interactions"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    token_digest: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # pi.flow | api | oidc
    status: Mapped[str] = mapped_column(sa.String(16), default=RUNNING)
    flow_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("davinci_flows.id", ondelete="CASCADE"), index=True
    )
    flow_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("davinci_flow_policies.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    policy_name: Mapped[str | None] = mapped_column(sa.String(256))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state_sealed: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="SET NULL")
    )
    amr: Mapped[list[Any]] = mapped_column(default=list)
    code_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    code_expires_at: Mapped[datetime | None]
    code_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]

    def read_state(self, sealer: Sealer) -> dict[str, Any]:
        return json.loads(sealer.unseal(self.state_sealed, str(self.id)))

    def write_state(self, sealer: Sealer, state: dict[str, Any]) -> None:
        self.state_sealed = sealer.seal(json.dumps(state), str(self.id))
