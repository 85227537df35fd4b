"""Request and response models of password policies, named after PingOne's PasswordPolicy.

A policy row keeps `name`, `description` and `default` as columns and every rule in one JSON
document (`PasswordPolicy.rules`) whose keys are PingOne's: `PasswordRules` validates it on the way
in and reads it back for evaluation.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Field, StrictBool, field_validator

from gatehouse.common.schemas import Description, HalView, Name, RequestModel, Timestamp

UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
SPECIAL = "~!@#$%^&*()-_=+[]{}|;:,.<>/?"
CHARACTER_SETS = (UPPERCASE, LOWERCASE, DIGITS, SPECIAL)

Positive = Annotated[int, Field(ge=1)]


class History(RequestModel):
    count: Positive
    retention_days: Positive = Field(alias="retentionDays")


class Length(RequestModel):
    min: Annotated[int, Field(ge=8, le=32)] = 8
    max: Annotated[int, Field(ge=8, le=255)] = 255


class Lockout(RequestModel):
    failure_count: Positive = Field(alias="failureCount")
    duration_seconds: Positive = Field(alias="durationSeconds")


class SequenceRule(RequestModel):
    """A run of more than `maxLength` consecutive characters of a sequence is refused."""

    max_length: Annotated[int, Field(ge=2, le=3)] = Field(alias="maxLength")


class KeyboardSequenceRule(RequestModel):
    max_length: Annotated[int, Field(ge=3, le=3)] = Field(alias="maxLength")


class PasswordRules(RequestModel):
    """Everything a policy requires of a password (all but name, description and default)."""

    excludes_commonly_used: StrictBool = Field(alias="excludesCommonlyUsed")
    excludes_profile_data: StrictBool = Field(alias="excludesProfileData")
    not_similar_to_current: StrictBool = Field(alias="notSimilarToCurrent")
    history: History | None = None
    length: Length | None = None
    lockout: Lockout | None = None
    max_age_days: Positive | None = Field(default=None, alias="maxAgeDays")
    min_age_days: Positive | None = Field(default=None, alias="minAgeDays")
    max_repeated_characters: Positive | None = Field(default=None, alias="maxRepeatedCharacters")
    min_unique_characters: Positive | None = Field(default=None, alias="minUniqueCharacters")
    min_complexity: Positive | None = Field(default=None, alias="minComplexity")
    min_characters: dict[str, Annotated[int, Field(ge=1, le=255)]] | None = Field(
        default=None, alias="minCharacters"
    )
    alphabet_sequence_rule: SequenceRule | None = Field(default=None, alias="alphabetSequenceRule")
    number_sequence_rule: SequenceRule | None = Field(default=None, alias="numberSequenceRule")
    qwerty_sequence_rule: KeyboardSequenceRule | None = Field(
        default=None, alias="qwertySequenceRule"
    )
    shifted_number_row_sequence_rule: KeyboardSequenceRule | None = Field(
        default=None, alias="shiftedNumberRowSequenceRule"
    )

    @field_validator("min_characters")
    @classmethod
    def _known_character_sets(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None:
            unknown = [key for key in value if key not in CHARACTER_SETS]
            if unknown:
                raise ValueError(
                    f"unknown character set(s) {unknown}; the sets are {list(CHARACTER_SETS)}"
                )
        return value

    def document(self) -> dict[str, Any]:
        """The JSON stored in `PasswordPolicy.rules` (PingOne's names, unset rules left out)."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, include=set(PasswordRules.model_fields)
        )


class PasswordPolicyWrite(PasswordRules):
    """POST and PUT bodies. `default` omitted on PUT leaves it as it is."""

    name: Name
    description: Description | None = None
    default: StrictBool | None = None


class PasswordPolicyView(HalView, PasswordRules):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    description: str | None = None
    default: bool
    population_count: int = Field(alias="populationCount")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
