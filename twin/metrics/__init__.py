"""What a run measured: key performance indicators and the run's tables."""
