"""Every router Gatehouse serves, in one list."""

from gatehouse.access.routes import router as access
from gatehouse.applications.routes import router as applications
from gatehouse.davinci.admin.application_routes import router as davinci_applications
from gatehouse.davinci.admin.assignment_routes import router as flow_policy_assignments
from gatehouse.davinci.admin.connector_routes import router as davinci_connectors
from gatehouse.davinci.admin.flow_routes import router as davinci_flows
from gatehouse.davinci.admin.variable_routes import router as davinci_variables
from gatehouse.davinci.oidc.routes import router as davinci_oidc
from gatehouse.davinci.runtime.routes import router as davinci_runtime
from gatehouse.directory.groups.routes import router as groups
from gatehouse.directory.password_policies.routes import router as password_policies
from gatehouse.directory.passwords.routes import router as passwords
from gatehouse.directory.populations.routes import router as populations
from gatehouse.directory.schema.routes import router as schema
from gatehouse.directory.users.routes import router as users
from gatehouse.environments.routes import router as environments
from gatehouse.federation.callback_routes import router as federated_sign_on
from gatehouse.federation.linked_accounts_routes import router as linked_accounts
from gatehouse.federation.routes import router as identity_providers
from gatehouse.federation.saml.routes import router as saml_sp
from gatehouse.flows.routes import router as flows
from gatehouse.keys.routes import router as keys
from gatehouse.mfa.policies.routes import router as mfa_policies
from gatehouse.mfa.routes import router as mfa_devices
from gatehouse.notifications.routes import router as notifications
from gatehouse.notifications.settings_routes import router as notification_settings
from gatehouse.notifications.template_routes import router as notification_templates
from gatehouse.oauth.routes import router as oauth
from gatehouse.oauth.signon_routes import router as signon
from gatehouse.policies.routes import router as policies
from gatehouse.resources.routes import router as resources
from gatehouse.saml.routes import router as saml_idp
from gatehouse.ui.routes import router as ui

ROUTERS = [
    environments,
    access,
    populations,
    users,
    passwords,
    password_policies,
    groups,
    schema,
    mfa_devices,
    mfa_policies,
    applications,
    resources,
    policies,
    identity_providers,
    linked_accounts,
    federated_sign_on,
    keys,
    oauth,
    signon,
    flows,
    notifications,
    notification_templates,
    notification_settings,
    davinci_applications,
    davinci_flows,
    davinci_connectors,
    davinci_variables,
    flow_policy_assignments,
    davinci_runtime,
    davinci_oidc,
    ui,
    saml_idp,
    saml_sp,
]
