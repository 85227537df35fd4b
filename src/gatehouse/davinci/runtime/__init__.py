"""The DaVinci runtime: interactions started by /as/authorize (pi.flow), by the API, or by DaVinci as an OpenID provider, and their continue requests."""
