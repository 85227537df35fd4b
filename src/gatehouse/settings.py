"""Every knob Gatehouse has, read from GATEHOUSE_* environment variables (and nowhere else)."""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEHOUSE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/gatehouse.db"
    data_dir: Path = Path("./var")
    # Base64 of 32 random bytes. Encrypts private keys and shown-again secrets at rest, and keys
    # the fast client-secret digests. Nodes sharing a database must share this key. When unset, a
    # key is generated once under data_dir (fine for one machine).
    secret_key: str | None = None

    # Public base URLs (DESIGN.md "URL layout"). Unset: derived from the request.
    api_base_url: str | None = None
    auth_base_url: str | None = None
    orchestrate_base_url: str | None = None
    scim_base_url: str | None = None

    # The audience of the PingOne API resource in every new environment.
    api_audience: str = "https://api.pingone.com"

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    # One log line per request (uvicorn's access log): off by default, it costs every request
    # about as much as a database query does.
    access_log: bool = False

    db_pool_size: int = 10
    db_max_overflow: int = 10
    # PostgreSQL pool, per worker process: how long a request waits for a free connection, and
    # whether each checkout first tests its connection (one round trip; survives a database
    # restart without failed requests).
    db_pool_timeout: float = Field(default=30.0, gt=0)
    db_pool_pre_ping: bool = True
    db_echo: bool = False

    management_token_lifetime: int = Field(default=3600, ge=60, le=86400)
    # Sign-on: flows expire after this long idle; codes are short-lived; sessions (the ST cookie).
    flow_idle_seconds: int = Field(default=900, ge=60)
    authorization_code_seconds: int = Field(default=60, ge=10, le=600)
    session_idle_seconds: int = Field(default=28800, ge=60)
    session_max_seconds: int = Field(default=2592000, ge=60)
    # Housekeeping (housekeeping.py): expired rows deleted every this many seconds, at most this
    # many per table per run (0: never); outbox messages kept this long (0: kept).
    purge_interval_seconds: int = Field(default=300, ge=0)
    purge_batch_size: int = Field(default=500, ge=1, le=100000)
    outbox_retention_seconds: int = Field(default=604800, ge=0)
    # Send cookies with `Secure`. Unset: only when the request came over https.
    cookie_secure: bool | None = None

    # Outgoing e-mail (verification and recovery codes). Unset host: messages only go to the
    # outbox (development), which admins and tests read.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Gatehouse <noreply@gatehouse.local>"
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0

    # Outbound requests (identity providers, applications' jwksUrl, phone providers, DaVinci HTTP
    # calls, environments' SMTP servers; federation/outbound.py): https only and public addresses
    # only, unless allowed here (development, tests, servers on a private network). Each request
    # is given this long in all.
    outbound_allow_http: bool = False
    outbound_allow_private: bool = False
    outbound_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # A PEM file of certificate authorities trusted for outbound https besides certifi's.
    outbound_ca_file: Path | None = None
    # The social provider types' endpoints that replace their real ones (federation/social.py):
    # a JSON object {"FACEBOOK": {"authorizationEndpoint": "...", "tokenEndpoint": "...",
    # "userInfoEndpoint": "..."}, ...}. For tests and development against a local OAuth server.
    federation_endpoints: dict[str, dict[str, str]] = Field(default_factory=dict)

    # WebAuthn (FIDO2 devices): the relying party id and the origins ceremonies may come from.
    # Unset: the host and origin of GATEHOUSE_AUTH_BASE_URL (else http://localhost:<port>).
    webauthn_rp_id: str | None = None
    webauthn_rp_name: str = "Gatehouse"
    # comma-separated
    webauthn_origins: str | None = None

    # argon2id at OWASP's recommended parameters (m=19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    @field_validator("api_base_url", "auth_base_url", "orchestrate_base_url", "scim_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("federation_endpoints")
    @classmethod
    def _known_endpoints(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        from gatehouse.federation.social import overrides_problem

        problem = overrides_problem(value)
        if problem:
            raise ValueError(f"GATEHOUSE_FEDERATION_ENDPOINTS: {problem}")
        return value

    def master_key(self) -> bytes:
        if self.secret_key:
            key = base64.urlsafe_b64decode(self.secret_key + "=" * (-len(self.secret_key) % 4))
            if len(key) != 32:
                raise ValueError("GATEHOUSE_SECRET_KEY must be the base64 of exactly 32 bytes")
            return key
        return _key_from_file(self.data_dir / "master.key")


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return base64.urlsafe_b64decode(path.read_text().strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
