"""/v1/environments/{environmentId}/keys and /certificates: key pairs (generated or imported from
PKCS#12) and certificates (imported from PEM, DER or PKCS#7), each downloadable as its
certificate (PEM or PKCS#7) by the Accept header."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import clock, hal
from gatehouse.common.bodies import JSON, body_doc, media_type_of, read_model, validate
from gatehouse.common.errors import (
    Detail,
    Problem,
    invalid_data,
    required_value,
    unsupported_media_type,
)
from gatehouse.common.schemas import Collection, RequestModel, ref
from gatehouse.crypto.models import SigningKey
from gatehouse.keys import certificates, service
from gatehouse.keys.models import Certificate
from gatehouse.keys.schemas import (
    CertificateImport,
    CertificateUpload,
    CertificateView,
    KeyCreate,
    KeyImport,
    KeyUpdate,
    KeyUpload,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Certificate Management"])

MULTIPART = "multipart/form-data"
PEM_FILE = "application/x-pem-file"
X509 = "application/x-x509-ca-cert"
PKCS7 = "application/x-pkcs7-certificates"
DOWNLOADS = (PEM_FILE, X509, PKCS7)
JSON_TYPES = (JSON, "application/hal+json", "application/*", "*/*")
DOWNLOAD_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "model": CertificateView,
        "content": {
            PEM_FILE: {"schema": {"type": "string"}},
            X509: {"schema": {"type": "string"}},
            PKCS7: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
KEY = "/keys/{key_id}"
CERTIFICATE = "/certificates/{certificate_id}"

F = TypeVar("F", bound=RequestModel)


def render(row: SigningKey | Certificate, ctx: Admin, path: str) -> dict[str, Any]:
    view = CertificateView(
        id=row.id,
        environment=ref(row.environment_id),
        name=row.name,
        algorithm=row.key_type,
        key_length=row.key_length,
        signature_algorithm=row.signature_algorithm,
        subject_dn=row.subject_dn,
        issuer_dn=row.issuer_dn,
        serial_number=_serial(row.serial_number),
        usage_type=row.usage_type,
        validity_period=(row.expires_at - row.starts_at).days,
        status=certificates.status(row.starts_at, row.expires_at, clock.now()),
        default=row.is_default if isinstance(row, SigningKey) else None,
        starts_at=row.starts_at,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )
    return hal.resource(view, ctx.href(f"{path}/{row.id}"), environment=ctx.href())


def _serial(decimal: str) -> int | str:
    value = int(decimal)
    return value if value < 2**63 else decimal


def download(row: SigningKey | Certificate, request: Request) -> Response | None:
    """The certificate in the format the Accept header asks for; None for the JSON resource."""
    media_type = _accepted_download(request.headers.get("accept", ""))
    if media_type is None:
        return None
    if media_type == PKCS7:
        content = certificates.pkcs7_der(certificates.load_pem(row.certificate_pem))
        return Response(content, media_type=PKCS7)
    return Response(row.certificate_pem.encode(), media_type=media_type)


def _accepted_download(accept: str) -> str | None:
    """The first certificate format in the Accept header, unless JSON comes before it."""
    for item in accept.split(","):
        media_type = item.split(";", 1)[0].strip().lower()
        if media_type in DOWNLOADS:
            return media_type
        if media_type in JSON_TYPES:
            return None
    return None


async def read_upload(request: Request, model: type[F]) -> tuple[bytes, F]:
    """A multipart/form-data body: its `file` (at most 1 MiB) and its other fields."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * certificates.MAX_FILE_BYTES:
        raise Problem(413, "INVALID_REQUEST", "The request body is too large.")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except (HTTPException, MultiPartException) as error:
        message = f"The multipart body is malformed: {getattr(error, 'detail', error)}"
        raise Problem(400, "INVALID_REQUEST", message) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise required_value("file")
        content = await upload.read(certificates.MAX_FILE_BYTES + 1)
    finally:
        await form.close()
    if len(content) > certificates.MAX_FILE_BYTES:
        raise invalid_data(
            "The request could not be completed. One or more validation errors were in the "
            "request.",
            Detail("SIZE_LIMIT_EXCEEDED", "The file is larger than 1 MiB.", "file"),
        )
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    return content, validate(model, fields)


