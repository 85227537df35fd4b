""""""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Resources"])
