"""The scenario schema as JSON Schema, for editors and other tools."""

from __future__ import annotations

from typing import Any

from twin.scenario.schema import Scenario

__all__ = ["JSON_SCHEMA_DIALECT", "scenario_json_schema"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def scenario_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a scenario file.

    Editors such as VS Code (with the YAML extension) use it to complete keys and show each
    field's unit and bounds while a scenario is written.

    Returns
    -------
    dict
        A new JSON-serialisable dictionary with ``$schema``, ``title``, ``description``,
        ``properties`` and ``$defs``; every field has a ``description``.

    Examples
    --------
    >>> schema = scenario_json_schema()
    >>> schema["properties"]["lighting"]["description"]
    'streetlights'
    """
    schema = Scenario.model_json_schema(mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": "twin scenario"}
