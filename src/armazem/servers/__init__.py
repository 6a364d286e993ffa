"""Local servers the platform and its tests can start on demand (no system services needed)."""