# Keys


@router.get("/keys", responses={200: {"model": Collection}})
async def list_keys(ctx: Admin = admin("keys:read")) -> hal.HalResponse:
    rows = await service.list_keys(ctx.session, ctx.environment_id)
    return hal.ok(
        hal.collection("keys", [render(row, ctx, "/keys") for row in rows], ctx.href("/keys"))
    )


@router.post(
    "/keys",
    status_code=201,
    responses={201: {"model": CertificateView}},
    openapi_extra=body_doc({JSON: KeyCreate, MULTIPART: KeyUpload}),
)
async def create_key(request: Request, ctx: Admin = admin("keys:create")) -> hal.HalResponse:
    """application/json generates a key pair; multipart/form-data imports a PKCS#12 file."""
    media_type = media_type_of(request)
    sealer = ctx.runtime.sealer
    if media_type == MULTIPART:
        content, fields = await read_upload(request, KeyImport)
        row = await service.import_key(ctx.session, sealer, ctx.environment_id, content, fields)
    elif media_type == JSON:
        data = await read_model(request, KeyCreate)
        row = await service.generate_key(ctx.session, sealer, ctx.environment_id, data)
    else:
        raise unsupported_media_type(media_type)
    return hal.created(render(row, ctx, "/keys"))


@router.get(KEY, responses=DOWNLOAD_DOC)
async def read_key(
    key_id: uuid.UUID, request: Request, ctx: Admin = admin("keys:read")
) -> Response:
    row = await service.get_key(ctx.session, ctx.environment_id, key_id)
    return download(row, request) or hal.ok(render(row, ctx, "/keys"))


@router.put(
    KEY, responses={200: {"model": CertificateView}}, openapi_extra=body_doc({JSON: KeyUpdate})
)
async def update_key(
    key_id: uuid.UUID, request: Request, ctx: Admin = admin("keys:update")
) -> hal.HalResponse:
    row = await service.get_key(ctx.session, ctx.environment_id, key_id)
    data = await read_model(request, KeyUpdate)
    row = await service.update_key(ctx.session, row, data)
    return hal.ok(render(row, ctx, "/keys"))


@router.delete(KEY, status_code=204, response_class=Response)
async def delete_key(key_id: uuid.UUID, ctx: Admin = admin("keys:delete")) -> Response:
    row = await service.get_key(ctx.session, ctx.environment_id, key_id)
    await service.delete_key(ctx.session, row)
    return hal.no_content()


# Certificates


@router.get("/certificates", responses={200: {"model": Collection}})
async def list_certificates(ctx: Admin = admin("keys:read")) -> hal.HalResponse:
    rows = await service.list_certificates(ctx.session, ctx.environment_id)
    items = [render(row, ctx, "/certificates") for row in rows]
    return hal.ok(hal.collection("certificates", items, ctx.href("/certificates")))


@router.post(
    "/certificates",
    status_code=202,
    responses={202: {"model": CertificateView}},
    openapi_extra=body_doc({MULTIPART: CertificateUpload}),
)
async def create_certificate(
    request: Request, ctx: Admin = admin("keys:create")
) -> hal.HalResponse:
    """Imports a certificate (202, as PingOne answers)."""
    media_type = media_type_of(request)
    if media_type != MULTIPART:
        raise unsupported_media_type(media_type)
    content, fields = await read_upload(request, CertificateImport)
    row = await service.import_certificate(ctx.session, ctx.environment_id, content, fields)
    return hal.ok(render(row, ctx, "/certificates"), status=202)


@router.get(CERTIFICATE, responses=DOWNLOAD_DOC)
async def read_certificate(
    certificate_id: uuid.UUID, request: Request, ctx: Admin = admin("keys:read")
) -> Response:
    row = await service.get_certificate(ctx.session, ctx.environment_id, certificate_id)
    return download(row, request) or hal.ok(render(row, ctx, "/certificates"))


@router.delete(CERTIFICATE, status_code=204, response_class=Response)
async def delete_certificate(
    certificate_id: uuid.UUID, ctx: Admin = admin("keys:delete")
) -> Response:
    row = await service.get_certificate(ctx.session, ctx.environment_id, certificate_id)
    await service.delete_certificate(ctx.session, row)
    return hal.no_content()
