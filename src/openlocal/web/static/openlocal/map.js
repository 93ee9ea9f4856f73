// Maps and "use my location" buttons: an enhancement over lists and coordinate forms.
//
// Load leaflet.js (the global `L`) before this module. Every map element is rendered
// `hidden`, so without scripts, or if Leaflet or the tiles fail, the page still shows the
// list and the forms. Markup contract (the report journey relies on it):
//
//   <div hidden data-ol-map="show|pick|browse|area"
//        data-tile-url="https://…/{z}/{x}/{y}.png" data-tile-attribution="…"
//        data-icon-path="/static/leaflet/images/"            (optional)
//        show:   data-lat data-lon [data-zoom]
//        pick:   data-lat-input data-lon-input (input ids) data-centre-lat data-centre-lon
//                [data-zoom]
//        browse: data-points-url [data-centre-lat data-centre-lon data-zoom]
//        area:   data-geojson-id (id of a <script type="application/json">)>
//
//   <button hidden data-ol-geolocate data-lat-input="…" data-lon-input="…" [data-submit]>
//     Inputs are found by id, then by name. With data-submit the form is sent once filled.

const DECIMALS = 5;
const DEFAULT_ZOOM = 16;
const FALLBACK_VIEW = { lat: 54.0, lon: -2.5, zoom: 6 };

function number(value) {
  if (value === undefined || value === null || String(value).trim() === "") return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function findInput(ref, scope = document) {
  if (!ref) return null;
  return (
    document.getElementById(ref) ||
    scope.querySelector(`[name="${CSS.escape(ref)}"]`) ||
    document.querySelector(`[name="${CSS.escape(ref)}"]`)
  );
}

function setInput(input, value) {
  if (!input) return;
  input.disabled = false;
  input.value = value.toFixed(DECIMALS);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

function iconPath(element) {
  if (element.dataset.iconPath) return element.dataset.iconPath;
  // This module is served from …/static/openlocal/map.js; Leaflet's images sit beside it.
  return new URL("../leaflet/images/", import.meta.url).href;
}

function createMap(element) {
  const L = window.L;
  L.Icon.Default.imagePath = iconPath(element);
  element.hidden = false;
  const map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      attribution: element.dataset.tileAttribution || "",
      maxZoom: 19,
    }).addTo(map);
  }
  return map;
}

function view(element, lat, lon, zoom) {
  const la = number(lat);
  const lo = number(lon);
  const z = number(zoom);
  if (la === null || lo === null) {
    return [[FALLBACK_VIEW.lat, FALLBACK_VIEW.lon], z ?? FALLBACK_VIEW.zoom];
  }
  return [[la, lo], z ?? DEFAULT_ZOOM];
}

function showMap(element) {
  const map = createMap(element);
  const [centre, zoom] = view(element, element.dataset.lat, element.dataset.lon, element.dataset.zoom);
  map.setView(centre, zoom);
  window.L.marker(centre, { keyboard: false, title: "The location" }).addTo(map);
}

function pickMap(element) {
  const L = window.L;
  const latInput = findInput(element.dataset.latInput);
  const lonInput = findInput(element.dataset.lonInput);
  const map = createMap(element);
  const startLat = number(latInput?.value);
  const startLon = number(lonInput?.value);
  const hasStart = startLat !== null && startLon !== null;
  const [centre, zoom] = hasStart
    ? view(element, startLat, startLon, element.dataset.zoom)
    : view(element, element.dataset.centreLat, element.dataset.centreLon, element.dataset.zoom);
  map.setView(centre, zoom);

  let marker = null;
  const place = (latlng, write) => {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { draggable: true, title: "The chosen location" }).addTo(map);
      marker.on("dragend", () => {
        const at = marker.getLatLng();
        setInput(latInput, at.lat);
        setInput(lonInput, at.lng);
      });
    }
    if (write) {
      setInput(latInput, latlng.lat);
      setInput(lonInput, latlng.lng);
    }
  };
  if (hasStart) place(L.latLng(startLat, startLon), false);
  map.on("click", (event) => place(event.latlng, true));

  // Typing coordinates (or "use my location") moves the marker too.
  const follow = () => {
    const lat = number(latInput?.value);
    const lon = number(lonInput?.value);
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
    const at = L.latLng(lat, lon);
    if (marker && marker.getLatLng().equals(at, 1e-6)) return;
    place(at, false);
    map.panTo(at);
  };
  latInput?.addEventListener("change", follow);
  lonInput?.addEventListener("change", follow);
}

function popupContent(point) {
  const wrapper = document.createElement("div");
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = point.url;
  link.textContent = point.title;
  const status = document.createElement("p");
  status.className = "govuk-body-s";
  status.textContent = `#${point.id} · ${point.status}`;
  wrapper.append(link, status);
  return wrapper;
}

async function browseMap(element) {
  const L = window.L;
  const map = createMap(element);
  const [centre, zoom] = view(
    element,
    element.dataset.centreLat,
    element.dataset.centreLon,
    element.dataset.zoom,
  );
  map.setView(centre, zoom);
  const url = new URL(element.dataset.pointsUrl, window.location.href);
  new URLSearchParams(window.location.search).forEach((value, key) => {
    if (key !== "page") url.searchParams.append(key, value);
  });
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`Map points: HTTP ${response.status}`);
  const data = await response.json();
  const layer = L.featureGroup();
  for (const point of data.points || []) {
    L.circleMarker([point.lat, point.lon], { radius: 7, weight: 2 })
      .bindPopup(popupContent(point))
      .addTo(layer);
  }
  layer.addTo(map);
  if (layer.getLayers().length) {
    map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 });
  }
}

function areaMap(element) {
  const L = window.L;
  const source = document.getElementById(element.dataset.geojsonId || "");
  if (!source) return;
  const geojson = JSON.parse(source.textContent);
  const map = createMap(element);
  const layer = L.geoJSON(geojson, { style: { weight: 3, fillOpacity: 0.1 } }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [10, 10] });
}

const MODES = { show: showMap, pick: pickMap, browse: browseMap, area: areaMap };

function startMaps() {
  if (typeof window.L === "undefined") return; // Leaflet did not load: lists and forms remain.
  for (const element of document.querySelectorAll("[data-ol-map]")) {
    const start = MODES[element.dataset.olMap];
    if (!start) continue;
    Promise.resolve()
      .then(() => start(element))
      .catch((error) => {
        // A broken map must not break the page: hide it and leave the list and forms.
        element.hidden = true;
        console.warn("OpenLocal map could not be shown:", error);
      });
  }
}

function startGeolocate() {
  if (!("geolocation" in navigator)) return;
  for (const button of document.querySelectorAll("[data-ol-geolocate]")) {
    const form = button.closest("form");
    button.hidden = false;
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const label = button.textContent;
      button.disabled = true;
      button.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        (position) => {
          button.disabled = false;
          button.textContent = label;
          setInput(findInput(button.dataset.latInput, form || document), position.coords.latitude);
          setInput(findInput(button.dataset.lonInput, form || document), position.coords.longitude);
          if (button.hasAttribute("data-submit") && form) form.submit();
        },
        () => {
          button.disabled = false;
          button.textContent = "Your location is not available: enter a place instead";
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }
}

startGeolocate();
startMaps();
