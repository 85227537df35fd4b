"""Every router Gatehouse serves, in one list."""

from gatehouse.access.routes import router as access
from gatehouse.applications.routes import router as applications
from gatehouse.directory.groups.routes import router as groups
from gatehouse.directory.password_policies.routes import router as password_policies
from gatehouse.directory.passwords.routes import router as passwords
from gatehouse.directory.populations.routes import router as populations
from gatehouse.directory.schema.routes import router as schema
from gatehouse.directory.users.routes import router as users
from gatehouse.environments.routes import router as environments
from gatehouse.oauth.routes import router as oauth
from gatehouse.policies.routes import router as policies
from gatehouse.resources.routes import router as resources

ROUTERS = [
    environments,
    access,
    populations,
    users,
    passwords,
    password_policies,
    groups,
    schema,
    applications,
    resources,
    policies,
    oauth,
]
