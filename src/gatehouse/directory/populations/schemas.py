"""Request and response models of populations, named after PingOne's `Population`."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from gatehouse.common.schemas import Description, HalView, Name, Ref, RequestModel, Timestamp

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class PopulationWrite(RequestModel):
    """The body of POST and PUT. `default` left out keeps the population's current role."""

    name: Name
    description: Description | None = None
    default: bool | None = None
    password_policy: Ref | None = Field(default=None, alias="passwordPolicy")
    preferred_language: Language | None = Field(default=None, alias="preferredLanguage")
    alternative_identifiers: Annotated[list[Identifier], Field(max_length=100)] | None = Field(
        default=None, alias="alternativeIdentifiers"
    )
    theme: Ref | None = None


class PopulationView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    description: str | None = None
    default: bool
    user_count: int = Field(alias="userCount")
    password_policy: dict[str, str] | None = Field(default=None, alias="passwordPolicy")
    preferred_language: str | None = Field(default=None, alias="preferredLanguage")
    alternative_identifiers: list[str] | None = Field(default=None, alias="alternativeIdentifiers")
    theme: dict[str, str] | None = None
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
