"""Tables of the DaVinci context: DaVinci applications and their flow policies, flows and their
immutable versions, connector instances, variables, and PingOne application -> flow policy
assignments. Every table is scoped by `environment_id`; secrets are sealed (crypto/sealing.py)
with the owning row's id as associated data."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.crypto.sealing import Sealer
from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class DavinciApplication(IdMixin, TimestampMixin, Base):
    """A DaVinci application: an API key (for API-started flows) and OAuth client settings (for
    DaVinci as an OpenID provider). Its id is the OAuth client_id."""

    __tablename__ = "davinci_applications"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    api_key_enabled: Mapped[bool] = mapped_column(default=True)
    api_key_sealed: Mapped[str] = mapped_column(sa.Text)
    client_secret_sealed: Mapped[str] = mapped_column(sa.Text)
    # grantTypes, scopes, redirectUris, logoutUris, spJwksOpenid, spjwksUrl,
    # enforceSignedRequestOpenid (validated by davinci.admin.schemas)
    oauth: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def api_key(self, sealer: Sealer) -> str:
        return sealer.unseal(self.api_key_sealed, f"{self.id}:apiKey")

    def set_api_key(self, sealer: Sealer, value: str) -> None:
        self.api_key_sealed = sealer.seal(value, f"{self.id}:apiKey")

    def client_secret(self, sealer: Sealer) -> str:
        return sealer.unseal(self.client_secret_sealed, f"{self.id}:clientSecret")

    def set_client_secret(self, sealer: Sealer, value: str) -> None:
        self.client_secret_sealed = sealer.seal(value, f"{self.id}:clientSecret")


class DavinciFlowPolicy(IdMixin, TimestampMixin, Base):
    """A flow policy of a DaVinci application: which flow versions run, by weight."""

    __tablename__ = "davinci_flow_policies"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    davinci_application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("davinci_applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    status: Mapped[str] = mapped_column(sa.String(16), default="enabled")  # enabled | disabled
    trigger: Mapped[dict[str, Any] | None]
    # [{id (flow), version, weight, ip[], successNodes[{id}]}]
    flow_distributions: Mapped[list[Any]] = mapped_column(default=list)


class DavinciFlow(IdMixin, TimestampMixin, Base):
    """A flow. Its graph lives in versions: `current_version` is the latest saved one,
    `deployed_version` the one that runs (None until deployed)."""

    __tablename__ = "davinci_flows"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    color: Mapped[str | None] = mapped_column(sa.String(32))
    enabled: Mapped[bool] = mapped_column(default=True)
    current_version: Mapped[int] = mapped_column(default=0)
    deployed_version: Mapped[int | None]
    deployed_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_schema: Mapped[list[Any]] = mapped_column(default=list)
    output_schema: Mapped[dict[str, Any] | None]
    trigger: Mapped[dict[str, Any] | None]


class DavinciFlowVersion(IdMixin, Base):
    """One saved state of a flow, never changed after it is written. `extras` keeps the fields of
    an imported DaVinci export that Gatehouse does not model, so an export gives them back."""

    __tablename__ = "davinci_flow_versions"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    flow_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("davinci_flows.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    graph_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_schema: Mapped[list[Any]] = mapped_column(default=list)
    output_schema: Mapped[dict[str, Any] | None]
    trigger: Mapped[dict[str, Any] | None]
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    alias: Mapped[str | None] = mapped_column(sa.String(256))
    created_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("flow_id", "version"),)


class DavinciConnectorInstance(IdMixin, TimestampMixin, Base):
    """A configured connector (a "connection" in flow exports: nodes name it by connectionId).
    Secret-typed property values are sealed in `secret_properties_sealed` (a sealed JSON object);
    `properties` holds the rest."""

    __tablename__ = "davinci_connector_instances"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    connector_id: Mapped[str] = mapped_column(sa.String(256))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secret_properties_sealed: Mapped[str | None] = mapped_column(sa.Text)

    def secret_properties(self, sealer: Sealer) -> dict[str, Any]:
        if self.secret_properties_sealed is None:
            return {}
        return json.loads(sealer.unseal(self.secret_properties_sealed, str(self.id)))

    def set_secret_properties(self, sealer: Sealer, values: dict[str, Any]) -> None:
        self.secret_properties_sealed = (
            sealer.seal(json.dumps(values), str(self.id)) if values else None
        )

    def all_properties(self, sealer: Sealer) -> dict[str, Any]:
        """Every property, secret ones unsealed (for the runtime; never for a response)."""
        return {**self.properties, **self.secret_properties(sealer)}


class DavinciVariable(IdMixin, TimestampMixin, Base):
    """A variable: company-wide, of one flow, of one flow instance, or of the user. The value is
    JSON in `value`, or sealed in `value_sealed` when `data_type` is secret."""

    __tablename__ = "davinci_variables"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    context: Mapped[str] = mapped_column(sa.String(16))  # company | flow | flowInstance | user
    data_type: Mapped[str] = mapped_column(sa.String(16))  # boolean|number|object|secret|string
    mutable: Mapped[bool] = mapped_column(default=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(256))
    flow_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("davinci_flows.id", ondelete="CASCADE"), index=True
    )
    minimum: Mapped[int | None]
    maximum: Mapped[int | None]
    value: Mapped[Any | None] = mapped_column(sa.JSON())
    value_sealed: Mapped[str | None] = mapped_column(sa.Text)

    def current_value(self, sealer: Sealer) -> Any:
        """The value, a secret one unsealed (for the runtime; never for a response)."""
        if self.data_type == "secret":
            if self.value_sealed is None:
                return None
            return sealer.unseal(self.value_sealed, str(self.id))
        return self.value

    def set_value(self, sealer: Sealer, value: Any) -> None:
        if self.data_type == "secret":
            self.value = None
            self.value_sealed = None if value is None else sealer.seal(str(value), str(self.id))
        else:
            self.value = value
            self.value_sealed = None


class FlowPolicyAssignment(IdMixin, TimestampMixin, Base):
    """A PingOne application's DaVinci flow policy; the lowest priority is tried first."""

    __tablename__ = "davinci_flow_policy_assignments"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    flow_policy_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("davinci_flow_policies.id", ondelete="CASCADE"), index=True
    )
    priority: Mapped[int] = mapped_column(default=1)

    __table_args__ = (sa.UniqueConstraint("application_id", "flow_policy_id"),)
