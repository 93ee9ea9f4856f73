"""Names for the demo place and its people: invented, but the kind England has.

Every list is in a fixed order and every pick goes through the caller's seeded generator,
so the same names come out on every run.
"""

from __future__ import annotations

import random

COUNTY_NAME = "Wyvernshire"
#: Codes in the shape of ONS GSS codes, in ranges no real area uses.
COUNTY_CODE = "E10000099"
#: (district name, district code), in the order of ``TOWNS``.
DISTRICTS = [
    ("Wyvern Vale", "E07000990"),
    ("Brackenmoor", "E07000991"),
    ("South Wyvern", "E07000992"),
]
#: Each district's main town and where it stands on the county's km grid.
TOWNS = [
    ("Wyvernton", (5.0, 8.0)),
    ("Brackford", (-13.0, 2.0)),
    ("Sealmouth", (3.0, -12.0)),
]
URBAN_WARDS = {
    "Wyvernton": ["Castle", "St Mary's", "Northgate", "Priory", "Westfield"],
    "Brackford": ["Market", "Moorside", "St Peter's", "Tannery"],
    "Sealmouth": ["Harbour", "Cliffside", "Esplanade", "Old Town"],
}


def ward_code(n: int) -> str:
    return f"E05099{n + 1:03d}"


def parish_code(n: int) -> str:
    return f"E04099{n + 1:03d}"


VILLAGES = [
    "Hollowmoor",
    "Little Brampton",
    "Kingsworthy Abbas",
    "Ashcombe Regis",
    "Wellacott",
    "Thornbury Cross",
    "Netherwick",
    "Fenleigh",
    "Highcombe",
    "Stowford Barton",
    "Crediwell",
    "Marlcombe",
    "Yarncliffe",
    "Oakhampstead",
    "Bramblecott",
    "Lydbrook Down",
    "Sheepwash Green",
    "Mardon Vale",
    "Westleigh Ford",
    "Cullacott",
    "Harpford Magna",
    "Ridgeway St John",
    "Buckland Parva",
    "Colebrook Cross",
    "Pennymoor",
    "Hatherden",
    "Lowcombe",
    "Ebberley",
    "Shillingworthy",
    "Coldharbour Mill",
    "Otterhay",
    "Blackdown Hatch",
]


def village_names(rng: random.Random, count: int) -> list[str]:
    return rng.sample(VILLAGES, count)


STREET_FIRST = [
    "Mill",
    "Church",
    "Station",
    "Chapel",
    "Orchard",
    "Victoria",
    "Albert",
    "Castle",
    "Market",
    "Bridge",
    "Fore",
    "Union",
    "Queen",
    "King",
    "Park",
    "Meadow",
    "Barton",
    "Priory",
    "Tannery",
    "Harbour",
    "Quarry",
    "Well",
    "Cross",
    "Moor",
    "Combe",
    "Oak",
    "Elm",
    "Beech",
    "Rowan",
    "Hawthorn",
    "Linhay",
    "Higher",
    "Lower",
    "Vicarage",
    "School",
    "Manor",
    "Cider",
    "Ropewalk",
    "Fishers",
    "Tinners",
]
STREET_SECOND = [
    "Street",
    "Road",
    "Lane",
    "Close",
    "Hill",
    "Way",
    "Terrace",
    "Avenue",
    "Gardens",
    "Crescent",
    "Row",
    "View",
    "Drive",
    "Place",
]


def street_names(rng: random.Random, count: int) -> list[str]:
    """Distinct street names, drawn without repeats within one place."""
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(STREET_FIRST)} {rng.choice(STREET_SECOND)}"
        if name not in names:
            names.append(name)
    return names


PARK_NAMES = [
    "Victoria Park",
    "Castle Gardens",
    "Jubilee Park",
    "Riverside Meadows",
    "Memorial Gardens",
    "The Recreation Ground",
    "Priory Green",
    "Cliff Top Gardens",
]


def park_names(rng: random.Random, town: str, count: int) -> list[str]:
    return [f"{name}, {town}" for name in rng.sample(PARK_NAMES, count)]


FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Jack", "Sophie", "Noah",
    "Grace", "Arthur", "Lily", "Leo", "Freya", "Oscar", "Evie", "Alfie", "Poppy", "Theo",
    "Ruby", "Archie", "Florence", "Henry", "Rosie", "Thomas", "Ellie", "William", "Hannah",
    "James", "Priya", "Mohammed", "Aisha", "Tomasz", "Olena", "Kwame", "Mei", "Rhys", "Siobhan",
    "Callum", "Margaret", "Brian", "Sandra", "Keith", "Janet", "Derek", "Pauline", "Trevor",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas",
    "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall",
    "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill",
    "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison",
    "Morgan", "Patel", "Khan", "Nowak", "Kowalenko", "Mensah", "Chen", "Pengelly", "Trelawny",
    "Luscombe", "Chudleigh", "Tapper", "Heard", "Squire", "Vosper", "Yeo", "Bidder", "Lang",
]  # fmt: skip


def person_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Distinct (first, last) names for the demo's residents."""
    names: list[tuple[str, str]] = []
    while len(names) < count:
        name = (rng.choice(FIRST_NAMES), rng.choice(SURNAMES))
        if name not in names:
            names.append(name)
    return names
