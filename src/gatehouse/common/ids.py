"""The one place ids are made, so tests can control them."""

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()
