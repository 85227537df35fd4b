"""The connectors the DaVinci engine runs."""
