"""The connectors Gatehouse implements, with each capability's properties.

This is the single description of what the DaVinci engine can run: the admin API lists it at
`/connectors`, flow validation names nodes whose connector or capability is not here, and the
runtime dispatches on the same ids. Ids and capability names are DaVinci's (as in real exports).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CapabilitySpec:
    """One capability of a connector.

    `properties` maps a node property name to its description (`type`, `displayName`, and
    `required` when the capability cannot run without it). `pauses` is true when the node waits
    for the user (a screen is shown and the flow continues when it is submitted).
    """

    name: str
    properties: dict[str, dict] = field(default_factory=dict)
    pauses: bool = False


@dataclass(frozen=True)
class ConnectorSpec:
    id: str
    name: str
    capabilities: dict[str, CapabilitySpec]


def _prop(kind: str, display: str, *, required: bool = False, **extra: object) -> dict:
    spec: dict = {"type": kind, "displayName": display}
    if required:
        spec["required"] = True
    spec.update(extra)
    return spec


def _capabilities(*specs: CapabilitySpec) -> dict[str, CapabilitySpec]:
    return {spec.name: spec for spec in specs}


_NODE_TITLE = {
    "nodeTitle": _prop("string", "Node Title"),
    "nodeDescription": _prop("string", "Node Description"),
}

_HTML_FORM_PROPERTIES = {
    "customHTML": _prop("string", "HTML Template", required=True, largePayload=True),
    "customCSS": _prop("string", "CSS", largePayload=True),
    "formFieldsList": _prop("array", "Output Fields List", constructType="formFieldsList"),
    "button": _prop("object", "Submit", constructType="button"),
    "validationRules": _prop("object", "Form validation rules"),
    **_NODE_TITLE,
}

_HTTP = ConnectorSpec(
    id="httpConnector",
    name="HTTP",
    capabilities=_capabilities(
        CapabilitySpec("customHTMLTemplate", _HTML_FORM_PROPERTIES, pauses=True),
        CapabilitySpec(
            "customHtmlMessage",
            {
                "message": _prop("string", "Message", required=True),
                "messageTitle": _prop("string", "Message Title"),
                "showContinueButton": _prop("boolean", "Show Continue Button"),
                **_NODE_TITLE,
            },
            pauses=True,
        ),
        CapabilitySpec(
            "createSuccessResponse",
            {"successResponseFields": _prop("array", "Response Fields"), **_NODE_TITLE},
        ),
        CapabilitySpec(
            "createErrorResponse",
            {
                "errorMessage": _prop("string", "Error Message"),
                "errorDescription": _prop("string", "Error Description"),
                "errorCode": _prop("string", "Error Code"),
                "httpResponseCode": _prop("number", "HTTP Response Code"),
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "makeRestApiCall",
            {
                "url": _prop("string", "URL", required=True),
                "httpMethod": _prop(
                    "string", "HTTP Method", enum=["GET", "POST", "PUT", "PATCH", "DELETE"]
                ),
                "headers": _prop("array", "Headers"),
                "queryParams": _prop("array", "Query Parameters"),
                "body": _prop("string", "Body"),
                "bodyType": _prop("string", "Body Type", enum=["json", "form", "raw", "none"]),
                "timeoutInSeconds": _prop("number", "Timeout (seconds)"),
                **_NODE_TITLE,
            },
        ),
    ),
)

_USER_ATTRIBUTES = {
    "username": _prop("string", "Username"),
    "email": _prop("string", "Email"),
    "givenName": _prop("string", "Given Name"),
    "familyName": _prop("string", "Family Name"),
    "populationId": _prop("string", "Population ID"),
    "additionalUserProperties": _prop("array", "Additional User Properties"),
}

_PINGONE_SSO = ConnectorSpec(
    id="pingOneSSOConnector",
    name="PingOne",
    capabilities=_capabilities(
        CapabilitySpec(
            "userLookup",
            {
                "identifier": _prop("string", "User Identifier", required=True),
                "matchAttributes": _prop("array", "Match Attributes"),
                "populationId": _prop("string", "Population ID"),
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "createUser",
            {**_USER_ATTRIBUTES, "password": _prop("string", "Password"), **_NODE_TITLE},
        ),
        CapabilitySpec(
            "readUser", {"userId": _prop("string", "User ID", required=True), **_NODE_TITLE}
        ),
        CapabilitySpec(
            "updateUser",
            {
                "userId": _prop("string", "User ID", required=True),
                **_USER_ATTRIBUTES,
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "checkPassword",
            {
                "userId": _prop("string", "User ID"),
                "username": _prop("string", "Username"),
                "password": _prop("string", "Password", required=True),
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "addUserToGroup",
            {
                "userId": _prop("string", "User ID", required=True),
                "groupId": _prop("string", "Group ID", required=True),
                **_NODE_TITLE,
            },
        ),
    ),
)

_PINGONE_AUTHENTICATION = ConnectorSpec(
    id="pingOneAuthenticationConnector",
    name="PingOne Authentication",
    capabilities=_capabilities(
        CapabilitySpec(
            "returnSuccessResponseRedirect",
            {
                "userId": _prop("string", "User ID", required=True),
                "authenticationMethods": _prop("string", "Authentication Methods"),
                "idleTimeout": _prop("number", "Idle Timeout (minutes)"),
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "setSession",
            {"userId": _prop("string", "User ID", required=True), **_NODE_TITLE},
        ),
        CapabilitySpec(
            "checkSession",
            {
                "checkSessionAuthenticator": _prop("string", "Authenticator"),
                "authenticationMethodLastUsedIn": _prop("number", "Used within (minutes)"),
                **_NODE_TITLE,
            },
        ),
    ),
)

_COMPARISON = {
    "leftValueA": _prop("string", "Value A", required=True),
    "rightValueB": _prop("string", "Value B"),
    **_NODE_TITLE,
}
_VALUE_FUNCTION = {"value": _prop("string", "Value", required=True), **_NODE_TITLE}

_FUNCTIONS = ConnectorSpec(
    id="functionsConnector",
    name="Functions",
    capabilities=_capabilities(
        CapabilitySpec("AEqualsB", _COMPARISON),
        CapabilitySpec("ANotEqualsB", _COMPARISON),
        CapabilitySpec(
            "AEqualsMultipleB", {**_COMPARISON, "rightValueMultipleB": _prop("array", "Values B")}
        ),
        CapabilitySpec("AGreaterThanB", _COMPARISON),
        CapabilitySpec("AGreaterThanOrEqualToB", _COMPARISON),
        CapabilitySpec("ALessThanB", _COMPARISON),
        CapabilitySpec("ALessThanOrEqualToB", _COMPARISON),
        CapabilitySpec("AContainsB", _COMPARISON),
        CapabilitySpec("AIsEmpty", {"leftValueA": _prop("string", "Value A"), **_NODE_TITLE}),
        CapabilitySpec("toLowerCase", _VALUE_FUNCTION),
        CapabilitySpec("toUpperCase", _VALUE_FUNCTION),
        CapabilitySpec("trim", _VALUE_FUNCTION),
        CapabilitySpec("length", _VALUE_FUNCTION),
        CapabilitySpec(
            "concatenate",
            {
                "values": _prop("array", "Values", required=True),
                "separator": _prop("string", "Separator"),
                **_NODE_TITLE,
            },
        ),
        CapabilitySpec(
            "generateRandomString", {"length": _prop("number", "Length"), **_NODE_TITLE}
        ),
    ),
)

_SAVE_VARIABLES = {"saveVariables": _prop("array", "Variables", required=True), **_NODE_TITLE}

_VARIABLES = ConnectorSpec(
    id="variablesConnector",
    name="Variables",
    capabilities=_capabilities(
        CapabilitySpec("saveValue", _SAVE_VARIABLES),
        CapabilitySpec("saveValueUserInfo", _SAVE_VARIABLES),
        CapabilitySpec(
            "saveFlowValue",
            {"saveFlowVariables": _prop("array", "Flow Variables", required=True), **_NODE_TITLE},
        ),
    ),
)

_ERROR = ConnectorSpec(
    id="errorConnector",
    name="Error Message",
    capabilities=_capabilities(
        CapabilitySpec(
            "customErrorMessage",
            {
                "errorMessage": _prop("string", "Error Message", required=True),
                "errorDescription": _prop("string", "Error Description"),
                **_NODE_TITLE,
            },
        ),
    ),
)

_SUB_FLOW = {
    "subFlowId": _prop("object", "Sub-flow", required=True),
    "subFlowVersionId": _prop("number", "Sub-flow Version"),
    "subFlowParameters": _prop("array", "Input Parameters"),
    **_NODE_TITLE,
}

_FLOW = ConnectorSpec(
    id="flowConnector",
    name="Flow Conductor",
    capabilities=_capabilities(
        CapabilitySpec("startUiSubFlow", _SUB_FLOW),
        CapabilitySpec("startSubFlow", _SUB_FLOW),
        CapabilitySpec(
            "returnSuccessResponse",
            {"returnFields": _prop("array", "Output Fields"), **_NODE_TITLE},
        ),
        CapabilitySpec(
            "returnErrorResponse",
            {"errorMessage": _prop("string", "Error Message"), **_NODE_TITLE},
        ),
    ),
)

_NODE = ConnectorSpec(
    id="nodeConnector",
    name="Node",
    capabilities=_capabilities(
        CapabilitySpec(
            "startNode", {"inputSchema": _prop("string", "Input Schema"), **_NODE_TITLE}
        ),
        CapabilitySpec(
            "goToNode",
            {"nodeInstanceId": _prop("string", "Node", required=True), **_NODE_TITLE},
        ),
    ),
)

_ANNOTATION = ConnectorSpec(
    id="annotationConnector",
    name="Annotation",
    capabilities=_capabilities(
        CapabilitySpec(
            "updateAnnotationProperties",
            {
                "annotation": _prop("string", "Annotation"),
                "backgroundColor": _prop("string", "Background Color"),
                "width": _prop("number", "Width"),
                "height": _prop("number", "Height"),
            },
        ),
    ),
)

_CONNECTORS: tuple[ConnectorSpec, ...] = (
    _HTTP,
    _PINGONE_SSO,
    _PINGONE_AUTHENTICATION,
    _FUNCTIONS,
    _VARIABLES,
    _ERROR,
    _FLOW,
    _NODE,
    _ANNOTATION,
)
_BY_ID = {connector.id: connector for connector in _CONNECTORS}


def connectors() -> list[ConnectorSpec]:
    """Every connector Gatehouse implements, in a stable order."""
    return list(_CONNECTORS)


def find(connector_id: str) -> ConnectorSpec | None:
    return _BY_ID.get(connector_id)
