"""One module per sign-on policy action type; each gives the engine its `START` functions (by
action type), its `TRANSITIONS` ((status, action) -> Transition) and its `EMBEDDED` content (by
status)."""
