"""The query parameters of collection endpoints: filter, limit, cursor, order."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query


@dataclass
class ListQuery:
    filter: str | None
    limit: int | None
    cursor: str | None
    order: str | None

    def echo(self) -> dict[str, str | int | None]:
        """The parameters a `next` link repeats."""
        return {"filter": self.filter, "limit": self.limit, "order": self.order}


def list_query(
    filter_: str | None = Query(None, alias="filter", description="A SCIM filter expression."),
    limit: int | None = Query(None, description="The page size (1-1000)."),
    cursor: str | None = Query(
        None, description="The cursor of the next page, from `_links.next`."
    ),
    order: str | None = Query(
        None, description="The attribute to order by; `-` first for descending."
    ),
) -> ListQuery:
    return ListQuery(filter_, limit, cursor, order)
