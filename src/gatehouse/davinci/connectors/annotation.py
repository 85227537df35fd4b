"""annotationConnector: canvas notes. The engine never runs them (they have no edges); the
capability exists so that a node reached some other way ends at once."""

from __future__ import annotations

from gatehouse.davinci.connectors.base import Done, NodeCall, Result
from gatehouse.davinci.connectors.registry import capability


@capability("annotationConnector", "updateAnnotationProperties")
async def update_annotation_properties(call: NodeCall) -> Result:
    return Done(True)
