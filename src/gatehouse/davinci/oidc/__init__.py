"""DaVinci as an OpenID provider: authorize (each flow screen an HTML page), token, userinfo, JWKS and discovery under /{envId}/davinci."""
