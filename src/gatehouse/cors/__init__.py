"""Cross-origin resource sharing for the authorization and runtime endpoints (rules, middleware)."""
