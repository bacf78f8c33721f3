"""Pictures of runs: the day at a glance (more plots, animations and the report follow)."""
