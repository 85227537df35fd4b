"""/v1/roles and the role assignments of users, applications and groups."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["Roles"])
