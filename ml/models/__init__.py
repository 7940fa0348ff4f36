"""Model-specific code: how each checkpoint is built and how its output becomes notes."""
