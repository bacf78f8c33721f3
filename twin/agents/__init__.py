"""The Mesa agents of a city: residents, the vehicles they drive, buses and shuttles, and the streetlights.

Agents are the modelling and extension API: a researcher counts them by type
(``model.agents_by_type[Resident]``), inspects one, or subclasses one and hands the class to
:class:`twin.model.CityModel`. Their per-second state lives in the engines' arrays; an
agent's properties read it from there, so there is no per-agent Python work while the day
runs.
"""

from twin.agents.resident import Resident
from twin.agents.service_vehicle import ServiceVehicle
from twin.agents.streetlight import Streetlight
from twin.agents.vehicle import Vehicle

__all__ = ["Resident", "ServiceVehicle", "Streetlight", "Vehicle"]
