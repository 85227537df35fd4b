"""Gatehouse: a self-hostable identity platform compatible with the PingOne Platform API."""

__version__ = "0.1.0"
