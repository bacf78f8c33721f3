"""Loading scenario files: defaults, paths, overrides, and one-line error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from twin._errors import ScenarioError, TwinError
from twin.scenario import Scenario, apply_overrides, load_scenario

MINIMAL: dict[str, Any] = {"name": "test town", "map": {"synthetic": {"kind": "grid"}}}


def with_(base: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """A copy of ``base`` with top-level keys replaced."""
    return {**base, **sections}


def error_of(path: Path, *, overrides: tuple[str, ...] = ()) -> str:
    """The message of the ScenarioError that loading ``path`` raises."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=overrides)
    return str(info.value)


def single_line(path: Path, *, overrides: tuple[str, ...] = ()) -> str:
    message = error_of(path, overrides=overrides)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    return message


# ------------------------------------------------------------------ valid files


def test_minimal_file_loads_with_defaults(write):
    s = load_scenario(write(MINIMAL))
    assert isinstance(s, Scenario)
    assert s.name == "test town"
    assert s.lighting.dim_level == 0.5
    assert s.population is not None and s.population.residents == 1000


def test_accepts_str_and_path(write):
    path = write(MINIMAL)
    assert load_scenario(str(path)) == load_scenario(path)


def test_scenario_error_is_a_value_error_and_twin_error(write):
    with pytest.raises(ValueError):
        load_scenario(write(with_(MINIMAL, seed=-1)))
    with pytest.raises(TwinError):
        load_scenario(write(with_(MINIMAL, seed=-1)))


