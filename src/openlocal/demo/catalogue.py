"""What can be reported in Wyvernshire, who handles it, and how people and staff write about it.

Data only: :mod:`openlocal.demo.generate` turns it into categories, questions and routing
rules, and fills the text templates. Placeholders in templates: ``{street}``, ``{other}``
(another street), ``{place}`` (town or village), ``{house}`` (a house number), ``{asset}``
(the asset's name), ``{park}`` and ``{stop}`` (a bus stop's name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openlocal.requests.models import CategoryGroup, QuestionDatatype


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    label: str
    datatype: str
    required: bool = False
    hint: str = ""
    #: For list datatypes: ``(key, name)`` pairs.
    values: tuple[tuple[str, str], ...] = ()
    #: For string and text: answers residents give.
    examples: tuple[str, ...] = ()

    def values_json(self) -> list[dict[str, Any]]:
        return [{"key": key, "name": name} for key, name in self.values]


@dataclass(frozen=True)
class AssetTypeSpec:
    slug: str
    name: str
    identifier_label: str
    description: str


ASSET_TYPES = [
    AssetTypeSpec(
        "streetlight",
        "Streetlight",
        "Column number",
        "A street lighting column maintained by the county council.",
    ),
    AssetTypeSpec(
        "bus-stop",
        "Bus stop",
        "ATCO code",
        "A bus stop from the national stops register, with its shelter and timetable case.",
    ),
    AssetTypeSpec(
        "litter-bin", "Litter bin", "Bin number", "A street or park litter or recycling bin."
    ),
    AssetTypeSpec("bench", "Bench", "Bench number", "A public bench in a park or on a street."),
    AssetTypeSpec("gully", "Road gully", "Gully number", "A roadside drain that takes rainwater."),
    AssetTypeSpec(
        "footpath",
        "Public right of way",
        "Path reference",
        "A public footpath, bridleway or byway, located at its midpoint.",
    ),
    AssetTypeSpec(
        "library",
        "Library or community building",
        "Site reference",
        "A library, village hall or community centre that offers public services.",
    ),
]


@dataclass(frozen=True)
class Variant:
    title: str
    opening: str
    #: Answers implied by the words, e.g. "Deep pothole" answers "How deep is it?".
    answers: dict[str, Any] = field(default_factory=dict)


V = Variant

#: Who takes a category: the county everywhere, each district in its own area, the
#: community body countywide, or the water company (not a council) countywide.
COUNTY, DISTRICT, COMMUNITY, UTILITY = "county", "district", "community", "utility"


@dataclass(frozen=True)
class CategorySpec:
    code: str
    slug: str
    name: str
    group: str
    tier: str
    description: str
    keywords: str
    #: How many of the demo's requests are in this category (relative weight).
    weight: int
    duplicate_radius_m: int = 50
    asset_types: tuple[str, ...] = ()
    asset_required: bool = False
    #: Where reports are placed: "street", "road", "town-centre", "park", "asset", "rural".
    placement: str = "street"
    #: Parish councils with a council take this category in their parish, ahead of the district.
    parish: bool = False
    #: Which kind of picture a resident would take, or "" for none.
    photo: str = ""
    questions: tuple[QuestionSpec, ...] = ()
    #: Ways a resident reports it: a title, the sentence that opens the description, and
    #: the answers that go with them.
    variants: tuple[Variant, ...] = ()
    #: Sentences that can follow any variant's opening.
    details: tuple[str, ...] = ()
    #: What the fix looks like when staff close it as fixed.
    fixed: tuple[str, ...] = field(default=())
    #: Requests seen only by their reporter and staff.
    private: bool = False
    #: Every report needs a photo (every demo request in it has one).
    photo_required: bool = False
    #: The category takes no reports: this notice is shown instead.
    stop_notice: str = ""
    #: The days within which the body aims to fix a request.
    service_level_days: int | None = None
    #: How many of the year's requests are planned on a generator of their own, for a
    #: category added after the year was planned (its ``weight`` is then 0): every other
    #: request stays as it was.
    planned_apart: int = 0


YES_NO = (("yes", "Yes"), ("no", "No"))

CATEGORIES = [
    CategorySpec(
        code="POT",
        slug="pothole",
        name="Pothole",
        group=CategoryGroup.ROADS,
        tier=COUNTY,
        description="A hole or sunken patch in the road surface.",
        keywords="pothole, hole in road, road surface, carriageway",
        weight=70,
        service_level_days=28,
        duplicate_radius_m=30,
        placement="road",
        photo="pothole",
        questions=(
            QuestionSpec(
                "depth",
                "How deep is it?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(("shallow", "Shallower than 5 cm"), ("deep", "5 cm or deeper")),
            ),
            QuestionSpec(
                "position",
                "Where on the road is it?",
                QuestionDatatype.SINGLEVALUELIST,
                values=(
                    ("carriageway", "In the main carriageway"),
                    ("cycle-lane", "In a cycle lane"),
                    ("edge", "At the edge of the road"),
                    ("junction", "At a junction"),
                ),
            ),
            QuestionSpec(
                "width_cm",
                "Roughly how wide is it, in centimetres?",
                QuestionDatatype.NUMBER,
                hint="A guess is fine.",
            ),
        ),
        variants=(
            V(
                "Pothole outside {house} {street}",
                "There is a pothole in the road outside number {house}.",
            ),
            V(
                "Deep pothole on {street}, {place}",
                "A deep pothole has opened up on {street}.",
                {"depth": "deep"},
            ),
            V(
                "Several potholes along {street}",
                "The road surface has broken up along {street} and there are now several holes.",
            ),
            V(
                "Pothole at the junction of {street} and {other}",
                "There is a pothole right at the junction with {other}.",
                {"position": "junction"},
            ),
            V(
                "Pothole in the cycle lane on {street}",
                "There is a pothole in the cycle lane that forces cyclists out into the traffic.",
                {"position": "cycle-lane"},
            ),
            V(
                "Large pothole on {street} near {other}",
                "Cars are swerving into the oncoming lane to avoid a large pothole here.",
                {"depth": "deep"},
            ),
            V(
                "Road breaking up at the edge of {street}",
                "The edge of the road is crumbling away into a long hole.",
                {"position": "edge"},
            ),
            V(
                "Pothole getting bigger on {street}",
                "This pothole has been getting bigger over the last few weeks.",
            ),
        ),
        details=(
            "It fills with water when it rains so you cannot see how deep it is.",
            "I cycle this way every day and it nearly had me off yesterday.",
            "A neighbour's car got a puncture in it last night.",
            "It is about the size of a dinner plate.",
            "There is loose gravel spreading across the lane from it.",
            "It is right where people cross to the shop.",
        ),
        fixed=(
            "The pothole has been filled and the surface made good.",
            "Our gang patched this today with a permanent repair.",
            "Repaired as part of a wider patching job on {street}.",
        ),
    ),
    CategorySpec(
        code="PAV",
        slug="damaged-pavement",
        name="Damaged pavement",
        group=CategoryGroup.ROADS,
        tier=COUNTY,
        description="Broken, lifted or uneven paving that could trip someone.",
        keywords="pavement, footway, paving slab, trip hazard, kerb",
        weight=22,
        service_level_days=28,
        duplicate_radius_m=25,
        photo="pavement",
        questions=(
            QuestionSpec(
                "trip_hazard",
                "Could someone trip on it?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=YES_NO,
            ),
        ),
        variants=(
            V(
                "Lifted paving slabs on {street}",
                "Several paving slabs have lifted outside number {house}.",
                {"trip_hazard": "yes"},
            ),
            V(
                "Broken kerb outside {house} {street}",
                "The kerb stone outside number {house} is broken and loose.",
            ),
            V(
                "Uneven pavement near the school on {street}",
                "The pavement on {street} is badly cracked and uneven.",
            ),
            V(
                "Tree roots lifting the pavement on {street}",
                "Tree roots have pushed the tarmac up into a ridge across the footway.",
                {"trip_hazard": "yes"},
            ),
            V(
                "Cracked paving near {other}, {place}",
                "The paving near the corner with {other} is cracked into pieces.",
            ),
        ),
        details=(
            "My mother tripped here last week and it is hard to get a pushchair past.",
            "It is on the route lots of children take to school.",
            "Someone using a mobility scooter got stuck on it this morning.",
            "It is worse in the dark as the edge is hard to see.",
        ),
        fixed=("The slabs have been relaid.", "The footway has been patched and levelled."),
    ),
    CategorySpec(
        code="SLT",
        slug="street-light",
        name="Street light not working",
        group=CategoryGroup.LIGHTING,
        tier=COUNTY,
        description="A street light that is out, stays on in the day, flickers or is damaged.",
        keywords="street light, lamp, lighting column, dark",
        weight=50,
        service_level_days=10,
        duplicate_radius_m=15,
        asset_types=("streetlight",),
        asset_required=True,
        placement="asset",
        questions=(
            QuestionSpec(
                "fault",
                "What is wrong with it?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(
                    ("out", "It does not come on"),
                    ("day", "It stays on during the day"),
                    ("flicker", "It flickers or goes on and off"),
                    ("damaged", "The column or lamp is damaged"),
                ),
            ),
            QuestionSpec(
                "noticed_at",
                "When did you first notice it?",
                QuestionDatatype.DATETIME,
            ),
        ),
        variants=(
            V(
                "Street light out on {street}",
                "The street light outside number {house} has not come on for several nights.",
                {"fault": "out"},
            ),
            V("{asset} not working", "This light does not come on at all.", {"fault": "out"}),
            V(
                "Light flickering on {street}, {place}",
                "This light keeps flickering on and off all night.",
                {"fault": "flicker"},
            ),
            V(
                "Street light on all day outside {house} {street}",
                "The lamp is on during the day and has been for a week.",
                {"fault": "day"},
            ),
            V(
                "Dark stretch of {street}: light not working",
                "The light near the corner with {other} is out, so the whole stretch is dark.",
                {"fault": "out"},
            ),
            V(
                "Lamp post leaning on {street}",
                "The column is leaning badly, as if a van has hit it.",
                {"fault": "damaged"},
            ),
        ),
        details=(
            "It makes the walk home from the bus stop feel unsafe.",
            "There are elderly residents on this street who rely on it.",
            "The column has a dent in it as if a van has hit it.",
            "It is next to the footpath to the school.",
        ),
        fixed=(
            "The lamp has been replaced and is working again.",
            "Our electrician has fixed a fault in the column; the light is back on.",
            "A new LED lantern has been fitted.",
        ),
    ),
    CategorySpec(
        code="BIN",
        slug="missed-bin",
        name="Missed bin collection",
        group=CategoryGroup.WASTE,
        tier=DISTRICT,
        description="A household bin or box that was not emptied on collection day.",
        keywords="bin, missed collection, rubbish, recycling, refuse",
        weight=45,
        service_level_days=3,
        duplicate_radius_m=10,
        questions=(
            QuestionSpec(
                "containers",
                "Which bins were missed?",
                QuestionDatatype.MULTIVALUELIST,
                required=True,
                values=(
                    ("refuse", "General rubbish (black bin)"),
                    ("recycling", "Recycling boxes"),
                    ("food", "Food waste caddy"),
                    ("garden", "Garden waste (paid service)"),
                ),
            ),
            QuestionSpec(
                "out_by_7",
                "Was it out by 7am on collection day?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=YES_NO,
            ),
        ),
        variants=(
            V(
                "Bins not collected on {street}",
                "Our bins were out on time but were not emptied.",
                {"containers": ["refuse"]},
            ),
            V(
                "Missed recycling collection, {street}",
                "This is the second week running our recycling has been left.",
                {"containers": ["recycling"]},
            ),
            V(
                "Whole street missed on {street}, {place}",
                "None of the bins on our side of the road were emptied.",
                {"containers": ["refuse", "food"]},
            ),
            V(
                "Food waste not collected at {house} {street}",
                "The food caddy was out but the crew did not empty it.",
                {"containers": ["food"]},
            ),
            V(
                "Garden waste bin missed again on {street}",
                "Our garden waste bin has been missed again, though we pay for the service.",
                {"containers": ["garden"]},
            ),
        ),
        details=(
            "The food waste is starting to smell in the warm weather.",
            "Cars were parked across the end of the road, which may be why.",
            "Could the crew come back before the weekend please?",
            "The crew emptied next door but not ours.",
        ),
        fixed=(
            "The crew returned and emptied the bins.",
            "Collected on the catch-up round today.",
        ),
    ),
    CategorySpec(
        code="LIT",
        slug="overflowing-litter-bin",
        name="Overflowing litter bin",
        group=CategoryGroup.WASTE,
        tier=DISTRICT,
        description="A public litter or dog waste bin that is full or overflowing.",
        keywords="litter bin, overflowing, dog bin, rubbish",
        weight=25,
        service_level_days=5,
        duplicate_radius_m=20,
        asset_types=("litter-bin",),
        placement="asset",
        photo="litter",
        variants=(
            V(
                "Overflowing bin on {street}",
                "This bin is completely full and rubbish is blowing across the road.",
            ),
            V("{asset} full to the brim", "The bin has not been emptied for over a week."),
            V(
                "Litter bin overflowing near the shops, {place}",
                "Gulls have pulled rubbish out of the overflowing bin all over the pavement.",
            ),
            V(
                "Dog waste piling up by the bin in {park}",
                "The bin is full and there are bags of dog waste piled up beside it.",
            ),
        ),
        details=(
            "It gets very busy at weekends so might need emptying more often.",
            "There are bags of dog waste piled up beside it.",
            "It is next to the children's play area.",
        ),
        fixed=("The bin has been emptied and the area litter-picked.",),
    ),
    CategorySpec(
        code="FLY",
        slug="fly-tipping",
        name="Fly-tipping",
        group=CategoryGroup.FLY_TIPPING,
        tier=DISTRICT,
        description="Rubbish dumped illegally on public land or by the roadside.",
        keywords="fly-tipping, dumped rubbish, mattress, rubble",
        weight=45,
        service_level_days=5,
        duplicate_radius_m=75,
        placement="rural",
        photo="flytip",
        questions=(
            QuestionSpec(
                "what",
                "What has been dumped?",
                QuestionDatatype.MULTIVALUELIST,
                required=True,
                values=(
                    ("bags", "Black bags or household rubbish"),
                    ("furniture", "Furniture or mattresses"),
                    ("rubble", "Builders' rubble"),
                    ("tyres", "Tyres"),
                    ("electrical", "Fridges or other electrical items"),
                    ("hazardous", "Something that looks hazardous (asbestos, chemicals)"),
                ),
            ),
            QuestionSpec(
                "amount",
                "How much is there, in bags or items?",
                QuestionDatatype.NUMBER,
            ),
            QuestionSpec(
                "seen_at",
                "If you saw it being dumped, when?",
                QuestionDatatype.DATETIME,
                hint="Leave blank if you did not see it happen.",
            ),
        ),
        variants=(
            V(
                "Fly-tipping in the lay-by on {street}",
                "Someone has dumped a load of rubbish in the lay-by.",
                {"what": ["bags"]},
            ),
            V(
                "Mattress dumped on {street}",
                "An old mattress and a broken chest of drawers have been left on the verge.",
                {"what": ["furniture"]},
            ),
            V(
                "Rubble tipped in the gateway off {street}",
                "There is a pile of builders' rubble blocking the field gateway.",
                {"what": ["rubble"]},
            ),
            V(
                "Black bags dumped by the recycling bank, {place}",
                "About a dozen black bags have been dumped and foxes have torn them open.",
                {"what": ["bags"]},
            ),
            V(
                "Fridge and sofa dumped on {street}",
                "Someone has dumped a fridge and a sofa at the side of the road.",
                {"what": ["furniture", "electrical"]},
            ),
            V(
                "Fly-tipped tyres on the lane near {place}",
                "A stack of old tyres has been dumped in the lane.",
                {"what": ["tyres"]},
            ),
            V(
                "Broken roof sheets dumped on {street}",
                "Someone has dumped broken corrugated roof sheets that could be asbestos.",
                {"what": ["hazardous"]},
            ),
        ),
        details=(
            "It was not there when I drove past yesterday evening.",
            "There may be something with an address on it in the pile.",
            "It is partly blocking the road for horse riders.",
            "This spot gets tipped on every few weeks.",
        ),
        fixed=(
            "The waste has been cleared and our enforcement officer has the details.",
            "Cleared today.",
        ),
    ),
    CategorySpec(
        code="GRF",
        slug="graffiti",
        name="Graffiti",
        group=CategoryGroup.GRAFFITI,
        tier=DISTRICT,
        description="Graffiti on public buildings, walls, signs or street furniture.",
        keywords="graffiti, tagging, vandalism, spray paint",
        weight=25,
        service_level_days=14,
        duplicate_radius_m=30,
        placement="town-centre",
        photo="graffiti",
        questions=(
            QuestionSpec(
                "offensive",
                "Is it offensive or racist?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=YES_NO,
                hint="We remove offensive graffiti within one working day.",
            ),
            QuestionSpec(
                "surface",
                "What is it on?",
                QuestionDatatype.STRING,
                examples=(
                    "Brick wall",
                    "Bus shelter glass",
                    "Electricity box",
                    "Underpass wall",
                    "Shop shutter",
                    "Road sign",
                ),
            ),
        ),
        variants=(
            V(
                "Graffiti on the underpass by {street}",
                "The underpass has been covered in graffiti again.",
                {"surface": "Underpass wall"},
            ),
            V(
                "Tagging on shop shutters, {street}",
                "There is new graffiti on the shutters of the empty shop.",
                {"surface": "Shop shutter"},
            ),
            V(
                "Graffiti on the car park wall, {place}",
                "Someone has sprayed tags all along the car park wall.",
                {"surface": "Brick wall"},
            ),
            V(
                "Offensive graffiti on {street}",
                "Someone has sprayed offensive words on the wall by the bus stop.",
                {"offensive": "yes"},
            ),
            V(
                "Spray paint on the war memorial, {place}",
                "Someone has sprayed paint on the war memorial.",
                {"offensive": "no"},
            ),
        ),
        details=(
            "Some of it is quite offensive and children walk past every day.",
            "It has been there for a couple of weeks now.",
            "It makes the area look neglected.",
        ),
        fixed=("The graffiti has been removed.", "Cleaned off by our street scene team."),
    ),
    CategorySpec(
        code="BEN",
        slug="damaged-bench",
        name="Damaged bench",
        group=CategoryGroup.PARKS,
        tier=DISTRICT,
        description="A public bench that is broken, unsafe or vandalised.",
        keywords="bench, seat, broken, park furniture",
        weight=15,
        service_level_days=28,
        duplicate_radius_m=20,
        asset_types=("bench",),
        placement="asset",
        parish=True,
        photo="bench",
        variants=(
            V(
                "Broken bench in {park}",
                "Two of the slats on this bench are broken and there are nails sticking out.",
            ),
            V("{asset}: slats missing", "Several slats are missing from this bench."),
            V(
                "Bench pulled loose, {place}",
                "The bench has been pulled loose from its concrete base.",
            ),
            V(
                "Bench burnt in {park}",
                "Someone has set fire to the bench and it is badly charred.",
            ),
        ),
        details=(
            "Older people use it as a rest stop on the way into town.",
            "It is not safe to sit on.",
            "There is a memorial plaque on it that is coming loose.",
        ),
        fixed=("The bench has been repaired.", "A new bench has been installed."),
    ),
    CategorySpec(
        code="PLY",
        slug="play-equipment",
        name="Broken play equipment",
        group=CategoryGroup.PARKS,
        tier=DISTRICT,
        description="Playground equipment that is broken or unsafe.",
        keywords="playground, swing, slide, play area",
        weight=14,
        service_level_days=14,
        duplicate_radius_m=40,
        placement="park",
        parish=True,
        photo="play",
        questions=(
            QuestionSpec(
                "equipment",
                "Which piece of equipment?",
                QuestionDatatype.STRING,
                required=True,
                examples=(
                    "Baby swing",
                    "Big slide",
                    "Roundabout",
                    "Climbing frame",
                    "Zip wire",
                    "See-saw",
                    "Safety surface under the swings",
                ),
            ),
            QuestionSpec(
                "unsafe",
                "Is it dangerous to use?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=YES_NO,
            ),
        ),
        variants=(
            V(
                "Broken swing in {park}",
                "One of the chains on the swing has snapped.",
                {"equipment": "Baby swing", "unsafe": "yes"},
            ),
            V(
                "Slide damaged at the play area, {place}",
                "The slide has a crack along the side with a sharp edge.",
                {"equipment": "Big slide", "unsafe": "yes"},
            ),
            V(
                "Roundabout grinding in {park}",
                "The roundabout is making a grinding noise and jerks when it turns.",
                {"equipment": "Roundabout"},
            ),
            V(
                "Zip wire seat missing in {park}",
                "The seat has come off the zip wire.",
                {"equipment": "Zip wire"},
            ),
            V(
                "Safety surface lifting under the swings, {park}",
                "The rubber safety surface under the swings is lifting at the edges.",
                {"equipment": "Safety surface under the swings"},
            ),
        ),
        details=(
            "Children are still trying to use it.",
            "I have tied the swing up out of the way for now.",
            "The rubber safety surface underneath is also lifting.",
        ),
        fixed=("The equipment has been repaired and inspected.",),
    ),
    CategorySpec(
        code="FPB",
        slug="blocked-footpath",
        name="Blocked footpath",
        group=CategoryGroup.RIGHTS_OF_WAY,
        tier=COUNTY,
        description="A public footpath, bridleway or byway that is blocked or overgrown.",
        keywords="footpath, bridleway, right of way, stile, overgrown",
        weight=20,
        service_level_days=42,
        duplicate_radius_m=150,
        asset_types=("footpath",),
        placement="asset",
        photo="footpath",
        questions=(
            QuestionSpec(
                "obstruction",
                "What is blocking it?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(
                    ("vegetation", "Overgrown vegetation"),
                    ("tree", "A fallen tree"),
                    ("gate", "A locked gate or missing stile"),
                    ("crops", "Crops planted across it"),
                    ("flooding", "Flooding or mud"),
                    ("other", "Something else"),
                ),
            ),
            QuestionSpec(
                "details",
                "Anything else we should know?",
                QuestionDatatype.TEXT,
                examples=(
                    "The path is marked on the OS map but there is no way through.",
                    "There is an electric fence across the path with no insulated handle.",
                    "The footbridge has a rotten plank in the middle.",
                ),
            ),
        ),
        variants=(
            V(
                "{asset} blocked",
                "The path is completely overgrown with brambles and nettles.",
                {"obstruction": "vegetation"},
            ),
            V(
                "Overgrown footpath near {place}",
                "The footpath is so overgrown you cannot get through.",
                {"obstruction": "vegetation"},
            ),
            V(
                "Fallen tree across the path near {place}",
                "A tree has come down across the path in the storm.",
                {"obstruction": "tree"},
            ),
            V(
                "Gate padlocked on the path near {place}",
                "The gate at the end of the path has been padlocked.",
                {"obstruction": "gate"},
            ),
            V(
                "Footpath ploughed up near {place}",
                "The field has been ploughed and the path not reinstated.",
                {"obstruction": "crops"},
            ),
            V(
                "Path flooded near {place}",
                "The path is under deep water and mud at the bottom of the hill.",
                {"obstruction": "flooding"},
            ),
        ),
        details=(
            "We had to turn back with the dog.",
            "It is part of a popular circular walk from the village.",
            "Walkers are now going round through the crop instead.",
        ),
        fixed=(
            "Our rights of way ranger has cleared the path.",
            "The landowner has reinstated the path after our notice.",
        ),
    ),
    CategorySpec(
        code="BSH",
        slug="bus-shelter",
        name="Damaged bus shelter",
        group=CategoryGroup.BUS_STOPS,
        tier=COUNTY,
        description="A bus shelter with broken glass, a damaged seat or a leaking roof.",
        keywords="bus shelter, bus stop, broken glass",
        weight=15,
        service_level_days=14,
        duplicate_radius_m=20,
        asset_types=("bus-stop",),
        placement="asset",
        photo="shelter",
        variants=(
            V(
                "Smashed glass at {stop}",
                "One of the glass panels in the shelter has been smashed.",
            ),
            V(
                "Bus shelter roof leaking, {stop}",
                "The shelter roof leaks so you get wet waiting for the bus.",
            ),
            V("Seat broken in the shelter at {stop}", "The fold-down seat has been snapped off."),
        ),
        details=(
            "There is broken glass all over the pavement.",
            "Lots of older people wait here for the hospital bus.",
        ),
        fixed=("The glass has been replaced.", "The shelter has been repaired."),
    ),
    CategorySpec(
        code="BTT",
        slug="bus-timetable",
        name="Missing or out-of-date bus timetable",
        group=CategoryGroup.BUS_STOPS,
        tier=COUNTY,
        description="A bus stop with no timetable, or one that is wrong.",
        keywords="timetable, bus times, bus stop information",
        weight=10,
        service_level_days=10,
        duplicate_radius_m=20,
        asset_types=("bus-stop",),
        asset_required=True,
        placement="asset",
        questions=(
            QuestionSpec(
                "problem",
                "What is wrong with the timetable?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(
                    ("missing", "There is no timetable"),
                    ("old", "It is out of date"),
                    ("unreadable", "It is faded or unreadable"),
                ),
            ),
        ),
        variants=(
            V(
                "No timetable at {stop}",
                "The timetable case at this stop is empty.",
                {"problem": "missing"},
            ),
            V(
                "Out-of-date timetable at {stop}",
                "The timetable still shows the old times from before the changes.",
                {"problem": "old"},
            ),
            V(
                "Timetable faded and unreadable, {stop}",
                "The timetable has faded in the sun and cannot be read.",
                {"problem": "unreadable"},
            ),
        ),
        details=(
            "Not everyone has a smartphone to look the times up.",
            "Visitors were asking me when the next bus was.",
        ),
        fixed=("A new timetable has been put up.",),
    ),
    CategorySpec(
        code="DRN",
        slug="blocked-drain",
        name="Blocked drain",
        group=CategoryGroup.DRAINAGE,
        tier=COUNTY,
        description="A blocked road drain (gully) or water ponding on the road.",
        keywords="drain, gully, flooding, standing water",
        weight=25,
        service_level_days=14,
        duplicate_radius_m=40,
        asset_types=("gully",),
        placement="asset",
        photo="drain",
        questions=(
            QuestionSpec(
                "flooding",
                "Is there flooding?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(
                    ("none", "No, the drain is just blocked"),
                    ("road", "Water is standing on the road"),
                    ("property", "Water is getting into homes or gardens"),
                ),
            ),
        ),
        variants=(
            V(
                "Blocked drain on {street}",
                "The drain is blocked with leaves and silt.",
                {"flooding": "none"},
            ),
            V(
                "Road flooding outside {house} {street}",
                "Every time it rains the road floods right across.",
                {"flooding": "road"},
            ),
            V(
                "Gully full of leaves, {street}",
                "The gully is full of leaves and water is ponding by the kerb.",
                {"flooding": "road"},
            ),
            V(
                "Water getting into gardens on {street}",
                "Water from the blocked drain runs straight into the front gardens.",
                {"flooding": "property"},
            ),
        ),
        details=(
            "It comes up over the pavement in heavy rain.",
            "Water got into the front garden last week.",
            "It freezes over in cold weather and is a skid risk.",
        ),
        fixed=("The gully has been cleared by our jetting crew.",),
    ),
    CategorySpec(
        code="DEV",
        slug="community-devices",
        name="Devices for a community hub",
        group=CategoryGroup.COMMUNITY,
        tier=COMMUNITY,
        description="A community group or hub that needs laptops, tablets or phones for residents.",
        keywords="laptop, tablet, digital inclusion, devices, donation",
        weight=10,
        service_level_days=30,
        duplicate_radius_m=100,
        asset_types=("library",),
        placement="asset",
        questions=(
            QuestionSpec(
                "devices",
                "How many devices are needed?",
                QuestionDatatype.NUMBER,
                required=True,
            ),
            QuestionSpec(
                "purpose",
                "What will they be used for?",
                QuestionDatatype.TEXT,
                required=True,
                examples=(
                    "Job searching and CV workshops for people who are out of work.",
                    "A weekly digital skills club for older residents.",
                    "Homework club for children without a computer at home.",
                    "Helping people apply for Universal Credit and book GP appointments.",
                ),
            ),
            QuestionSpec(
                "kind",
                "What kind of devices?",
                QuestionDatatype.MULTIVALUELIST,
                values=(
                    ("laptop", "Laptops"),
                    ("tablet", "Tablets"),
                    ("phone", "Smartphones"),
                    ("dongle", "Mobile data dongles"),
                ),
            ),
        ),
        variants=(
            V(
                "Laptops needed for the digital skills club at {asset}",
                "Our volunteer-run club helps residents get online but we only have two laptops.",
                {"kind": ["laptop"]},
            ),
            V(
                "Tablets for older residents, {place}",
                "We run a weekly session for older people learning to video call their families.",
                {"kind": ["tablet"]},
            ),
            V(
                "Devices for homework club at {asset}",
                "Children come to our homework club who have no computer at home.",
                {"kind": ["laptop", "dongle"]},
            ),
        ),
        details=(
            "Refurbished devices would be perfect.",
            "We can collect from anywhere in the county.",
            "We have volunteers who can wipe and set up donated devices.",
        ),
        fixed=(
            "Devices donated by a local business have been delivered to the hub.",
            "Matched with refurbished laptops from our donation scheme.",
        ),
    ),
    CategorySpec(
        code="WIFI",
        slug="library-wifi",
        name="Public wi-fi not working at a library",
        group=CategoryGroup.COMMUNITY,
        tier=COMMUNITY,
        description="Free public wi-fi at a library or community building that is not working.",
        keywords="wi-fi, wifi, internet, library, broadband",
        weight=8,
        service_level_days=7,
        duplicate_radius_m=50,
        asset_types=("library",),
        asset_required=True,
        placement="asset",
        questions=(
            QuestionSpec(
                "since",
                "When did it stop working?",
                QuestionDatatype.DATETIME,
                required=True,
            ),
            QuestionSpec(
                "device",
                "What were you trying to connect?",
                QuestionDatatype.STRING,
                examples=("Android phone", "iPhone", "Laptop", "Tablet", "Chromebook"),
            ),
        ),
        variants=(
            V("Wi-fi not working at {asset}", "The public wi-fi shows up but will not connect."),
            V("Cannot connect to public wi-fi, {asset}", "The wi-fi login page never loads."),
            V(
                "Library wi-fi keeps dropping, {place}",
                "The connection keeps dropping every few minutes.",
            ),
        ),
        details=(
            "I rely on it to do my job applications.",
            "Staff said they had reported it but it is still not working.",
            "Several people in the library had the same problem.",
        ),
        fixed=(
            "The router has been replaced and wi-fi is working again.",
            "Our volunteer IT team reset the network; please tell us if it drops again.",
        ),
    ),
    # Added after the year was planned: their requests are planned apart (weight 0).
    CategorySpec(
        code="NDL",
        slug="discarded-needles",
        name="Discarded needles or syringes",
        group=CategoryGroup.WASTE,
        tier=DISTRICT,
        description=(
            "Used needles, syringes or other drug-taking litter in a public place. Do not "
            "touch them. Reports are private: only you and the council's staff see them, so "
            "that nobody is drawn to the spot and nobody living nearby is pointed at."
        ),
        keywords="needles, syringes, sharps, drug litter",
        weight=0,
        planned_apart=6,
        private=True,
        service_level_days=1,
        duplicate_radius_m=30,
        placement="park",
        questions=(
            QuestionSpec(
                "count",
                "Roughly how many are there?",
                QuestionDatatype.NUMBER,
                hint="A guess is fine. Do not go close to count them.",
            ),
            QuestionSpec(
                "children",
                "Is it where children play or walk to school?",
                QuestionDatatype.SINGLEVALUELIST,
                values=YES_NO,
            ),
        ),
        variants=(
            V(
                "Needles by the path in {park}",
                "There are used needles in the grass beside the path in {park}.",
            ),
            V(
                "Syringe in the bushes near {street}",
                "I saw a syringe under the bushes at the end of {street}.",
                {"children": "no"},
            ),
            V(
                "Needles near the play area, {place}",
                "There are a few needles on the ground near the play area.",
                {"children": "yes"},
            ),
        ),
        details=(
            "I have kept my dog away from them.",
            "It is on the way to the primary school.",
            "There were some there last month as well.",
        ),
        fixed=("Our sharps team has removed them safely and checked the area.",),
    ),
    CategorySpec(
        code="ABV",
        slug="abandoned-vehicle",
        name="Abandoned vehicle",
        group=CategoryGroup.OTHER,
        tier=DISTRICT,
        description=(
            "A vehicle that seems to have been left for good: untaxed, damaged or not moved "
            "for weeks. A photo is needed, showing the vehicle and, if you can, its number "
            "plate."
        ),
        keywords="abandoned car, untaxed, dumped vehicle, van",
        weight=0,
        planned_apart=7,
        photo_required=True,
        photo="vehicle",
        service_level_days=21,
        duplicate_radius_m=40,
        placement="street",
        questions=(
            QuestionSpec(
                "weeks",
                "For how many weeks has it been there?",
                QuestionDatatype.NUMBER,
                required=True,
            ),
        ),
        variants=(
            V(
                "Abandoned car on {street}, {place}",
                "A car has been parked outside number {house} for weeks and has not moved.",
            ),
            V(
                "Untaxed van left on {street}",
                "An old white van with no tax has been left by the kerb.",
            ),
            V(
                "Burnt-out car near {other}",
                "There is a burnt-out car at the end of {street} near {other}.",
            ),
        ),
        details=(
            "It has two flat tyres and a broken window.",
            "Leaves and litter have piled up around it.",
            "Nobody on the street knows whose it is.",
        ),
        fixed=("The vehicle has been removed and the owner traced.",),
    ),
    CategorySpec(
        code="GAS",
        slug="gas-leak",
        name="Gas leak or smell of gas",
        group=CategoryGroup.OTHER,
        tier=COUNTY,
        description="A smell of gas, or gas escaping, indoors or in the street.",
        keywords="gas, gas leak, smell of gas, emergency",
        weight=0,
        stop_notice=(
            "A gas leak is an emergency. Do not report it here: call the National Gas "
            "Emergency Service now on 0800 111 999, free, day or night. Do not use "
            "switches or naked flames, open doors and windows, and leave the building."
        ),
        placement="street",
    ),
    CategorySpec(
        code="WLK",
        slug="water-leak",
        name="Water leak",
        group=CategoryGroup.DRAINAGE,
        tier=UTILITY,
        description=(
            "Clean water leaking from a pipe, a hydrant or the ground: handled by the water "
            "company, not the council."
        ),
        keywords="water leak, burst main, hydrant, water company",
        weight=0,
        planned_apart=8,
        service_level_days=5,
        duplicate_radius_m=60,
        placement="street",
        questions=(
            QuestionSpec(
                "flow",
                "How much water is there?",
                QuestionDatatype.SINGLEVALUELIST,
                required=True,
                values=(
                    ("trickle", "A trickle or a damp patch"),
                    ("running", "Running along the gutter"),
                    ("gushing", "Gushing or flooding the road"),
                ),
            ),
        ),
        variants=(
            V(
                "Water leaking from the pavement on {street}",
                "Clean water is bubbling up through the pavement outside number {house}.",
                {"flow": "trickle"},
            ),
            V(
                "Burst main on {street}, {place}",
                "Water is gushing out of the road and running down towards {other}.",
                {"flow": "gushing"},
            ),
            V(
                "Leaking hydrant on {street}",
                "The fire hydrant cover on {street} has water running out of it all day.",
                {"flow": "running"},
            ),
        ),
        details=(
            "It has been running for three days now.",
            "The water pressure in our house has dropped.",
            "It freezes over in the mornings and is slippery.",
        ),
        fixed=("Our repair team has fixed the leaking pipe and reinstated the pavement.",),
    ),
]

#: Public messages staff post as a request moves along, by the category's tier.
ACKNOWLEDGED = {
    COUNTY: (
        "Thank you for your report. It has been passed to our highways team.",
        "Thanks, we have logged this for inspection.",
        "Received and passed to the area highways officer.",
    ),
    DISTRICT: (
        "Thank you, we have passed this to our street scene team.",
        "Thanks for letting us know. The crew supervisor has been told.",
    ),
    COMMUNITY: (
        "Thanks! One of our volunteers will be in touch.",
        "Thank you, we have added this to our list for this week.",
    ),
    UTILITY: (
        "Thank you. A leakage inspector has been sent your report.",
        "Thanks, this is logged with our network team.",
    ),
}
INVESTIGATING = (
    "An inspector will visit within five working days.",
    "We are checking the site to see what is needed.",
    "One of our team is looking into this.",
)
SCHEDULED = (
    "A repair is booked for {date}.",
    "Our contractor is due to attend on {date}.",
    "This is in the works programme for {date}.",
)
IN_PROGRESS = (
    "Work has started.",
    "Our crew is on site.",
    "",
)
NOT_FIXED = (
    "We have been unable to repair this: it needs a larger scheme, which is not funded this year.",
    "The landowner has not responded and we cannot enter the site. We have closed this for now.",
)
NO_FURTHER_ACTION = (
    "We inspected this and it does not meet our criteria for repair at the moment. "
    "We will look again at the next routine inspection.",
    "On inspection this is below our intervention level. No further action for now.",
    "We could not find the problem described at this location.",
)
NOT_RESPONSIBLE = (
    "This is on private land, so we cannot deal with it. We have closed the report.",
    "This is not ours to fix: it belongs to the housing association, who we have told.",
)
REFERRED = (
    "This is the responsibility of the water company. We have passed your report to them.",
    "We have referred this to the Environment Agency.",
    "This has been passed to the bus operator, who maintains this shelter.",
    "We have referred this to National Highways.",
)
COMMENTS = (
    "Thank you for your patience. Materials are on order.",
    "Our inspector has visited and taken measurements.",
    "We have had several reports about this and are treating it as a priority.",
    "The contractor has had to postpone because of the weather.",
)
NOTES = (
    "Crew B to attend; needs traffic management.",
    "Checked on the asset register: last inspected in the spring.",
    "Reporter phoned for an update; told the visit is booked.",
    "Possible link to the resurfacing scheme next year.",
    "Raised works order with the term contractor.",
    "Photo shows it is worse than described; raise priority.",
    "Chased the contractor by phone.",
    "Site is near a school: try to do this in the holidays.",
)
REOPENED = (
    "Reopened: the repair has failed and we are sending a crew back.",
    "Reopened after a resident told us the problem has come back.",
)
HIDDEN_REASONS = (
    "Contained a personal attack on a named member of staff.",
    "Contained someone's phone number and home address.",
)
