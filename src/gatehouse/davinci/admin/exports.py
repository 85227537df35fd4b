"""DaVinci flow export documents (the JSON DaVinci's "Download flow" and its legacy API write, as
in the reference exports): exporting a flow version, and importing one document or the
multi-flow form `{flows: [...], companyId, customerId}`.

Import gives every flow a new id and rewrites the export's flow ids (sub-flow references,
`parentFlowId`, flow variable names) and its companyId to the new ones, so an export of the
result equals the original but for ids and timestamps. The imported graph keeps its version
number (`versionId`) and is deployed when `publishedVersion` names it; fields Gatehouse does not
model are kept with the version and written back on export.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import Detail, invalid_data
from gatehouse.common.ids import new_id
from gatehouse.crypto.sealing import Sealer
from gatehouse.davinci.admin.flows import connector_ids, get_version_number, new_flow, save_version
from gatehouse.davinci.admin.schemas import MAX_INT
from gatehouse.davinci.admin.validation import data_of, nodes_of
from gatehouse.davinci.lookup import parse_id
from gatehouse.davinci.models import DavinciFlow, DavinciFlowVersion, DavinciVariable
from gatehouse.environments.models import Environment

INVALID = "The request could not be completed. One or more validation errors were in the request."
SEPARATOR = "##SK##"
MODELED = {
    "companyId",
    "customerId",
    "flowId",
    "name",
    "description",
    "flowStatus",
    "currentVersion",
    "publishedVersion",
    "versionId",
    "createdDate",
    "updatedDate",
    "deployedDate",
    "savedDate",
    "connectorIds",
    "flowColor",
    "settings",
    "inputSchema",
    "outputSchema",
    "trigger",
    "graphData",
    "variables",
}
SHAPES: dict[str, type | tuple[type, ...]] = {
    "variables": list,
    "settings": dict,
    "inputSchema": list,
    "outputSchema": dict,
    "trigger": dict,
    "description": str,
    "flowColor": str,
    "flowStatus": str,
}
LENGTHS = {"description": 1024, "flowColor": 32}
VARIABLE_TYPES = {"boolean", "number", "object", "secret", "string"}
VARIABLE_CONTEXTS = {"company", "flow", "flowInstance", "user"}


def epoch_ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


# --- export ---------------------------------------------------------------------------------------


async def export_flow(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    flow: DavinciFlow,
    version: DavinciFlowVersion,
    *,
    include_sub_flows: bool,
    include_variable_values: bool,
) -> dict[str, Any]:
    """The export document of one flow version; with `include_sub_flows`, the multi-flow form
    holding it and every flow it calls (directly or not), each at the version the call names
    (`subFlowVersionId`), or else its deployed version, or else its current one."""
    main = await flow_document(session, sealer, environment, flow, version, include_variable_values)
    if not include_sub_flows:
        return main
    documents = [main]
    seen = {flow.id}
    pending = sub_flow_calls(version.graph_data)
    while pending:
        sub_id, pinned = pending.pop(0)
        sub = await session.get(DavinciFlow, sub_id)
        if sub is None or sub.environment_id != environment.id or sub.id in seen:
            continue
        seen.add(sub.id)
        sub_version = await _called_version(session, sub, pinned)
        documents.append(
            await flow_document(
                session, sealer, environment, sub, sub_version, include_variable_values
            )
        )
        pending.extend(sub_flow_calls(sub_version.graph_data))
    return {"flows": documents, "companyId": main["companyId"], "customerId": main["customerId"]}


async def _called_version(
    session: AsyncSession, flow: DavinciFlow, pinned: int | None
) -> DavinciFlowVersion:
    if pinned is not None:
        found = await session.scalar(
            sa.select(DavinciFlowVersion).where(
                DavinciFlowVersion.flow_id == flow.id, DavinciFlowVersion.version == pinned
            )
        )
        if found is not None:
            return found
    number = flow.deployed_version if flow.deployed_version is not None else flow.current_version
    return await get_version_number(session, flow, number)


def sub_flow_calls(graph_data: dict[str, Any]) -> list[tuple[uuid.UUID, int | None]]:
    """The flows a graph's flowConnector nodes call (`properties.subFlowId.value.value`), with
    the version a call pins (`subFlowVersionId` of 0 or more; -1 means the deployed one)."""
    found: list[tuple[uuid.UUID, int | None]] = []
    for node in nodes_of(graph_data):
        data = data_of(node)
        properties = data.get("properties")
        if data.get("connectorId") != "flowConnector" or not isinstance(properties, dict):
            continue
        target = _value(_value(properties.get("subFlowId")))
        parsed = parse_id(target) if isinstance(target, str) else None
        pinned = _value(properties.get("subFlowVersionId"))
        version = _integer(pinned) if _integer(pinned) is not None and pinned >= 0 else None
        if parsed is not None and all(parsed != known for known, _ in found):
            found.append((parsed, version))
    return found


def _value(holder: Any) -> Any:
    """`{value: x}` -> x (DaVinci's property form); anything else as it is."""
    return holder.get("value") if isinstance(holder, dict) else holder


async def flow_document(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    flow: DavinciFlow,
    version: DavinciFlowVersion,
    include_variable_values: bool,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        **version.extras,
        "companyId": str(environment.id),
        "customerId": environment.organization_id.hex,
        "flowId": flow.id.hex,
        "name": flow.name,
        "flowStatus": "enabled" if flow.enabled else "disabled",
        "currentVersion": flow.current_version,
        "versionId": version.version,
        "createdDate": epoch_ms(flow.created_at),
        "updatedDate": epoch_ms(flow.updated_at),
        "savedDate": epoch_ms(version.created_at),
        "connectorIds": connector_ids(version.graph_data),
        "graphData": version.graph_data,
        "variables": await export_variables(
            session, sealer, flow, version, include_variable_values
        ),
    }
    optional = {
        "description": flow.description,
        "flowColor": flow.color,
        "publishedVersion": flow.deployed_version,
        "deployedDate": epoch_ms(flow.deployed_at),
        "settings": version.settings or None,
        "inputSchema": version.input_schema or None,
        "outputSchema": version.output_schema,
        "trigger": version.trigger,
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    return document


async def export_variables(
    session: AsyncSession,
    sealer: Sealer,
    flow: DavinciFlow,
    version: DavinciFlowVersion,
    include_values: bool,
) -> list[dict[str, Any]]:
    """The flow's own variables, and the environment's other variables whose name the graph
    mentions as a whole word; by name. Secret values are never exported."""
    graph_text = json.dumps(version.graph_data)
    rows = await session.scalars(
        sa.select(DavinciVariable).where(
            DavinciVariable.environment_id == flow.environment_id,
            sa.or_(DavinciVariable.flow_id == flow.id, DavinciVariable.flow_id.is_(None)),
        )
    )
    chosen = [
        row
        for row in rows
        if row.flow_id == flow.id
        or re.search(rf"(?<![\w]){re.escape(row.name)}(?![\w])", graph_text)
    ]
    chosen.sort(key=lambda row: (row.name, row.context))
    return [legacy_variable(row, sealer, include_values) for row in chosen]


def legacy_variable(row: DavinciVariable, sealer: Sealer, include_value: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": row.data_type, "displayName": row.display_name or ""}
    if row.mutable:
        fields["mutable"] = True
    if row.minimum is not None:
        fields["min"] = row.minimum
    if row.maximum is not None:
        fields["max"] = row.maximum
    if include_value and row.data_type != "secret" and row.current_value(sealer) is not None:
        fields["value"] = row.current_value(sealer)
    name = f"{row.name}{SEPARATOR}{row.context}"
    body: dict[str, Any] = {
        "context": row.context,
        "createdDate": epoch_ms(row.created_at),
        "fields": fields,
        "id": str(row.id),
        "type": "property",
        "visibility": "private",
        "companyId": str(row.environment_id),
    }
    if row.flow_id is not None:
        name = f"{name}{SEPARATOR}{row.flow_id.hex}"
        body["flowId"] = row.flow_id.hex
    body["name"] = name
    return body


# --- import ---------------------------------------------------------------------------------------


def documents_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The flow documents of an export: `flows` of the multi-flow form, or the body itself."""
    if "flows" in body:
        flows = body["flows"]
        if not isinstance(flows, list) or not flows:
            raise invalid_data(INVALID, Detail("INVALID_VALUE", "flows must not be empty", "flows"))
        return flows
    return [body]


def _check_document(document: Any, target: str) -> list[Detail]:
    if not isinstance(document, dict):
        return [Detail("INVALID_VALUE", "A flow export must be an object.", target)]
    problems = []
    name = document.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 256:
        problems.append(
            Detail("INVALID_VALUE", "name must be 1 to 256 characters", f"{target}name")
        )
    graph = document.get("graphData")
    elements = graph.get("elements") if isinstance(graph, dict) else None
    if not isinstance(elements, dict) or not isinstance(elements.get("nodes", []), list):
        problems.append(
            Detail("INVALID_VALUE", "graphData.elements.nodes must be a list", f"{target}graphData")
        )
    for key in ("versionId", "currentVersion", "publishedVersion"):
        value = document.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            problems.append(Detail("INVALID_VALUE", f"{key} must be an integer", f"{target}{key}"))
        elif isinstance(value, int) and not 0 <= value <= 1_000_000_000:
            problems.append(Detail("OUT_OF_RANGE", f"{key} must not be negative", f"{target}{key}"))
    for key, kind in SHAPES.items():
        value = document.get(key)
        if value is not None and not isinstance(value, kind):
            problems.append(Detail("INVALID_VALUE", f"{key} has the wrong type", f"{target}{key}"))
    for key, limit in LENGTHS.items():
        value = document.get(key)
        if isinstance(value, str) and len(value) > limit:
            message = f"{key} must be at most {limit} characters"
            problems.append(Detail("SIZE_LIMIT_EXCEEDED", message, f"{target}{key}"))
    return problems


async def import_export(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, body: dict[str, Any]
) -> list[DavinciFlow]:
    """Create the flows of an export (all or none); returns them in the export's order."""
    documents = documents_of(body)
    multiple = "flows" in body
    problems = [
        problem
        for index, document in enumerate(documents)
        for problem in _check_document(document, f"flows[{index}]." if multiple else "")
    ]
    problems.extend(_duplicate_flow_ids(documents))
    if problems:
        raise invalid_data(INVALID, *problems)
    renames = _renames(documents, environment_id)
    flows = []
    for document in documents:
        rewritten = _rewrite(document, renames)
        flows.append(await _import_flow(session, sealer, environment_id, rewritten))
    return flows


def _duplicate_flow_ids(documents: list[dict[str, Any]]) -> list[Detail]:
    seen: set[str] = set()
    problems = []
    for index, document in enumerate(documents):
        flow_id = document.get("flowId") if isinstance(document, dict) else None
        if isinstance(flow_id, str) and flow_id in seen:
            message = "Two flows of the export have the same flowId."
            problems.append(Detail("INVALID_VALUE", message, f"flows[{index}].flowId"))
        if isinstance(flow_id, str):
            seen.add(flow_id)
    return problems


def _renames(documents: list[dict[str, Any]], environment_id: uuid.UUID) -> dict[str, str]:
    """Old id -> new id, for every flow of the export and the exporting company. Only values that
    are ids (32 hex or a UUID) are rewritten: a short or free-form value could occur in text."""
    renames: dict[str, str] = {}
    for document in documents:
        old = document.get("flowId")
        if isinstance(old, str) and parse_id(old) is not None:
            renames[old] = new_id().hex
        company = document.get("companyId")
        if isinstance(company, str) and parse_id(company) is not None:
            renames[company] = str(environment_id)
    return renames


def _rewrite(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    if not renames:
        return document
    pattern = re.compile("|".join(re.escape(old) for old in sorted(renames, key=len, reverse=True)))
    text = pattern.sub(lambda match: renames[match.group(0)], json.dumps(document))
    return json.loads(text)


async def _import_flow(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, document: dict[str, Any]
) -> DavinciFlow:
    flow = new_flow(environment_id, document["name"])
    flow_id = document.get("flowId")
    if isinstance(flow_id, str) and parse_id(flow_id) is not None:
        flow.id = uuid.UUID(flow_id)  # already rewritten to a new id
    flow.description = document.get("description")
    flow.color = document.get("flowColor")
    flow.enabled = document.get("flowStatus", "enabled") == "enabled"
    session.add(flow)
    await session.flush()
    number = document.get("versionId") or document.get("currentVersion") or 1
    content = {key: document.get(key) for key in ("graphData", "settings", "trigger")}
    content["inputSchema"] = document.get("inputSchema")
    content["outputSchema"] = document.get("outputSchema")
    extras = {key: value for key, value in document.items() if key not in MODELED}
    save_version(session, flow, number, content, extras)
    if document.get("publishedVersion") == number:
        flow.deployed_version = number
        flow.deployed_at = clock.now()
    for variable in document.get("variables") or []:
        await _import_variable(session, sealer, flow, variable)
    await session.flush()
    return flow


async def _import_variable(
    session: AsyncSession, sealer: Sealer, flow: DavinciFlow, legacy: Any
) -> None:
    """A flow variable of the export becomes one of the new flow; another context's variable is
    created unless the environment already has one of that name and context."""
    if not isinstance(legacy, dict):
        return
    context = legacy.get("context")
    raw_name = legacy.get("name")
    name = raw_name.split(SEPARATOR)[0] if isinstance(raw_name, str) else ""
    fields = legacy.get("fields") if isinstance(legacy.get("fields"), dict) else {}
    if not isinstance(context, str) or context not in VARIABLE_CONTEXTS or not name:
        return
    flow_id = flow.id if context == "flow" else None
    if flow_id is None:
        existing = await session.scalar(
            sa.select(DavinciVariable.id).where(
                DavinciVariable.environment_id == flow.environment_id,
                DavinciVariable.name == name,
                DavinciVariable.context == context,
                DavinciVariable.flow_id.is_(None),
            )
        )
        if existing is not None:
            return
    declared = fields.get("type")
    data_type = declared if isinstance(declared, str) and declared in VARIABLE_TYPES else "string"
    display_name = fields.get("displayName")
    variable = DavinciVariable(
        id=new_id(),
        environment_id=flow.environment_id,
        name=name[:256],
        context=context,
        data_type=data_type,
        mutable=fields.get("mutable") is True,
        display_name=display_name[:256] if isinstance(display_name, str) else "",
        flow_id=flow_id,
        minimum=_integer(fields.get("min")),
        maximum=_integer(fields.get("max")),
    )
    value = fields.get("value")
    if data_type == "secret" and not isinstance(value, str):
        value = None
    variable.set_value(sealer, value)
    session.add(variable)
    await session.flush()


def _integer(value: Any) -> int | None:
    """An integer that fits a 32-bit column, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT:
        return value
    return None
