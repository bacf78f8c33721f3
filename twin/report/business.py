"""The business case section: each variant in money over years, how the city could pay, and the prices used.

Everything is :func:`twin.economics.business_case` of the folders the report was given
(costs from the baseline's ``costs:`` section): the NPV, IRR, paybacks and benefit-cost
ratio for the city budget and for society with their 95% bootstrap intervals, the present
value of each line (what makes the result), the financing models side by side with their
cumulative cash flow (:func:`twin.viz.financing.plot_financing`), and the cost assumptions
with their sources. A single run has no difference to value: the section says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twin._errors import TwinError
from twin.report.sections import Bullets, Cell, Paragraph, Section, Table, image_of

if TYPE_CHECKING:
    from twin.economics.case import BusinessCase, VariantCase
    from twin.report.build import Context

__all__ = ["business_section"]

_TITLE = "Business case and financing"


def business_section(context: Context) -> Section:
    """NPV, IRR, paybacks and BCR per variant with 95% intervals; financing models; cost assumptions."""
    from twin.economics import business_case

    results = context.results
    if results.kind == "run" or not results.others:
        return Section(id="business", title=_TITLE, blocks=(Paragraph(
            "A business case needs a baseline and a variant: it values the difference between them. Give a batch "
            "folder (twin batch BASELINE --variant V) or two result folders to compare.", tone="note"),))  # fmt: skip
    try:
        case = business_case(list(results.sources))
    except TwinError as error:
        return Section(id="business", title=_TITLE, blocks=(Paragraph(f"No business case: {error}", tone="note"),))
    blocks: list = [Paragraph(_lead(case), tone="lead"), Bullets(items=tuple(_verdict(v, case) for v in case.variants))]
    blocks.append(_measures_table(case))
    blocks.append(_lines_table(case))
    blocks.append(Paragraph(_lighting_words(case)))
    blocks.append(_financing_table(case))
    if any(v.capital_eur > 0 for v in case.variants):
        from twin.viz.financing import plot_financing

        blocks.append(image_of(plot_financing(case), description="Each line is one way of paying; below zero the city "
                                                                  "has paid out more than it has saved so far."))  # fmt: skip
    blocks.append(Bullets(items=tuple(_assumptions(case, results.scenarios.get(results.baseline) or {}))))
    if case.notes:
        blocks.append(Paragraph(" ".join(case.notes), tone="note"))
    return Section(id="business", title=_TITLE, blocks=tuple(blocks))


def _lead(case: BusinessCase) -> str:
    pairs = sorted({v.pairs for v in case.variants})
    runs = (f"{pairs[0]} paired runs" if len(pairs) == 1 else f"{pairs[0]}-{pairs[-1]} paired runs")
    interval = (f"The 95% intervals resample the {runs} ({case.resamples:,} bootstrap resamples); they show the "
                "model's randomness, not the uncertainty of the prices below." if pairs[-1] > 1 else
                "One run per variant: no interval is possible; run a batch with replications to know how sure the "
                "figures are.")  # fmt: skip
    return (f"Each variant against {case.baseline} in money, over {case.years} years at a {case.costs.discount_rate:.1%} "
            "discount rate, at constant prices. The city budget counts electricity, maintenance, the interventions' "
            "capital and yearly costs, running buses and shuttles, and fares and tolls taken in; society adds the "
            "residents' travel time, the fares, tolls and car costs they pay, and CO2. " + interval)  # fmt: skip


def _verdict(variant: VariantCase, case: BusinessCase) -> str:
    from twin.economics._words import eur, years

    city, society = variant.city, variant.society
    npv = city.npv_eur.value or 0.0
    word = "pays for itself for the city" if npv > 0 else "costs the city more than it saves"
    text = f"{variant.variant}: {word} (NPV {eur(city.npv_eur.value)}"
    if city.npv_eur.has_interval:
        text += f", 95% interval {eur(city.npv_eur.low)} to {eur(city.npv_eur.high)}"
    text += ")"
    if city.payback_years.value is not None and npv > 0:
        text += f", paying back in {years(city.payback_years.value).removesuffix(' y')} years"
    text += f"; for society the NPV is {eur(society.npv_eur.value)}"
    if society.p_npv_positive is not None:
        text += f" (positive in {society.p_npv_positive:.0%} of the resamples)"
    return text + "."


def _cell(estimate, form, **words) -> Cell:
    from twin.economics._words import estimate_text

    return Cell(estimate_text(estimate, form, **words), estimate.value)


def _measures_table(case: BusinessCase) -> Table:
    from twin.economics._words import eur, pct, ratio, years

    rows = []
    for v in case.variants:
        for perspective, label in (("city", "city budget"), ("society", "society")):
            m = v.measures(perspective)
            rows.append((Cell(f"{v.variant} ({label})"), _cell(m.npv_eur, eur),
                         Cell("-" if m.p_npv_positive is None else f"{m.p_npv_positive:.0%}", m.p_npv_positive),
                         _cell(m.irr, pct, low_word="below -99%", high_word="above 1000%"),
                         _cell(m.payback_years, years, high_word="never"),
                         _cell(m.discounted_payback_years, years, high_word="never"),
                         _cell(m.bcr, ratio, high_word="no cost")))  # fmt: skip
    return Table(caption=f"Business case per variant over {case.years} years [95% interval]",
                 columns=("Variant (whose money)", "NPV", "P(NPV > 0)", "IRR", "Payback", "Discounted payback", "BCR"),
                 rows=tuple(rows),
                 note="NPV: net present value at the discount rate. IRR: the rate at which the NPV is zero. Payback: "
                      "years until the running sum first turns positive (\"never\" within the years). BCR: present "
                      "value of the lines that gain over that of the lines that cost; above 1 exactly when the NPV is "
                      "positive.")  # fmt: skip


def _lines_table(case: BusinessCase) -> Table:
    from twin.economics._words import eur
    from twin.economics.cashflows import LINES

    shown = [line for line in LINES if any(abs(v.lines[line.key]["pv_eur"]) > 0.5 for v in case.variants)]
    rows = []
    for line in shown:
        whose = "city" if line.perspective == "city" else "residents, climate"
        cells = [Cell(f"{line.label} ({whose})")]
        for v in case.variants:
            entry = v.lines[line.key]
            text = eur(entry["pv_eur"])
            if entry["eur_per_year"] is not None:
                text += f" ({eur(entry['eur_per_year'])} a year)"
            cells.append(Cell(text, entry["pv_eur"]))
        rows.append(tuple(cells))
    return Table(caption="What makes the NPV: present value of each line (and its yearly amount), gains positive",
                 columns=("Line", *(v.variant for v in case.variants)), rows=tuple(rows),
                 note="The city's NPV is the sum of its lines; society's adds the residents' and the climate's. Fares "
                      "and tolls are a transfer: the city's revenue, the residents' cost.")  # fmt: skip


def _lighting_words(case: BusinessCase) -> str:
    base = case.lighting[case.baseline]
    method = {"every_day": "every night of the year", "mid_month": "the 15th of each month, weighted by its days",
              "scaled": "the simulated day scaled by the year's dark hours"}  # fmt: skip
    how = ", ".join(method.get(m.strip(), m) for m in base["method"].split(","))
    return (f"A year of street lighting is the controller's lighting demand summed over {how} at the map's centre "
            f"({base['dark_hours_year']:,.0f} dark hours in the year), not 365 times the simulated day with its "
            f"{base['dark_hours_day']:.1f} dark hours: {case.baseline} uses {base['kwh_year']:,.0f} kWh a year, not "
            f"{base['kwh_365_days']:,.0f}. Every day is taken to have the simulated weekday's street activity; "
            f"travel, fares and operator costs count {case.costs.travel_days_per_year:g} weekday-equivalents a year.")  # fmt: skip


def _financing_table(case: BusinessCase) -> Table:
    from twin.economics._words import eur

    rows = []
    for v in case.variants:
        for m in v.financing.values():
            worst = "-" if m.worst_year is None else f"year {m.worst_year}: {eur(m.worst_eur)}"
            rows.append((Cell(v.variant), Cell(m.label), Cell(eur(m.npv_eur), m.npv_eur),
                         Cell(eur(m.upfront_eur), m.upfront_eur), Cell(worst, m.worst_eur), Cell(m.note)))  # fmt: skip
    return Table(caption="Financing models: the city's cash under each way of paying",
                 columns=("Variant", "Model", "NPV to the city", "Paid upfront", "Worst year", "Terms"),
                 rows=tuple(rows),
                 note="Cash only: the residual value at the end is left out (the city owns the equipment in every "
                      "model), so city-funded differs from the city's NPV above by it. The city pays running costs "
                      "and replacements itself in every model.")  # fmt: skip


def _assumptions(case: BusinessCase, scenario: dict[str, Any]) -> list[str]:
    """The key prices with their sources (from the costs schema), and what each intervention costs."""
    from twin.report.assumptions import source_of
    from twin.scenario.costs import CostsSpec

    costs = case.costs
    defaults = CostsSpec()
    fields = CostsSpec.model_fields

    def item(label: str, key: str, text: str) -> str:
        value, default = getattr(costs, key), getattr(defaults, key)
        return f"{label}: {text} ({source_of(fields[key].description or '', value=value, default=default)})"

    vot = ", ".join(f"{group} {value:g}" for group, value in costs.value_of_time_eur_per_h.items())
    change = ", ".join(f"{k} {v:+.0%}" for k, v in costs.lighting_maintenance_change.items()) or "none"
    items = [
        item("Electricity", "energy_tariff_eur_per_kwh", f"{costs.energy_tariff_eur_per_kwh:g} EUR/kWh"),
        item("CO2", "co2_price_eur_per_t", f"{costs.co2_price_eur_per_t:g} EUR/t"),
        item("Value of time", "value_of_time_eur_per_h", f"{vot} EUR/h by income group"),
        item("Discount rate", "discount_rate", f"{costs.discount_rate:.1%} a year"),
        item("Lamp maintenance", "lighting_maintenance_eur_per_lamp_year",
             f"{costs.lighting_maintenance_eur_per_lamp_year:g} EUR per lamp and year; change by intervention: {change}"),
        item("Travel days", "travel_days_per_year", f"{costs.travel_days_per_year:g} weekday-equivalents a year"),
        f"Grid CO2: {(scenario.get('emissions') or {}).get('electricity_kg_per_kwh', '-')} kg per kWh (the scenario's "
        "emissions section)",
        f"Financing: bond {costs.financing.bond.rate:.1%} over {costs.financing.bond.years} years; ESCO takes "
        f"{costs.financing.esco.savings_share:.0%} of the savings for {costs.financing.esco.years} years and needs "
        f"{costs.financing.esco.rate:.0%}; lease over {costs.financing.lease.years} years at "
        f"{costs.financing.lease.rate:.1%} (assumptions; use the offers the city has)",
    ]  # fmt: skip
    for v in case.variants:
        for p in v.bought:
            per_unit = p.capital_eur / p.units if p.units else 0.0
            items.append(f"{v.variant}, {p.name} ({p.type}): {p.units:,.0f} {p.unit}(s) at {per_unit:,.0f} EUR = "
                         f"{p.capital_eur:,.0f} EUR, {p.operating_eur_per_year:,.0f} EUR a year, lasting "
                         f"{p.lifetime_years:g} years (the intervention's cost parameters; sources in the assumptions "
                         "below)")  # fmt: skip
    return items
