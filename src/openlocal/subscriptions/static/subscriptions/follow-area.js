// "Around a point" and "draw an area" on the follow page: an enhancement over the form.
//
// Without scripts (or without Leaflet) the page is a plain form: latitude, longitude and a
// distance. With them, a map shows the circle being followed; selecting the map moves the
// point, and "Draw an area" lets a visitor place the corners of a polygon, which is written
// as GeoJSON (longitude, latitude) into the hidden `polygon` field and used instead of the
// point. Markup contract (subscriptions/follow_area.html):
//
//   <div data-follow-map-controls hidden> … <div data-follow-map data-centre-lat … data-tile-url …>
//   <button data-follow-draw> <button data-follow-finish> <button data-follow-clear>
//   <p data-follow-status>     <input id="id_polygon">  inputs #id_latitude, #id_longitude
//   radios name="radius"

const DECIMALS = 5;
const MIN_CORNERS = 3;

function number(value) {
  if (value === undefined || value === null || String(value).trim() === "") return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function start(controls) {
  const L = window.L;
  const element = controls.querySelector("[data-follow-map]");
  const form = controls.closest("form");
  const latInput = document.getElementById("id_latitude");
  const lonInput = document.getElementById("id_longitude");
  const polygonInput = document.getElementById("id_polygon");
  const drawButton = controls.querySelector("[data-follow-draw]");
  const finishButton = controls.querySelector("[data-follow-finish]");
  const clearButton = controls.querySelector("[data-follow-clear]");
  const status = controls.querySelector("[data-follow-status]");
  if (!element || !form || !latInput || !lonInput || !polygonInput) return;

  controls.hidden = false;
  const map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      attribution: element.dataset.tileAttribution || "",
      maxZoom: 19,
    }).addTo(map);
  }
  map.setView(
    [number(element.dataset.centreLat) ?? 54.0, number(element.dataset.centreLon) ?? -2.5],
    number(element.dataset.zoom) ?? 10,
  );

  const radius = () => {
    const checked = form.querySelector('input[name="radius"]:checked');
    return number(checked?.value) ?? 500;
  };
  const point = () => {
    const lat = number(latInput.value);
    const lon = number(lonInput.value);
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return L.latLng(lat, lon);
  };

  let circle = null;
  let corners = [];
  let outline = null;
  let shape = null;
  let drawing = false;

  const say = (text) => {
    status.textContent = text;
  };

  const showCircle = (pan) => {
    const at = point();
    if (circle) {
      circle.remove();
      circle = null;
    }
    if (!at || shape || drawing) return;
    circle = L.circle(at, { radius: radius(), weight: 2, fillOpacity: 0.1 }).addTo(map);
    if (pan) map.fitBounds(circle.getBounds(), { padding: [20, 20] });
  };

  const setPoint = (latlng) => {
    latInput.value = latlng.lat.toFixed(DECIMALS);
    lonInput.value = latlng.lng.toFixed(DECIMALS);
    showCircle(false);
  };

  const redrawOutline = () => {
    if (outline) outline.remove();
    outline = corners.length
      ? L.polyline(corners, { weight: 3, dashArray: "6 6" }).addTo(map)
      : null;
  };

  const writePolygon = () => {
    const ring = corners.map((c) => [Number(c.lng.toFixed(6)), Number(c.lat.toFixed(6))]);
    ring.push(ring[0]);
    polygonInput.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  };

  const showShape = (latlngs) => {
    if (shape) shape.remove();
    shape = L.polygon(latlngs, { weight: 3, fillOpacity: 0.15 }).addTo(map);
    map.fitBounds(shape.getBounds(), { padding: [20, 20] });
  };

  const clear = () => {
    drawing = false;
    corners = [];
    redrawOutline();
    if (shape) shape.remove();
    shape = null;
    polygonInput.value = "";
    drawButton.disabled = false;
    finishButton.disabled = true;
    clearButton.disabled = true;
    showCircle(false);
    say("The drawing is cleared. The point and distance above will be followed.");
  };

  drawButton.addEventListener("click", () => {
    if (shape) shape.remove();
    shape = null;
    polygonInput.value = "";
    corners = [];
    drawing = true;
    redrawOutline();
    showCircle(false);
    drawButton.disabled = true;
    finishButton.disabled = true;
    clearButton.disabled = false;
    say("Select each corner of the area on the map, then choose “Finish the area”.");
  });

  finishButton.addEventListener("click", () => {
    if (corners.length < MIN_CORNERS) return;
    drawing = false;
    writePolygon();
    redrawOutline();
    if (outline) outline.remove();
    outline = null;
    showShape(corners);
    drawButton.disabled = false;
    finishButton.disabled = true;
    say(`Area drawn with ${corners.length} corners. It will be followed instead of the point.`);
  });

  clearButton.addEventListener("click", clear);

  map.on("click", (event) => {
    if (drawing) {
      corners.push(event.latlng);
      redrawOutline();
      finishButton.disabled = corners.length < MIN_CORNERS;
      say(
        corners.length < MIN_CORNERS
          ? `Corner ${corners.length} placed. An area needs at least ${MIN_CORNERS}.`
          : `Corner ${corners.length} placed. Place another, or choose “Finish the area”.`,
      );
      return;
    }
    if (!shape) setPoint(event.latlng);
  });

  latInput.addEventListener("change", () => showCircle(true));
  lonInput.addEventListener("change", () => showCircle(true));
  for (const radio of form.querySelectorAll('input[name="radius"]')) {
    radio.addEventListener("change", () => showCircle(true));
  }

  // A form sent back with an error keeps the drawn area: show it again.
  if (polygonInput.value) {
    try {
      const geojson = JSON.parse(polygonInput.value);
      const ring = geojson.coordinates[0].slice(0, -1);
      corners = ring.map(([lon, lat]) => L.latLng(lat, lon));
      showShape(corners);
      clearButton.disabled = false;
      say(`Area drawn with ${corners.length} corners. It will be followed instead of the point.`);
    } catch {
      polygonInput.value = "";
    }
  }
  showCircle(Boolean(point()) && !shape);
}

function startAll() {
  if (typeof window.L === "undefined") return; // Leaflet did not load: the form remains.
  for (const controls of document.querySelectorAll("[data-follow-map-controls]")) {
    try {
      start(controls);
    } catch (error) {
      controls.hidden = true;
      console.warn("The follow map could not be shown:", error);
    }
  }
}

startAll();
