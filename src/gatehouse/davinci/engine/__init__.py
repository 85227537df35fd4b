"""The DaVinci engine: graphs, references, state and the runner."""