def test_relative_paths_resolve_against_the_scenario_folder(write, tmp_path, monkeypatch):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "town.gpkg").write_bytes(b"")
    (tmp_path / "sc" / "data").mkdir(parents=True)
    (tmp_path / "sc" / "data" / "trips.csv").write_text("trip_id\n")
    data = with_(
        MINIMAL,
        map={"file": "../maps/town.gpkg"},
        demand={"trips": "data/trips.csv"},
        outputs={"dir": "out"},
    )
    path = write(data, name="sc/x.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scenario(path)
    assert s.map.file == tmp_path / "maps" / "town.gpkg"
    assert s.demand is not None and s.demand.trips == tmp_path / "sc" / "data" / "trips.csv"
    assert s.outputs.dir == tmp_path / "sc" / "out"
    assert s.population is None


def test_default_output_folder_is_next_to_the_scenario(write, tmp_path):
    assert load_scenario(write(MINIMAL)).outputs.dir == tmp_path / "runs"


def test_absolute_paths_are_kept(write, tmp_path):
    out = tmp_path / "abs_out"
    assert load_scenario(write(with_(MINIMAL, outputs={"dir": str(out)}))).outputs.dir == out


def test_missing_map_file_names_the_key_and_the_folder(write, tmp_path):
    message = single_line(write(with_(MINIMAL, map={"file": "nope.gpkg"})))
    assert "map.file: the map file" in message
    assert "nope.gpkg does not exist" in message
    assert str(tmp_path) in message


def test_missing_trip_table(write):
    message = single_line(write(with_(MINIMAL, demand={"trips": "trips.csv"})))
    assert ": demand.trips: the trip table" in message


def test_resolved_scenario_round_trips_through_yaml(write, tmp_path):
    data = with_(
        MINIMAL,
        interventions=[{"type": "led_retrofit", "name": "led", "power_ratio": 0.5}],
        lighting={"controller": "presence"},
    )
    first = load_scenario(write(data))
    dumped = yaml.safe_dump(first.model_dump(mode="json"))
    assert load_scenario(write(dumped, name="again/resolved.yaml")) == first


# ---------------------------------------------------------------- file problems


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "absent.yaml"
    assert "no such scenario file" in single_line(path)


def test_folder_instead_of_file(tmp_path):
    assert "is a folder" in single_line(tmp_path)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file(write, text):
    assert "the file is empty" in single_line(write(text))


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_not_a_mapping(write, text):
    assert "the top level must be key: value settings" in single_line(write(text))


def test_yaml_syntax_error_gives_the_line(write):
    path = write("name: x\nmap:\n  synthetic: {kind: grid}\nlighting:\n  dim_level: [0.3\n")
    message = single_line(path)
    assert "line 6" in message or "line 5" in message, message
    assert "check the indentation" in message


def test_bad_indentation_gives_the_line(write):
    path = write("name: x\nmap:\n  synthetic:\n    kind: grid\n   rows: 3\n")
    assert "line 5, column 4" in single_line(path)


def test_duplicate_key_is_an_error(write):
    path = write("name: x\nmap:\n  synthetic: {kind: grid}\nname: y\n")
    message = single_line(path)
    assert "line 4" in message and "duplicate key 'name'" in message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Mönchengladbach\n".encode("latin-1"))
    assert "not UTF-8" in single_line(path)


# -------------------------------------------------------------- value problems


def test_value_above_bound(write):
    path = write(with_(MINIMAL, lighting={"dim_level": 1.4}))
    assert single_line(path) == (
        f"{path}: lighting.dim_level: 1.4 is above 1.0 (a fraction of full power); "
        "use a value from 0.0 to 1.0"
    )


def test_value_below_strict_bound(write):
    path = write(with_(MINIMAL, step_s=0))
    message = single_line(path)
    assert "step_s: 0 must be above 0.0" in message
    assert "use a value above 0.0 and at most 3600.0" in message


def test_bound_inside_a_synthetic_town_has_no_kind_in_the_path(write):
    path = write(with_(MINIMAL, map={"synthetic": {"kind": "grid", "rows": 1}}))
    assert f"{path}: map.synthetic.rows: 1 is below 2 (number of east-west streets)" in (
        single_line(path)
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"seed": "abc"}, "seed: 'abc' is not a whole number"),
        ({"seed": 1.5}, "seed: 1.5 is not a whole number"),
        ({"step_s": "fast"}, "step_s: 'fast' is not a number"),
        ({"step_s": float("inf")}, "step_s: inf is not a finite number"),
        ({"outputs": {"person_level": "maybe"}}, "outputs.person_level: 'maybe' is not true"),
        ({"name": 2026}, "name: 2026 is not text; put it in quotes"),
        ({"name": ""}, "name: is empty; give a short name for the run"),
        ({"date": "2026-02-30"}, "date: '2026-02-30' is not a date; write it like 2026-01-15"),
        ({"lighting": [1, 2]}, "lighting: expected key: value settings"),
        ({"interventions": {"type": "x"}}, "interventions: expected a list"),
        ({"outputs": {"dir": 5}}, "outputs.dir: 5 is not a file path"),
    ],
)
def test_wrong_types_name_the_key_and_the_value(write, section, expected):
    path = write(with_(MINIMAL, **section))
    assert f"{path}: {expected}" in single_line(path)


def test_missing_required_keys(write):
    path = write({"name": "x"})
    assert single_line(path) == (
        f"{path}: map: required key is missing; add map: (the street network)"
    )
    path = write({"map": {"synthetic": {"kind": "grid"}}})
    assert "name: required key is missing; add name:" in single_line(path)


def test_unknown_key_suggests_the_closest(write):
    path = write(with_(MINIMAL, lighting={"dim_levl": 0.3}))
    assert single_line(path) == (
        f"{path}: lighting.dim_levl: unknown key 'dim_levl'; did you mean 'dim_level'?"
    )


def test_unknown_key_without_close_match_lists_valid_keys(write):
    path = write(with_(MINIMAL, traffic={"zzz": 1}))
    assert "valid keys here: iterations, reroute_share, vehicle_spacing_m" in single_line(path)


def test_unknown_top_level_key(write):
    path = write(with_(MINIMAL, lightning={}))
    assert "lightning: unknown key 'lightning'; did you mean 'lighting'?" in single_line(path)


def test_literal_lists_choices_and_suggests(write):
    path = write(with_(MINIMAL, lighting={"controller": "presense"}))
    assert "lighting.controller: 'presense' is not allowed; did you mean 'presence'?" in (
        single_line(path)
    )
    path = write(with_(MINIMAL, lighting={"controller": "zzz"}))
    assert "use one of 'always_on', 'part_night', 'traffic_stepped', 'presence'" in (
        single_line(path)
    )


