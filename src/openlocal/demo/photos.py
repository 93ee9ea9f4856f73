"""Photos for demo requests, painted with Pillow: a road with a hole in it, a dumped sofa.

Each picture is drawn from the caller's seeded generator, so the same picture comes out on
every run. The "camera" file carries EXIF with a GPS position, as a phone's would, so the
demo exercises the same stripping in :func:`openlocal.requests.photos.photo_reencode` as a
real upload.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
Colour = tuple[int, int, int]
Painter = Callable[[random.Random, Image.Image, ImageDraw.ImageDraw], None]


def _texture(rng: random.Random, colour: Colour, spread: int, blur: float = 1.2) -> Image.Image:
    """A flat colour with seeded grain: tarmac, grass, brick or gravel."""
    noise = Image.frombytes("L", (WIDTH // 2, HEIGHT // 2), rng.randbytes(WIDTH * HEIGHT // 4))
    noise = noise.resize((WIDTH, HEIGHT)).filter(ImageFilter.GaussianBlur(blur))
    base = Image.new("RGB", (WIDTH, HEIGHT), colour)
    lighter = Image.new("RGB", (WIDTH, HEIGHT), tuple(min(255, c + spread) for c in colour))
    return Image.composite(lighter, base, noise)


def _blob(
    rng: random.Random, cx: float, cy: float, rx: float, ry: float
) -> list[tuple[float, float]]:
    """An irregular closed outline around a centre: a hole, a puddle, a heap."""
    points = []
    for n in range(24):
        angle = 2 * math.pi * n / 24
        wobble = rng.uniform(0.75, 1.15)
        points.append((cx + rx * wobble * math.cos(angle), cy + ry * wobble * math.sin(angle)))
    return points


def _road(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.line([(0, 90), (WIDTH, 70)], fill=(235, 235, 235), width=8)


def _pothole(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    _road(rng, image, draw)
    cx, cy = rng.uniform(220, 420), rng.uniform(240, 330)
    rx, ry = rng.uniform(90, 150), rng.uniform(50, 90)
    draw.polygon(_blob(rng, cx, cy, rx * 1.15, ry * 1.15), fill=(70, 70, 68))
    draw.polygon(_blob(rng, cx, cy, rx, ry), fill=(38, 36, 34))
    if rng.random() < 0.6:
        draw.polygon(_blob(rng, cx + 10, cy + 12, rx * 0.6, ry * 0.45), fill=(92, 104, 112))


def _pavement(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    for row in range(0, HEIGHT, 120):
        for col in range(0, WIDTH, 160):
            lift = rng.randint(-14, 14) if rng.random() < 0.25 else 0
            shade = rng.randint(150, 185)
            draw.rectangle(
                [col + 3, row + 3 + lift, col + 157, row + 117 + lift],
                fill=(shade, shade, shade - 6),
                outline=(90, 90, 90),
                width=3,
            )
    draw.line(
        [(rng.randint(100, 300), 0), (rng.randint(300, 540), HEIGHT)], fill=(60, 60, 60), width=4
    )


def _litter(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle([250, 140, 390, 400], fill=(20, 70, 40))
    draw.rectangle([240, 120, 400, 150], fill=(15, 55, 30))
    for _ in range(14):
        x, y = rng.uniform(200, 460), rng.uniform(80, 440)
        colour = rng.choice([(220, 220, 220), (200, 40, 40), (240, 200, 40), (60, 60, 200)])
        draw.polygon(_blob(rng, x, y, rng.uniform(10, 24), rng.uniform(8, 18)), fill=colour)


def _flytip(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    for _ in range(rng.randint(5, 9)):
        x, y = rng.uniform(120, 520), rng.uniform(220, 400)
        draw.polygon(_blob(rng, x, y, rng.uniform(30, 55), rng.uniform(25, 45)), fill=(25, 25, 28))
    if rng.random() < 0.6:
        x = rng.uniform(100, 300)
        draw.rectangle(
            [x, 160, x + 220, 300], fill=(215, 205, 185), outline=(150, 140, 120), width=4
        )
        for n in range(1, 4):
            draw.line([(x + 55 * n, 165), (x + 55 * n, 295)], fill=(180, 170, 150), width=2)


def _graffiti(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    for row in range(0, HEIGHT, 30):
        offset = 0 if (row // 30) % 2 else 45
        for col in range(-offset, WIDTH, 90):
            draw.rectangle([col, row, col + 86, row + 26], outline=(200, 190, 180), width=3)
    for _ in range(rng.randint(3, 6)):
        colour = rng.choice([(20, 20, 20), (30, 90, 200), (220, 30, 120), (250, 220, 30)])
        points = [(rng.uniform(60, 580), rng.uniform(120, 360)) for _ in range(8)]
        draw.line(points, fill=colour, width=rng.randint(8, 16), joint="curve")


def _bench(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    for n in range(4):
        if rng.random() < 0.3:
            continue
        y = 180 + n * 34
        draw.rectangle([140, y, 500, y + 24], fill=(122, 84, 50), outline=(80, 52, 30), width=2)
    draw.rectangle([160, 300, 180, 400], fill=(40, 40, 40))
    draw.rectangle([460, 300, 480, 400], fill=(40, 40, 40))


def _play(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.line([(160, 420), (220, 100), (420, 100), (480, 420)], fill=(200, 40, 40), width=14)
    draw.line([(280, 100), (280, 330)], fill=(90, 90, 90), width=4)
    if rng.random() < 0.5:
        draw.line([(360, 100), (390, 250)], fill=(90, 90, 90), width=4)
    else:
        draw.line([(360, 100), (360, 330)], fill=(90, 90, 90), width=4)
    draw.rectangle([265, 330, 375, 345], fill=(30, 30, 30))


def _footpath(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.polygon([(260, HEIGHT), (380, HEIGHT), (330, 200), (310, 200)], fill=(150, 120, 80))
    for _ in range(30):
        x, y = rng.uniform(150, 490), rng.uniform(150, 420)
        draw.polygon(_blob(rng, x, y, rng.uniform(20, 50), rng.uniform(15, 35)), fill=(40, 90, 30))


def _shelter(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle([120, 90, 520, 110], fill=(40, 40, 40))
    for x in (130, 500):
        draw.rectangle([x, 110, x + 12, 420], fill=(40, 40, 40))
    draw.rectangle([145, 115, 495, 380], fill=(170, 200, 210), outline=(60, 60, 60), width=3)
    cx, cy = rng.uniform(220, 420), rng.uniform(180, 320)
    for _ in range(10):
        draw.line(
            [(cx, cy), (cx + rng.uniform(-120, 120), cy + rng.uniform(-90, 90))],
            fill=(245, 245, 245),
            width=2,
        )


def _drain(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    draw.polygon(_blob(rng, 320, 260, 260, 150), fill=(105, 120, 130))
    draw.rectangle([270, 230, 370, 290], fill=(30, 30, 30))
    for bar in range(278, 370, 14):
        draw.line([(bar, 232), (bar, 288)], fill=(80, 80, 80), width=5)
    for _ in range(12):
        x, y = rng.uniform(250, 390), rng.uniform(220, 300)
        draw.polygon(
            _blob(rng, x, y, 14, 9), fill=rng.choice([(150, 90, 30), (120, 70, 20), (170, 120, 40)])
        )


def _vehicle(rng: random.Random, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    """A car left at the kerb: faded paint, a flat tyre, sometimes a broken window."""
    _road(rng, image, draw)
    paint = rng.choice([(150, 40, 40), (60, 80, 120), (170, 170, 160), (60, 100, 60)])
    x, y = rng.uniform(90, 170), rng.uniform(200, 250)
    draw.rounded_rectangle([x, y, x + 400, y + 110], radius=28, fill=paint)
    draw.polygon([(x + 90, y), (x + 140, y - 70), (x + 290, y - 70), (x + 340, y)], fill=paint)
    glass = (40, 50, 60) if rng.random() < 0.6 else (200, 210, 215)
    draw.polygon(
        [(x + 110, y - 5), (x + 150, y - 60), (x + 210, y - 60), (x + 210, y - 5)], fill=glass
    )
    draw.polygon(
        [(x + 225, y - 5), (x + 225, y - 60), (x + 280, y - 60), (x + 320, y - 5)], fill=glass
    )
    for wheel_x in (x + 80, x + 320):
        flat = rng.random() < 0.5
        draw.ellipse(
            [wheel_x - 42, y + 70 + (14 if flat else 0), wheel_x + 42, y + 154], fill=(25, 25, 25)
        )
    for _ in range(rng.randint(4, 9)):
        spot_x, spot_y = rng.uniform(x + 20, x + 380), rng.uniform(y + 10, y + 100)
        draw.polygon(_blob(rng, spot_x, spot_y, 12, 8), fill=(120, 80, 40))


#: For each kind of picture: the background (colour, grain) and what is painted on it.
KINDS: dict[str, tuple[Colour, int, Painter]] = {
    "pothole": ((96, 96, 98), 50, _pothole),
    "pavement": ((120, 120, 118), 30, _pavement),
    "litter": ((140, 140, 135), 40, _litter),
    "flytip": ((70, 110, 50), 60, _flytip),
    "graffiti": ((150, 70, 50), 45, _graffiti),
    "bench": ((80, 130, 60), 50, _bench),
    "play": ((170, 150, 110), 40, _play),
    "footpath": ((60, 110, 45), 70, _footpath),
    "shelter": ((110, 110, 112), 40, _shelter),
    "drain": ((90, 90, 92), 50, _drain),
    "vehicle": ((96, 96, 98), 50, _vehicle),
}

#: EXIF tag numbers: Make, Model, the GPS block, and inside it latitude and longitude.
_MAKE, _MODEL, _GPS_IFD = 0x010F, 0x0110, 0x8825
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


def camera_jpeg(rng: random.Random, kind: str, latitude: float, longitude: float) -> bytes:
    """A phone-style JPEG of the problem, with EXIF that includes where it was taken."""
    colour, spread, painter = KINDS[kind]
    image = _texture(rng, colour, spread)
    painter(rng, image, ImageDraw.Draw(image))
    image = image.filter(ImageFilter.SMOOTH)
    exif = Image.Exif()
    exif[_MAKE] = "DemoPhone"
    exif[_MODEL] = "DP-1"
    gps = exif.get_ifd(_GPS_IFD)
    gps[_GPS_LAT_REF] = "N" if latitude >= 0 else "S"
    gps[_GPS_LAT] = _dms(abs(latitude))
    gps[_GPS_LON_REF] = "E" if longitude >= 0 else "W"
    gps[_GPS_LON] = _dms(abs(longitude))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)
