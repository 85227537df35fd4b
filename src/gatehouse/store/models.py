"""Imports every context's models so the metadata (and Alembic) sees all tables."""

from gatehouse.access import models as access_models
from gatehouse.applications import models as applications_models
from gatehouse.crypto import models as crypto_models
from gatehouse.davinci import models as davinci_models
from gatehouse.davinci.runtime import models as davinci_runtime_models
from gatehouse.directory import models as directory_models
from gatehouse.environments import models as environments_models
from gatehouse.federation import models as federation_models
from gatehouse.federation.saml import models as federation_saml_models
from gatehouse.flows import models as flows_models
from gatehouse.keys import models as keys_models
from gatehouse.mfa import models as mfa_models
from gatehouse.notifications import models as notifications_models
from gatehouse.oauth import models as oauth_models
from gatehouse.policies import models as policies_models
from gatehouse.resources import models as resources_models
from gatehouse.sessions import models as sessions_models
from gatehouse.store.base import Base

__all__ = [
    "Base",
    "access_models",
    "applications_models",
    "crypto_models",
    "davinci_models",
    "davinci_runtime_models",
    "directory_models",
    "environments_models",
    "federation_models",
    "federation_saml_models",
    "flows_models",
    "keys_models",
    "mfa_models",
    "notifications_models",
    "oauth_models",
    "policies_models",
    "resources_models",
    "sessions_models",
]