def test_unknown_town_kind(write):
    path = write(with_(MINIMAL, map={"synthetic": {"kind": "grd"}}))
    assert "map.synthetic.kind: 'grd' is not a known kind; did you mean 'grid'?" in (
        single_line(path)
    )
    path = write(with_(MINIMAL, map={"synthetic": {"rows": 3}}))
    assert "map.synthetic.kind: required key is missing; add kind: with one of 'grid'" in (
        single_line(path)
    )


def test_income_shares_must_sum_to_one(write):
    path = write(with_(MINIMAL, population={"income_shares": {"low": 0.5, "middle": 0.3}}))
    assert single_line(path) == (
        f"{path}: population.income_shares: the shares add up to 0.8, not 1; "
        "make low + middle + high sum to 1"
    )


def test_unknown_share_group_suggests(write):
    path = write(with_(MINIMAL, population={"age_shares": {"adults": 1.0}}))
    assert "population.age_shares: unknown key 'adults'; did you mean 'adult'?" in (
        single_line(path)
    )


def test_both_map_sources(write, tmp_path):
    (tmp_path / "m.gpkg").write_bytes(b"")
    path = write(with_(MINIMAL, map={"file": "m.gpkg", "synthetic": {"kind": "grid"}}))
    assert single_line(path) == (
        f"{path}: map: give either map.file or map.synthetic, not both; remove one"
    )


def test_no_map_source(write):
    path = write(with_(MINIMAL, map={"layer": "roads"}))
    message = single_line(path)
    assert message.startswith(f"{path}: map: no streets: give map.file")


def test_population_and_demand_together(write, tmp_path):
    path = write(with_(MINIMAL, population={}, demand={"trips": "t.csv"}))
    assert f"{path}: demand: give either population" in single_line(path)


def test_empty_intervention_type(write):
    path = write(with_(MINIMAL, interventions=[{"type": "a"}, {"type": ""}]))
    assert "interventions.1.type: the intervention type is empty" in single_line(path)


def test_several_problems_give_one_line_each(write):
    path = write(
        with_(MINIMAL, seed=-1, lighting={"dim_level": 2, "dim_levl": 1}, traffic={"iterations": 0})
    )
    lines = error_of(path).split("\n")
    assert len(lines) == 4
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert any("lighting.dim_level: 2 is above 1.0" in line for line in lines)


def test_many_problems_are_capped(write):
    lighting = {f"bad_key_{i}": i for i in range(30)}
    lines = error_of(write(with_(MINIMAL, lighting=lighting))).split("\n")
    assert len(lines) == 10
    assert lines[-1].endswith("... and 21 more problems")


def test_newlines_in_user_text_do_not_break_lines(write):
    path = write(with_(MINIMAL, lighting={"a\nb": 1, "controller": "x\ny"}))
    lines = error_of(path).split("\n")
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: ") for line in lines)


# --------------------------------------------------------------------- overrides


def test_overrides_nested_and_typed(write):
    s = load_scenario(
        write(MINIMAL),
        overrides=[
            "lighting.dim_level=0.3",
            "lighting.controller=presence",
            "outputs.person_level=true",
            "traffic.iterations=3",
            "map.synthetic={kind: radial, rings: 2}",
            "timezone=Europe/Helsinki",
            "date=2026-06-21",
        ],
    )
    assert s.lighting.dim_level == 0.3
    assert s.lighting.controller == "presence"
    assert s.outputs.person_level is True
    assert s.traffic.iterations == 3
    assert s.map.synthetic is not None and s.map.synthetic.kind == "radial"
    assert str(s.date) == "2026-06-21"


def test_override_list_index(write):
    path = write(with_(MINIMAL, interventions=[{"type": "led_retrofit", "power_ratio": 0.2}]))
    s = load_scenario(path, overrides=["interventions.0.power_ratio=0.5", "interventions.1.type=car_free_zone",
                                       "interventions.1.area.road_classes=[primary]"])
    assert [i.type for i in s.interventions] == ["led_retrofit", "car_free_zone"]
    assert s.interventions[0].model_extra == {"power_ratio": 0.5}


