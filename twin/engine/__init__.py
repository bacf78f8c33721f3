"""The simulation engines: the sun clock, traffic (mesoscopic queues) and lighting.

Engines own the hot state of many agents in NumPy arrays and advance all of them at once.
"""
