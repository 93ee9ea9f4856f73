"""A year of requests in Wyvernshire: what was reported, where, by whom, and what happened.

Pure planning from the seeded generator. Every time is an offset (days before "now" for a
report, hours after the report for each step of its timeline), so the plan, and with it
every title and status, is the same whenever it runs; only the calendar dates move.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from openlocal.demo import catalogue, words
from openlocal.demo.catalogue import CategorySpec
from openlocal.demo.geography import Geography, Settlement, Street
from openlocal.demo.inventory import Inventory
from openlocal.requests.models import QuestionDatatype, Source, Status

#: How many requests to plan before duplicates are added.
REQUEST_COUNT = 385
DUPLICATE_COUNT = 24
PHOTO_SHARE = 0.16
PEOPLE = 170


@dataclass
class Event:
    """One step on a request's timeline, ``after_hours`` after it was reported."""

    after_hours: float
    #: "status", "comment" (public, no status change), "note" (internal), "merge" or "hide".
    kind: str
    status: str = ""
    text: str = ""
    #: For "action scheduled": when the work is booked, in hours after the report.
    booked_after_hours: float | None = None


@dataclass
class Resident:
    first: str
    last: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class RequestPlan:
    spec: CategorySpec
    x: float
    y: float
    asset: int | None
    title: str
    description: str
    address: str
    answers: dict[str, Any]
    #: Datetime answers, as hours before the report: filled in when dates are known.
    answer_hours_before: dict[str, float]
    reporter: int | None
    reporter_name: str
    name_public: bool
    source: str
    external_id: str
    days_ago: float
    #: The seed for this request's photo, or None for no photo.
    photo_seed: int | None
    #: The words for the spot (street, place, ...), shared with any later duplicate.
    spot: dict[str, str]
    events: list[Event] = field(default_factory=list)
    #: Index of the plan this one duplicates, for the merge event.
    duplicate_of: int | None = None
    #: Supporters: a resident's index or a browser session key, and when (as a fraction of
    #: the time between the report and its closing, or now).
    supporters: list[tuple[int | str, float]] = field(default_factory=list)
    #: Planned apart from the year's other requests (see ``CategorySpec.planned_apart``).
    apart: bool = False


@dataclass
class Follower:
    """A resident following a request beyond its reporter, who follows it anyway."""

    resident: int
    #: "immediate" or "digest"; "waiting" has not clicked the confirmation link yet;
    #: "stopped" followed and then stopped in one click.
    how: str
    #: Hours after the report at which they started following.
    after_hours: float


#: How many requests have followers beyond their reporter, and how followers hear.
FOLLOWED_SHARE = 0.3
#: A second report is made by someone who cared enough to follow: most have followers, who
#: move to the first report when staff merge the two.
DUPLICATE_FOLLOWED_SHARE = 0.75
FOLLOW_STYLES = (("immediate", 70), ("digest", 18), ("waiting", 7), ("stopped", 5))


def request_followers(
    rng: random.Random, plans: list[RequestPlan], people: int
) -> list[list[Follower]]:
    """Who follows each request, aligned with ``plans``.

    Planned with a generator of its own, after the plans, so that adding followers left
    every request of the year as it was.
    """
    styles = [style for style, _weight in FOLLOW_STYLES]
    weights = [weight for _style, weight in FOLLOW_STYLES]
    followers: list[list[Follower]] = []
    for plan in plans:
        if plan.apart:
            # Nobody but the reporter follows these (nobody else can see a private one), and
            # the generator is left as it was for the requests planned with the year.
            followers.append([])
            continue
        share = DUPLICATE_FOLLOWED_SHARE if plan.duplicate_of is not None else FOLLOWED_SHARE
        hidden = any(event.kind == "hide" for event in plan.events)
        chosen: list[Follower] = []
        if not hidden and rng.random() < share:
            count = rng.choice([1, 1, 1, 2, 2, 3, 4, 6])
            taken = {plan.reporter}
            for _ in range(count):
                resident = rng.randrange(people)
                if resident in taken:
                    continue
                taken.add(resident)
                how = rng.choices(styles, weights=weights)[0]
                # Before a duplicate's merge (2 hours at the earliest), or within days.
                hours = (
                    rng.uniform(0.2, 1.5) if plan.duplicate_of is not None else rng.uniform(1, 96)
                )
                chosen.append(Follower(resident, how, min(hours, plan.days_ago * 24)))
        followers.append(chosen)
    return followers