def test_override_into_empty_section(write):
    s = load_scenario(write(with_(MINIMAL, lighting=None)), overrides=["lighting.hold_s=5"])
    assert s.lighting.hold_s == 5


def test_apply_overrides_is_pure():
    data = {"lighting": {"dim_level": 0.5}, "interventions": [{"type": "a"}]}
    new = apply_overrides(data, ["lighting.dim_level=0.3", "interventions.0.type=b"])
    assert new == {"lighting": {"dim_level": 0.3}, "interventions": [{"type": "b"}]}
    assert data == {"lighting": {"dim_level": 0.5}, "interventions": [{"type": "a"}]}


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("3", 3), ("0.5", 0.5), ("true", True), ("[1, 2]", [1, 2]), ("", None), ("null", None),
     ("hello world", "hello world"), ("#3", "#3"), ("a: b: c", "a: b: c"), ("'007'", "007")],
)
def test_override_values_are_yaml(value, parsed):
    assert apply_overrides({}, [f"k={value}"]) == {"k": parsed}


def test_value_may_contain_equals():
    assert apply_overrides({}, ["description=a=b"]) == {"description": "a=b"}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("lighting.dim_level", "no '=' in the override"),
        ("=3", "the key before '=' is empty"),
        ("lighting..dim_level=3", "empty part between dots"),
        ("interventions.x=3", "interventions is a list; use a number"),
        ("interventions.5.type=a", "the list has 0 items"),
        ("name.first=a", "name is 'test town', not a mapping"),
    ],
)
def test_malformed_override(write, override, expected):
    path = write(with_(MINIMAL, interventions=[]))
    message = single_line(path, overrides=(override,))
    assert f"--set '{override}'" in message
    assert expected in message


def test_malformed_override_in_apply_overrides_names_it():
    with pytest.raises(ScenarioError, match=r"^--set 'oops': no '='"):
        apply_overrides({}, ["oops"])


def test_errors_from_overrides_say_so(write):
    path = write(MINIMAL)
    assert single_line(path, overrides=("lighting.dim_levl=0.3",)) == (
        f"{path}: lighting.dim_levl: unknown key 'dim_levl'; did you mean 'dim_level'? "
        "(from --set)"
    )
    message = single_line(path, overrides=("lighting={dim_level: 3}",))
    assert message.startswith(f"{path}: lighting.dim_level: 3 is above 1.0")
    assert message.endswith("(from --set)")


def test_errors_not_from_overrides_do_not_say_so(write):
    path = write(with_(MINIMAL, seed=-1))
    assert "(from --set)" not in single_line(path, overrides=("lighting.dim_level=0.3",))


def test_override_paths_resolve_against_the_scenario_folder(write, tmp_path):
    (tmp_path / "o").mkdir()
    s = load_scenario(write(MINIMAL), overrides=["outputs.dir=o"])
    assert s.outputs.dir == tmp_path / "o"


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "2026-00-10"])
def test_impossible_dates_are_one_line_errors_not_crashes(write, date):
    # YAML reads these as timestamps itself; they must reach validation as text.
    path = write(f"name: x\nmap: {{synthetic: {{kind: grid}}}}\ndate: {date}\n")
    assert single_line(path) == f"{path}: date: '{date}' is not a date; write it like 2026-01-15"
    assert "is not a date" in single_line(write("name: x\nmap: {synthetic: {kind: grid}}\n"), overrides=(f"date={date}",))


def test_a_valid_date_loads_as_a_date(write):
    import datetime as dt

    path = write("name: x\nmap: {synthetic: {kind: grid}}\ndate: 2026-06-21\n")
    assert load_scenario(path).date == dt.date(2026, 6, 21)


@pytest.mark.parametrize("seed", ["true", "1.5", "'7'"])
def test_seed_must_be_a_whole_number_not_a_bool_or_text(write, seed):
    path = write(f"name: x\nmap: {{synthetic: {{kind: grid}}}}\nseed: {seed}\n")
    assert single_line(path).startswith(f"{path}: seed: ")
