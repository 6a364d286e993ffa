"""The example companies' operational systems, synthetic and deterministic. Each subpackage is
a simulator a project names by its module path (see `armazem.project.simulator`)."""