def residents(rng: random.Random) -> list[Resident]:
    """The people who report and support: fictional, with obviously fake addresses."""
    people = []
    for n, (first, last) in enumerate(words.person_names(rng, PEOPLE)):
        style = n % 4
        domain = "example.org" if n % 3 else "example.com"
        if style == 0:
            local = f"{first}.{last}"
        elif style == 1:
            local = f"{first[0]}{last}{rng.randint(1, 99)}"
        elif style == 2:
            local = f"{first}{last[0]}"
        else:
            local = f"{last}.{first}"
        people.append(Resident(first, last, f"{local.lower()}@{domain}"))
    return people


class _Planner:
    def __init__(
        self,
        rng: random.Random,
        geography: Geography,
        inventory: Inventory,
        people: list[Resident] | None = None,
    ) -> None:
        self.rng = rng
        self.geography = geography
        self.inventory = inventory
        self.people = people if people is not None else residents(rng)
        # A few keen residents report a lot; most report once or twice.
        self.reporter_weights = [1 / (n + 3) ** 0.8 for n in range(len(self.people))]
        self.town_streets = [s for t in geography.towns() for s in t.streets]
        self.village_streets = [s for v in geography.villages() for s in v.streets]
        self.roads = geography.roads
        self.settlements = {s.name: s for s in geography.settlements}
        self.council_villages = [geography.parishes[i].name for i in geography.council_parishes()]
        self.by_type = {
            slug: inventory.of_type(slug) for slug in {a.asset_type for a in inventory.assets}
        }

    # Where ------------------------------------------------------------------------------
    def _point_on(
        self, street: Street, start: float = 0.0, end: float = 1.0
    ) -> tuple[float, float]:
        line = street.line()
        at = line.interpolate(self.rng.uniform(start, end) * line.length)
        return at.x + self.rng.uniform(-0.004, 0.004), at.y + self.rng.uniform(-0.004, 0.004)

    def _settlement_of(self, street: Street, x: float, y: float) -> Settlement:
        if street.settlement:
            return self.settlements[street.settlement]
        return min(self.geography.settlements, key=lambda s: math.dist(s.centre, (x, y)))

    def _other_street(self, settlement: Settlement, street: str) -> str:
        others = [s.name for s in settlement.streets if s.name != street]
        return self.rng.choice(others) if others else "the main road"

    def place(self, spec: CategorySpec) -> tuple[float, float, int | None, dict[str, str]]:
        """Where a report in this category is made, and the words to describe the spot."""
        rng = self.rng
        asset: int | None = None
        park = ""
        # Most reports in an asset's category pick the asset; some just drop a pin.
        use_asset = spec.placement == "asset" and (spec.asset_required or rng.random() >= 0.2)
        if use_asset:
            asset = rng.choice(self.by_type[spec.asset_types[0]])
            plan = self.inventory.assets[asset]
            # People stand near the thing, not on it.
            x, y = plan.x + rng.uniform(-0.005, 0.005), plan.y + rng.uniform(-0.005, 0.005)
            settlement = self.settlements[plan.place]
            street = plan.street or (
                rng.choice(settlement.streets).name if settlement.streets else ""
            )
            park = plan.park
        elif spec.placement == "park" or spec.parish:
            # A parish council's green gets a fair share, so its clerk has a queue to work.
            if rng.random() < 0.25:
                settlement = self.settlements[rng.choice(self.council_villages)]
            else:
                settlement = rng.choice(self.geography.settlements)
            chosen = rng.choice(settlement.parks)
            angle, r = rng.uniform(0, 2 * math.pi), chosen.radius * math.sqrt(rng.random())
            x, y = chosen.centre[0] + r * math.cos(angle), chosen.centre[1] + r * math.sin(angle)
            street = rng.choice(settlement.streets).name if settlement.streets else ""
            park = chosen.name
        else:
            if spec.placement == "road" and rng.random() < 0.35:
                line = rng.choice(self.roads)
            elif spec.placement == "rural" and rng.random() < 0.6:
                line = rng.choice(self.roads + self.village_streets)
            elif spec.placement == "town-centre":
                line = rng.choice(self.town_streets)
            else:
                line = rng.choice(self.town_streets + self.village_streets)
            start, end = (0.0, 0.35) if spec.placement == "town-centre" else (0.05, 0.95)
            x, y = self._point_on(line, start, end)
            settlement = self._settlement_of(line, x, y)
            street = line.name
        if not park and settlement.parks:
            park = settlement.parks[0].name
        words_for_spot = {
            "street": street or f"the road into {settlement.name}",
            "other": self._other_street(settlement, street),
            "place": settlement.name,
            "house": str(rng.randint(1, 140)),
            "park": park,
            "asset": self.inventory.assets[asset].name if asset is not None else street,
            "stop": self.inventory.assets[asset].name
            if asset is not None
            else f"the stop on {street}",
        }
        return x, y, asset, words_for_spot

    # What -------------------------------------------------------------------------------
    def answers(
        self, spec: CategorySpec, implied: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        rng = self.rng
        answers: dict[str, Any] = {}
        hours_before: dict[str, float] = {}
        for question in spec.questions:
            if question.code in implied:
                answers[question.code] = implied[question.code]
                continue
            if not question.required and rng.random() < 0.4:
                continue
            keys = [key for key, _name in question.values]
            if question.datatype == QuestionDatatype.SINGLEVALUELIST:
                answers[question.code] = rng.choice(keys)
            elif question.datatype == QuestionDatatype.MULTIVALUELIST:
                answers[question.code] = sorted(
                    rng.sample(keys, rng.choice([1, 1, 1, 2])), key=keys.index
                )
            elif question.datatype == QuestionDatatype.NUMBER:
                answers[question.code] = str(rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40]))
            elif question.datatype == QuestionDatatype.DATETIME:
                hours_before[question.code] = rng.uniform(2, 96)
            else:
                answers[question.code] = rng.choice(question.examples)
        return answers, hours_before

    def text(self, spec: CategorySpec, spot: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
        """Title, description and the answers the words imply."""
        rng = self.rng
        variant = rng.choice(spec.variants)
        first = rng.choice(spec.details)
        parts = [variant.opening, first]
        if rng.random() < 0.35:
            parts.append(rng.choice([d for d in spec.details if d != first] or spec.details))
        if rng.random() < 0.25:
            parts.append(
                rng.choice(["Thanks.", "Many thanks.", "Thank you for looking at this.", "Cheers."])
            )
        return variant.title.format(**spot), " ".join(parts).format(**spot), variant.answers

    def reporter(self) -> tuple[int | None, str, bool, str, str]:
        """(resident, name given, name shown, source, external id)."""
        rng = self.rng
        roll = rng.random()
        source = rng.choices(
            [Source.WEB, Source.OPEN311, Source.API, Source.STAFF, Source.IMPORT],
            weights=[70, 10, 4, 13, 3],
        )[0]
        external_id = ""
        if source in {Source.OPEN311, Source.IMPORT}:
            external_id = (
                f"{'FIX' if source == Source.OPEN311 else 'CRM'}-{rng.randint(100000, 999999)}"
            )
        if roll < 0.14:
            return None, "", False, source, external_id
        person = rng.choices(range(len(self.people)), weights=self.reporter_weights)[0]
        name = self.people[person].name
        if roll < 0.24:
            return person, "", False, source, external_id
        if roll < 0.55:
            return person, name, False, source, external_id
        return person, name, source != Source.STAFF, source, external_id

    # What happened ------------------------------------------------------------------------
    def timeline(self, spec: CategorySpec) -> list[Event]:
        """The steps a request goes through, from the body's first look to closing."""
        rng = self.rng
        tier = spec.tier
        quick = spec.code in {"BIN", "LIT"}
        pace = {
            catalogue.COUNTY: 1.0,
            catalogue.DISTRICT: 0.6,
            catalogue.COMMUNITY: 1.6,
            catalogue.UTILITY: 0.8,
        }[tier]
        outcome = rng.choices(
            [
                "fixed",
                "no_further_action",
                "not_fixed",
                "not_responsible",
                "referred",
                "stuck",
                "untouched",
            ],
            weights=[58, 9, 5, 6, 6, 13, 3],
        )[0]
        if quick:
            outcome = rng.choices(["fixed", "no_further_action", "stuck"], weights=[85, 10, 5])[0]
        events: list[Event] = []
        if outcome == "untouched":
            # Nobody at the body has looked at it yet: it stays "new" however old it is.
            return events
        t = rng.uniform(1, 60) * pace

        def step(status: str, text: str, hours: float) -> None:
            nonlocal t
            events.append(Event(t, "status", status, text))
            t += hours

        def maybe_extra() -> None:
            nonlocal t
            if rng.random() < 0.18:
                events.append(Event(t, "comment", text=rng.choice(catalogue.COMMENTS)))
                t += rng.uniform(4, 72) * pace
            if rng.random() < 0.3:
                events.append(Event(t, "note", text=rng.choice(catalogue.NOTES)))
                t += rng.uniform(1, 24)

        acknowledged = rng.choice(catalogue.ACKNOWLEDGED[tier]) if rng.random() < 0.7 else ""
        if outcome == "not_responsible" and rng.random() < 0.5:
            step(Status.NOT_RESPONSIBLE, rng.choice(catalogue.NOT_RESPONSIBLE), 0)
            return events
        step(
            Status.ACKNOWLEDGED,
            acknowledged,
            (rng.uniform(2, 30) if quick else rng.uniform(12, 120)) * pace,
        )
        maybe_extra()
        if outcome == "not_responsible":
            step(Status.NOT_RESPONSIBLE, rng.choice(catalogue.NOT_RESPONSIBLE), 0)
            return events
        if outcome == "referred":
            step(Status.REFERRED, rng.choice(catalogue.REFERRED), 0)
            return events
        if quick and outcome == "fixed":
            step(Status.FIXED, rng.choice(spec.fixed), 0)
            return events
        if not quick and (outcome != "fixed" or rng.random() < 0.5):
            step(
                Status.INVESTIGATING,
                rng.choice(catalogue.INVESTIGATING),
                rng.uniform(24, 240) * pace,
            )
            maybe_extra()
        if outcome == "no_further_action":
            step(Status.NO_FURTHER_ACTION, rng.choice(catalogue.NO_FURTHER_ACTION), 0)
            return events
        if outcome in {"fixed", "not_fixed", "stuck"} and not quick and rng.random() < 0.5:
            wait = rng.uniform(48, 600) * pace
            events.append(
                Event(
                    t, "status", Status.ACTION_SCHEDULED, rng.choice(catalogue.SCHEDULED), t + wait
                )
            )
            t += wait
            maybe_extra()
        if outcome == "stuck":
            # Waiting for a scheme, a budget or a landowner: open for months.
            if rng.random() < 0.5:
                step(Status.IN_PROGRESS, rng.choice(catalogue.IN_PROGRESS), 0)
            events.append(
                Event(t + rng.uniform(200, 2000), "comment", text=rng.choice(catalogue.COMMENTS))
            )
            return events
        if outcome == "not_fixed":
            step(Status.NOT_FIXED, rng.choice(catalogue.NOT_FIXED), 0)
            return events
        if rng.random() < 0.6:
            step(Status.IN_PROGRESS, rng.choice(catalogue.IN_PROGRESS), rng.uniform(2, 72) * pace)
        step(Status.FIXED, rng.choice(spec.fixed), rng.uniform(120, 900))
        if spec.code in {"POT", "SLT", "DRN"} and rng.random() < 0.06:
            step(Status.IN_PROGRESS, rng.choice(catalogue.REOPENED), rng.uniform(24, 300))
            step(Status.FIXED, rng.choice(spec.fixed), 0)
        return events

    def supporters(self, reporter: int | None) -> list[tuple[int | str, float]]:
        rng = self.rng
        count = rng.choices([0, 1, 2, 3, 5, 8, 14, 25], weights=[62, 12, 8, 6, 5, 4, 2, 1])[0]
        chosen: list[tuple[int | str, float]] = []
        for n in range(count):
            when = rng.random()
            if rng.random() < 0.6:
                person = rng.randrange(len(self.people))
                if person != reporter and all(person != c for c, _w in chosen):
                    chosen.append((person, when))
            else:
                chosen.append((f"demo-session-{rng.randrange(10**9)}-{n}", when))
        return chosen

    def request(
        self, spec: CategorySpec, days_ago: float, like: RequestPlan | None = None
    ) -> RequestPlan:
        """A report; ``like`` makes it a second report of the same problem at the same spot."""
        rng = self.rng
        if like is None:
            x, y, asset, spot = self.place(spec)
        else:
            x, y = like.x + rng.uniform(-0.006, 0.006), like.y + rng.uniform(-0.006, 0.006)
            asset, spot = like.asset, like.spot
        title, description, implied = self.text(spec, spot)
        answers, hours_before = self.answers(spec, implied)
        reporter, name, public, source, external_id = self.reporter()
        # A category that needs a photo always has one (checking the share draws nothing).
        photo_seed = (
            rng.randrange(2**31)
            if spec.photo and (spec.photo_required or rng.random() < PHOTO_SHARE)
            else None
        )
        address = f"{spot['street']}, {spot['place']}" if spot["street"] else spot["place"]
        plan = RequestPlan(
            spec=spec,
            x=x,
            y=y,
            asset=asset,
            title=title,
            description=description,
            address=address,
            answers=answers,
            answer_hours_before=hours_before,
            reporter=reporter,
            reporter_name=name,
            name_public=public,
            source=source,
            external_id=external_id,
            days_ago=days_ago,
            photo_seed=photo_seed,
            spot=spot,
        )
        plan.events = self.timeline(spec)
        # Nobody else can see a private request, so nobody says "me too".
        plan.supporters = [] if spec.private else self.supporters(reporter)
        return plan


#: Categories whose reports are commonly made twice about the same spot.
DUPLICATED = ("POT", "SLT", "FLY", "DRN", "GRF", "BSH", "LIT")


def plan(
    rng: random.Random, geography: Geography, inventory: Inventory
) -> tuple[list[RequestPlan], list[Resident]]:
    """Every request of the year, oldest first, and the residents who made them."""
    planner = _Planner(rng, geography, inventory)
    specs = catalogue.CATEGORIES
    weights = [spec.weight for spec in specs]
    plans: list[RequestPlan] = []
    for _ in range(REQUEST_COUNT):
        spec = rng.choices(specs, weights=weights)[0]
        # Use has grown over the year, so recent months are a little busier.
        days_ago = 365 * rng.random() ** 1.15
        plans.append(planner.request(spec, days_ago))

    # Someone reports what is already reported; staff merge it into the first report.
    candidates = [i for i, p in enumerate(plans) if p.spec.code in DUPLICATED and p.days_ago > 3]
    for original_index in rng.sample(candidates, DUPLICATE_COUNT):
        original = plans[original_index]
        later = rng.uniform(0.1, min(20.0, original.days_ago - 0.05))
        duplicate = planner.request(original.spec, original.days_ago - later, like=original)
        duplicate.duplicate_of = original_index
        duplicate.events = [Event(rng.uniform(2, 60), "merge")]
        duplicate.supporters = []
        plans.append(duplicate)

    # A moderator took two reports down: one abusive, one with someone's phone number.
    merged_into = {p.duplicate_of for p in plans}
    hideable = [
        i
        for i, p in enumerate(plans)
        if p.spec.tier == catalogue.COUNTY
        and p.duplicate_of is None
        and i not in merged_into
        and p.days_ago > 10
    ]
    for n, index in enumerate(rng.sample(hideable, 2)):
        hidden = plans[index]
        street = hidden.address.split(",")[0]
        if n == 0:
            hidden.title = f"Useless lot at County Hall still haven't fixed {street}"
            hidden.description = (
                "Reported this three times. The man who came out was rude and clearly "
                "could not be bothered. Sack the lot of them."
            )
        else:
            hidden.title = f"Problem outside my house on {street}, ring me"
            hidden.description = "Ring Dave on 07700 900461 any time after 6, I'm at number 12."
        hidden.events = [Event(rng.uniform(3, 30), "hide", text=catalogue.HIDDEN_REASONS[n])]
        hidden.supporters = []

    order = sorted(range(len(plans)), key=lambda i: -plans[i].days_ago)
    renumber = {old: new for new, old in enumerate(order)}
    ordered = [plans[i] for i in order]
    for p in ordered:
        if p.duplicate_of is not None:
            p.duplicate_of = renumber[p.duplicate_of]
    return ordered, planner.people


def plan_apart(
    rng: random.Random, geography: Geography, inventory: Inventory, people: list[Resident]
) -> list[RequestPlan]:
    """The year's requests in categories added after it was planned, by the same residents.

    On a generator of their own, so that every request planned by :func:`plan` stays as
    it was. Merge them in with :func:`in_time_order`.
    """
    planner = _Planner(rng, geography, inventory, people)
    plans = []
    for spec in catalogue.CATEGORIES:
        for _ in range(spec.planned_apart):
            plan = planner.request(spec, 365 * rng.random() ** 1.15)
            plan.apart = True
            plans.append(plan)
    return plans


def in_time_order(plans: list[RequestPlan]) -> list[RequestPlan]:
    """The plans oldest first, each duplicate still pointing at the plan it duplicates."""
    order = sorted(range(len(plans)), key=lambda i: -plans[i].days_ago)
    renumber = {old: new for new, old in enumerate(order)}
    ordered = [plans[i] for i in order]
    for p in ordered:
        if p.duplicate_of is not None:
            p.duplicate_of = renumber[p.duplicate_of]
    return ordered
