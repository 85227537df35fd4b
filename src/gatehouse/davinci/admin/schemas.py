"""Request and response models of the DaVinci admin API, named after PingOne's (go-client
openapi: DaVinciApplication*, DaVinciFlowPolicy*, DaVinciFlow*, DaVinciConnectorInstance*,
DaVinciVariable*, and the platform's application flowPolicyAssignments)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from gatehouse.common.schemas import HalView, RequestModel, Timestamp, ViewModel


def _davinci_name(value: str) -> str:
    """PingOne's name pattern: no leading whitespace, no `<`, no `${`."""
    if value[:1].isspace():
        raise ValueError("must not start with whitespace")
    if "<" in value or "${" in value:
        raise ValueError("must not contain '<' or '${'")
    return value


DavinciName = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(_davinci_name)
]
FlowName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
FlowDescription = Annotated[str, StringConstraints(max_length=1024)]
GrantType = Literal["authorizationCode", "clientCredentials", "implicit"]
OAuthScope = Literal["openid", "profile", "offline_access", "flow_analytics"]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
MAX_INT = 2_147_483_647  # a 32-bit integer column

# --- DaVinci applications -------------------------------------------------------------------------


class DavinciApplicationCreate(RequestModel):
    name: DavinciName


class ApiKeySettings(RequestModel):
    enabled: bool = True


class OAuthSettings(RequestModel):
    grant_types: list[GrantType] = Field(default=["authorizationCode"], alias="grantTypes")
    scopes: list[OAuthScope] = Field(default=["openid", "profile"])
    redirect_uris: list[Uri] = Field(default=[], alias="redirectUris")
    logout_uris: list[Uri] = Field(default=[], alias="logoutUris")
    sp_jwks_openid: str | None = Field(default=None, alias="spJwksOpenid")
    spjwks_url: Uri | None = Field(default=None, alias="spjwksUrl")
    enforce_signed_request_openid: bool | None = Field(
        default=None, alias="enforceSignedRequestOpenid"
    )


class DavinciApplicationReplace(RequestModel):
    name: DavinciName
    api_key: ApiKeySettings | None = Field(default=None, alias="apiKey")
    oauth: OAuthSettings | None = None


class EmptyBody(RequestModel):
    """The rotateKey / rotateSecret / clone / deploy bodies: no properties."""


class ApiKeyView(ViewModel):
    enabled: bool
    value: str


class OAuthView(ViewModel):
    client_secret: str = Field(alias="clientSecret")
    grant_types: list[str] = Field(alias="grantTypes")
    scopes: list[str]
    redirect_uris: list[str] = Field(alias="redirectUris")
    logout_uris: list[str] = Field(alias="logoutUris")
    sp_jwks_openid: str | None = Field(default=None, alias="spJwksOpenid")
    spjwks_url: str | None = Field(default=None, alias="spjwksUrl")
    enforce_signed_request_openid: bool | None = Field(
        default=None, alias="enforceSignedRequestOpenid"
    )


class DavinciApplicationView(HalView):
    id: str
    name: str
    environment: dict[str, str]
    api_key: ApiKeyView = Field(alias="apiKey")
    oauth: OAuthView
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- flow policies --------------------------------------------------------------------------------


