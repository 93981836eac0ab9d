"""The composition root: config, CLI, sync runs and the scheduled service."""
