"""The companies' operational systems, synthetic and deterministic."""