class IdRef(RequestModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class FlowDistribution(RequestModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: Annotated[float, Field(ge=-1, le=1_000_000_000)]
    weight: Annotated[float, Field(ge=0, le=100)] | None = None
    ip: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = None
    success_nodes: list[IdRef] | None = Field(default=None, alias="successNodes")


class FlowPolicyTrigger(RequestModel):
    type: Literal["AUTHENTICATION"] = "AUTHENTICATION"
    subtype: str | None = None
    configuration: dict[str, Any] | None = None


class FlowPolicyBody(RequestModel):
    """POST and PUT /davinciApplications/{id}/flowPolicies[/{id}]."""

    flow_distributions: Annotated[list[FlowDistribution], Field(min_length=1, max_length=100)] = (
        Field(alias="flowDistributions")
    )
    name: DavinciName = "New Policy"
    status: Literal["enabled", "disabled"] = "enabled"
    trigger: FlowPolicyTrigger | None = None


class FlowPolicyView(HalView):
    id: str
    name: str
    status: str
    environment: dict[str, str]
    application: dict[str, str]
    flow_distributions: list[dict[str, Any]] = Field(alias="flowDistributions")
    trigger: dict[str, Any] | None = None
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class PlatformFlowPolicyView(HalView):
    """GET /flowPolicies/{id} (PingOneApplicationDaVinciFlowPolicy)."""

    id: str
    name: str
    enabled: bool
    environment: dict[str, str]
    application: dict[str, str]
    trigger: dict[str, Any] | None = None


# --- flows ----------------------------------------------------------------------------------------


class GraphElements(RequestModel):
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []


class GraphData(RequestModel):
    """A Cytoscape document; only `elements` is interpreted, the rest is kept as sent."""

    model_config = {"extra": "allow", "populate_by_name": True}
    elements: GraphElements = GraphElements()


class InputSchemaItem(RequestModel):
    model_config = {"extra": "allow", "populate_by_name": True}
    property_name: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        alias="propertyName"
    )
    preferred_data_type: Literal["array", "boolean", "number", "object", "string"] = Field(
        alias="preferredDataType"
    )


class FlowBody(RequestModel):
    """POST /flows (create) and PUT /flows/{id} (replace: saves a new version)."""

    name: FlowName
    description: FlowDescription | None = None
    color: Annotated[str, StringConstraints(max_length=32)] | None = None
    graph_data: GraphData | None = Field(default=None, alias="graphData")
    input_schema: list[InputSchemaItem] | None = Field(default=None, alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(default=None, alias="outputSchema")
    settings: dict[str, Any] | None = None
    trigger: dict[str, Any] | None = None


class FlowClone(RequestModel):
    name: FlowName | None = None


class FlowValidate(RequestModel):
    graph_data: GraphData | None = Field(default=None, alias="graphData")


class FlowEnable(RequestModel):
    enabled: bool


class VersionAlias(RequestModel):
    alias: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ExportOptions(RequestModel):
    include_forms: bool = Field(default=False, alias="includeForms")
    include_sub_flows: bool = Field(default=False, alias="includeSubFlows")
    include_variable_values: bool = Field(default=False, alias="includeVariableValues")


class FlowImport(RequestModel):
    """A DaVinci flow export: one flow document, or `{flows: [...]}` for several."""

    model_config = {"extra": "allow", "populate_by_name": True}
    flows: list[dict[str, Any]] | None = None
    graph_data: GraphData | None = Field(default=None, alias="graphData")
    name: FlowName | None = None


class FlowView(HalView):
    id: str
    name: str
    environment: dict[str, str]
    description: str | None = None
    color: str | None = None
    enabled: bool
    current_version: int = Field(alias="currentVersion")
    published_version: int | None = Field(default=None, alias="publishedVersion")
    deployed_at: Timestamp | None = Field(default=None, alias="deployedAt")
    connectors: list[dict[str, str]]
    graph_data: dict[str, Any] = Field(alias="graphData")
    input_schema: list[Any] = Field(alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(default=None, alias="outputSchema")
    settings: dict[str, Any]
    trigger: dict[str, Any] | None = None
    dvlinter_error_count: int | None = Field(default=None, alias="dvlinterErrorCount")
    dvlinter_warning_count: int | None = Field(default=None, alias="dvlinterWarningCount")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class FlowEnabledView(HalView):
    enabled: bool


class FlowVersionView(HalView):
    environment: dict[str, str]
    flow: dict[str, str]
    version: int
    alias: str | None = None
    cloned_from: int | None = Field(default=None, alias="clonedFrom")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
    deployed_at: Timestamp | None = Field(default=None, alias="deployedAt")


class FlowVersionDetailView(FlowVersionView):
    name: str
    description: str | None = None
    color: str | None = None
    enabled: bool
    connectors: list[dict[str, str]]
    graph_data: dict[str, Any] = Field(alias="graphData")
    input_schema: list[Any] = Field(alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(default=None, alias="outputSchema")
    settings: dict[str, Any]
    trigger: dict[str, Any] | None = None


# --- connectors -----------------------------------------------------------------------------------


class ConnectorView(HalView):
    id: str
    name: str
    environment: dict[str, str]
    version: str
    metadata: dict[str, Any]
    created_at: Timestamp = Field(alias="createdAt")


class ConnectorDetailsView(HalView):
    id: str
    environment: dict[str, str]
    properties: dict[str, Any]
    capabilities: dict[str, Any]


class ConnectorInstanceBody(RequestModel):
    """POST and PUT /connectorInstances[/{id}]."""

    name: DavinciName
    connector: IdRef
    properties: dict[str, Any] | None = None


class ConnectorInstanceClone(RequestModel):
    name: DavinciName | None = None


class ConnectorInstanceView(HalView):
    id: str
    name: str
    environment: dict[str, str]
    connector: dict[str, str]
    properties: dict[str, Any]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- variables ------------------------------------------------------------------------------------

VariableContext = Literal["company", "flow", "flowInstance", "user"]
VariableType = Literal["boolean", "number", "object", "secret", "string"]


class VariableBody(RequestModel):
    """POST and PUT /variables[/{id}]."""

    name: DavinciName
    context: VariableContext
    data_type: VariableType = Field(alias="dataType")
    mutable: bool
    display_name: DavinciName | None = Field(default=None, alias="displayName")
    flow: IdRef | None = None
    min: Annotated[int, Field(ge=0, le=MAX_INT)] = 0
    max: Annotated[int, Field(ge=0, le=MAX_INT)] = 2000
    value: bool | int | float | str | dict[str, Any] | list[Any] | None = None


class VariableView(HalView):
    id: str
    name: str
    environment: dict[str, str]
    context: str
    data_type: str = Field(alias="dataType")
    mutable: bool
    display_name: str | None = Field(default=None, alias="displayName")
    flow: dict[str, str] | None = None
    min: int | None = None
    max: int | None = None
    value: Any = None
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- application -> flow policy assignments -------------------------------------------------------


class FlowPolicyAssignmentBody(RequestModel):
    flow_policy: IdRef = Field(alias="flowPolicy")
    priority: Annotated[int, Field(ge=1, le=1000)] = 1


class FlowPolicyAssignmentView(HalView):
    id: str
    environment: dict[str, str]
    application: dict[str, str]
    flow_policy: dict[str, str] = Field(alias="flowPolicy")
    priority: int
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
