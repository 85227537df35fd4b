"""Request and response models of the user schema and its attributes, named after PingOne's
`Schema` and `SchemaAttribute`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from gatehouse.common.schemas import Description, HalView, RequestModel, ViewModel

AttributeName = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# COMPLEX is for built-in attributes only.
CustomType = Literal["STRING", "JSON", "BOOLEAN"]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Requirements = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Example = Annotated[str, StringConstraints(max_length=1024)]
Examples = Annotated[list[Example], Field(max_length=100)]


class EnumeratedValue(RequestModel):
    value: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    archived: bool = False
    description: Description | None = None


class RegexValidation(RequestModel):
    pattern: Pattern
    requirements: Requirements
    values_pattern_should_match: Examples = Field(
        default_factory=list, alias="valuesPatternShouldMatch"
    )
    values_pattern_should_not_match: Examples = Field(
        default_factory=list, alias="valuesPatternShouldNotMatch"
    )


class AttributeWrite(RequestModel):
    """The body of POST and PUT. `type` left out is STRING on create and unchanged on replace."""

    name: AttributeName
    display_name: DisplayName | None = Field(default=None, alias="displayName")
    description: Description | None = None
    type: CustomType | None = None
    enabled: bool
    required: bool = False
    unique: bool = False
    multi_valued: bool = Field(default=False, alias="multiValued")
    enumerated_values: Annotated[list[EnumeratedValue], Field(max_length=100)] | None = Field(
        default=None, alias="enumeratedValues"
    )
    regex_validation: RegexValidation | None = Field(default=None, alias="regexValidation")


class AttributePatch(RequestModel):
    """The body of PATCH: only the properties present change."""

    name: AttributeName | None = None
    display_name: DisplayName | None = Field(default=None, alias="displayName")
    description: Description | None = None
    type: CustomType | None = None
    enabled: bool | None = None
    required: bool | None = None
    unique: bool | None = None
    multi_valued: bool | None = Field(default=None, alias="multiValued")
    enumerated_values: Annotated[list[EnumeratedValue], Field(max_length=100)] | None = Field(
        default=None, alias="enumeratedValues"
    )
    regex_validation: RegexValidation | None = Field(default=None, alias="regexValidation")


class SchemaView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    description: str


class SubAttributeView(ViewModel):
    name: str
    display_name: str = Field(alias="displayName")
    description: str | None = None
    schema_type: str = Field(alias="schemaType")
    type: str
    enabled: bool
    required: bool
    unique: bool
    multi_valued: bool = Field(alias="multiValued")


class AttributeView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    schema_ref: dict[str, str] = Field(alias="schema")
    name: str
    display_name: str | None = Field(default=None, alias="displayName")
    description: str | None = None
    schema_type: Literal["CORE", "STANDARD", "CUSTOM"] = Field(alias="schemaType")
    type: str
    enabled: bool
    required: bool
    unique: bool
    multi_valued: bool = Field(alias="multiValued")
    enumerated_values: list[dict[str, Any]] | None = Field(default=None, alias="enumeratedValues")
    regex_validation: dict[str, Any] | None = Field(default=None, alias="regexValidation")
    sub_attributes: list[SubAttributeView] | None = Field(default=None, alias="subAttributes")
