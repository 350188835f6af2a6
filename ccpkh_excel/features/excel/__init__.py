"""The macro-enabled master: dashboard, buttons and the VBA project."""
