"""Synthetic residents, their daily activity plans, mode choice, and explicit trip tables."""
