// latentatlas explorer: draws a run's latent cloud with plotly.js (WebGL) and asks the JSON API
// (documented at /docs) for images, decodes and paths. No framework: one state object, small
// functions, every request's error shown in the page.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  runs: [], run: null, info: null, points: null, view: "auto", colour: "label",
  selected: null, selectedCode: null, sliderCode: null, hoverTimer: null,
  pathMode: false, waypoints: [], path: null, lift: null, ready: false, busy: 0,
};
window.explorer = state; // for the browser tests and the curious

// -- talking to the server ----------------------------------------------------------------------
function runUrl(name) {
  return "/api/runs/" + name.split("/").map(encodeURIComponent).join("/");
}

async function api(url, options = {}) {
  state.busy += 1;
  try {
    const response = await fetch(url, options);
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new Error(detail);
    }
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.blob();
  } finally {
    state.busy -= 1;
  }
}

const post = (url, body) => api(url, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function setImage(img, blobOrUrl) {
  if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
  const url = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
  if (typeof blobOrUrl !== "string") img.dataset.objectUrl = url;
  img.src = url;
  img.hidden = false;
}

function viewQuery() {
  const params = new URLSearchParams({ view: state.view });
  if (state.view === "pca") state.pcs().forEach((p) => params.append("pcs", p));
  return params;
}
state.pcs = () => [Number($("pc-x").value) - 1, Number($("pc-y").value) - 1];

// -- runs and views -----------------------------------------------------------------------------
async function start() {
  try {
    state.runs = await api("/api/runs");
  } catch (error) {
    return status(`cannot list the runs: ${error.message}`, true);
  }
  const select = $("run-select");
  const groups = {};
  for (const run of state.runs) (groups[run.group] = groups[run.group] || []).push(run);
  for (const [group, runs] of Object.entries(groups)) {
    const holder = document.createElement("optgroup");
    holder.label = group;
    for (const run of runs) {
      const label = `${run.model} · d=${run.latent_dim} · seed ${run.seed}`;
      holder.append(new Option(runs.length > 1 ? label : `${run.name} (${label})`, run.name));
    }
    select.append(holder);
  }
  select.addEventListener("change", () => switchRun(select.value));
  $("view-select").addEventListener("change", () => { state.view = $("view-select").value; loadPoints(); });
  for (const id of ["pc-x", "pc-y", "max-select"]) $(id).addEventListener("change", loadPoints);
  $("colour-select").addEventListener("change", () => {
    state.colour = $("colour-select").value;
    updateExportLink();
    draw();
  });
  $("slider-reset").addEventListener("click", () => { buildSliders(state.selectedCode); decodeSliders(); });
  $("path-toggle").addEventListener("click", togglePathMode);
  $("path-clear").addEventListener("click", clearPath);
  $("path-decode").addEventListener("click", decodePath);
  await switchRun(state.runs[0].name);
}

async function switchRun(name) {
  const before = state.info;
  let keep = state.selected;
  state.run = name;
  $("run-select").value = name;
  try {
    state.info = await api(runUrl(name));
  } catch (error) {
    return status(`cannot load run ${name}: ${error.message}`, true);
  }
  const info = state.info;
  showInputsAs(info.input_shape.length === 1);
  // A data set row is the same sample only in runs of the same data set (same loader options).
  const dropped = keep !== null && before && before.data_id !== info.data_id ? keep : null;
  if (dropped !== null) {
    keep = null;
    clearSelection();
  }
  const views = $("view-select");
  views.replaceChildren(...info.views.map((v) => new Option(viewLabel(v, info), v)));
  if (!info.views.includes(state.view)) state.view = info.views[0];
  views.value = state.view;
  $("pc-x").max = $("pc-y").max = info.latent_dim;
  const colours = $("colour-select");
  const choices = (info.has_labels ? [["label", "label"]] : [])
    .concat(info.factor_names.map((f) => [`factor:${f}`, `factor: ${f}`]))
    .concat([["split", "train / validation"], ["error", "reconstruction error"]]);
  colours.replaceChildren(...choices.map(([v, t]) => new Option(t, v)));
  if (!choices.some(([v]) => v === state.colour)) state.colour = choices[0][0];
  colours.value = state.colour;
  if (state.waypoints.length || state.path) {
    clearPath();
    $("path-note").textContent = "Path cleared: each run has its own latent space.";
  }
  state.lift = null;
  $("img-lift").hidden = true;
  $("lift-note").textContent = "Click empty space in a 2-d view to decode the code there.";
  await loadPoints();
  if (dropped !== null) {
    status(`Selection of row ${dropped} cleared: ${name} uses another data set (${info.dataset}), where that row is a different sample.`);
  }
  if (keep !== null) await select(keep, true);
}

// Inputs that are vectors, not images, come back as bar profiles (values 0-1, one bar per
// entry; on a reconstruction the input's values are vermillion marks): wider pictures.
function showInputsAs(vectors) {
  state.vectors = vectors;
  document.body.classList.toggle("vectors", vectors);
  $("caption-original").textContent = vectors ? "input (bars: values 0–1)" : "image";
  $("caption-recon").textContent = vectors ? "reconstruction (marks: input)" : "reconstruction";
}

function clearSelection() {
  Object.assign(state, { selected: null, selectedCode: null, selectedCoords: null, sliderCode: null, sliderShown: null });
  $("point-heading").textContent = "Point";
  $("point-hint").textContent = "Hover over a point to preview it; click to select it.";
  $("point-facts").replaceChildren();
  for (const id of ["img-original", "img-recon", "img-slider"]) {
    $(id).removeAttribute("src");
    $(id).hidden = true;
  }
  $("slider-list").replaceChildren();
  $("slider-hint").textContent = "Select a point: each slider moves one latent dimension of its code.";
  $("slider-reset").disabled = true;
}

function viewLabel(view, info) {
  if (view === "latent") return info.latent_dim === 3 ? "latent (3-d, rotatable)" : "latent axes";
  if (view === "pca") return "PCA axes";
  return `stored ${view.slice(4)} map`;
}

async function loadPoints() {
  $("pc-controls").hidden = state.view !== "pca";
  const params = viewQuery();
  params.set("codes", "false");
  if ($("max-select").value) params.set("max_points", $("max-select").value);
  status("Loading points…");
  try {
    state.points = await api(`${runUrl(state.run)}/points?${params}`);
  } catch (error) {
    return status(`cannot load the points: ${error.message}`, true);
  }
  updateExportLink();
  if (state.selected !== null) await refreshSelectedCoords();
  draw();
  const p = state.points;
  const how = $("max-select").value ? "drawn" : "in this view"; // a stored map may cover fewer
  const drawn = p.n_returned < p.n_total ? ` (${p.n_returned.toLocaleString()} ${how})` : "";
  const clicks = p.dims === 2 ? "click a point to select it, or empty space to decode there" : "drag to rotate; click a point to select it";
  status(`${p.n_total.toLocaleString()} points${drawn} · ${state.info.model}, latent_dim ${state.info.latent_dim}, seed ${state.info.seed} · ${clicks}`);
  state.ready = true;
}

// -- drawing ------------------------------------------------------------------------------------
function colourInfo() {
  const p = state.points;
  const c = state.colour;
  if (c === "label" && p.labels) {
    const names = p.label_names;
    return { title: "label", values: p.labels.map((v) => (names && names[v] !== undefined ? names[v] : String(v))), categorical: true };
  }
  if (c === "split") return { title: "split", values: p.split.map((s) => p.split_names[s]), categorical: true };
  if (c.startsWith("factor:") && p.factors[c.slice(7)]) return { title: c.slice(7), values: p.factors[c.slice(7)], categorical: false };
  return { title: "reconstruction error (MSE)", values: p.reconstruction_error, categorical: false };
}

function dataTraces() {
  const p = state.points;
  const three = p.dims === 3;
  const type = three ? "scatter3d" : "scattergl";
  const size = three ? 2.5 : p.n_returned > 50000 ? 3 : 5;
  const { title, values, categorical } = colourInfo();
  const hover = "row %{customdata}<extra>%{fullData.name}</extra>";
  const trace = (rows, name, marker) => {
    const t = { type, mode: "markers", name, marker, customdata: rows.map((r) => p.index[r]), hovertemplate: hover };
    ["x", "y", "z"].slice(0, p.dims).forEach((axis, k) => { t[axis] = rows.map((r) => p.coords[k][r]); });
    return t;
  };
  const all = p.index.map((_, r) => r);
  if (!categorical) {
    // The colour bar names the values once; a legend entry would repeat the name beside it.
    const t = trace(all, title, { size, color: values, colorscale: "Cividis", showscale: true,
      colorbar: { title: { text: title }, thickness: 12 } });
    t.showlegend = false;
    return [t];
  }
  const groups = [...new Set(values)].sort((a, b) => (Number(a) - Number(b)) || String(a).localeCompare(String(b)));
  const palette = groups.length <= state.info.palettes.few.length ? state.info.palettes.few : state.info.palettes.many;
  return groups.map((g, k) => trace(all.filter((r) => values[r] === g), String(g), { size, color: palette[k % palette.length] }));
}

function overlayTraces() {
  const p = state.points;
  const three = p.dims === 3;
  const type = three ? "scatter3d" : "scattergl";
  const out = [];
  const add = (coords, name, marker, mode = "markers", line = undefined) => {
    if (!coords) return;
    const t = { type, mode, name, marker, line, hoverinfo: "skip", showlegend: true };
    ["x", "y", "z"].slice(0, p.dims).forEach((axis, k) => { t[axis] = coords.map((c) => c[k]); });
    out.push(t);
  };
  if (state.selectedCoords) add([state.selectedCoords], "selected", { size: three ? 8 : 16, color: "#000000", line: { width: 2.5 }, symbol: "circle-open" });
  const slider = projectCode(state.sliderCode);
  if (slider && state.sliderCode !== state.selectedCode) add([slider], "slider code", { size: three ? 6 : 12, color: "#D55E00", symbol: "x" });
  if (state.lift) add([state.lift.coords], "decoded here", { size: 12, color: "#009E73", symbol: "star" });
  const waypointCoords = state.waypoints.map((w) => w.coords).filter((c) => c);
  if (waypointCoords.length) add(waypointCoords, "waypoints", { size: 10, color: "#CC79A7", symbol: "diamond" });
  if (state.path && state.path.coords) {
    const coords = state.path.coords[0].map((_, i) => state.path.coords.map((axis) => axis[i]));
    add(coords, "path", { size: 5, color: "#E69F00" }, "lines+markers", { color: "#E69F00", width: 3 });
  }
  return out;
}

function draw() {
  const p = state.points;
  if (!p) return;
  const gd = $("cloud");
  const titles = p.axis_titles;
  const layout = {
    uirevision: `${state.run}|${p.view}|${(p.pcs || []).join()}`,
    // A continuous colouring's legend takes a row under the title (see legendLayout).
    margin: { l: 60, r: 20, t: colourInfo().categorical ? 40 : 76, b: 50 },
    title: { text: `${state.run} — ${p.view === "pca" ? `PCA (PC${p.pcs[0] + 1}, PC${p.pcs[1] + 1})` : p.view}`, font: { size: 14 },
      y: 1, yref: "container", yanchor: "top", pad: { t: 10 } },
    legend: legendLayout(),
    hovermode: "closest", dragmode: p.dims === 3 ? "orbit" : "pan", plot_bgcolor: "white",
  };
  if (p.dims === 3) {
    layout.scene = { xaxis: { title: { text: titles[0] } }, yaxis: { title: { text: titles[1] } }, zaxis: { title: { text: titles[2] } }, aspectmode: "data" };
  } else {
    layout.xaxis = { title: { text: titles[0] }, zeroline: false, gridcolor: "#eee" };
    layout.yaxis = { title: { text: titles[1] }, zeroline: false, gridcolor: "#eee", scaleanchor: "x", scaleratio: 1 };
  }
  if (state._tracesFor !== p || state._tracesColour !== state.colour) {
    state._traces = dataTraces();
    state._tracesFor = p;
    state._tracesColour = state.colour;
  }
  Plotly.react(gd, state._traces.concat(overlayTraces()), layout, { responsive: true, scrollZoom: true, displaylogo: false });
  if (!gd._explorerHooked) hookPlot(gd);
}

// Classes: the legend on the right names them under the colouring's title. A continuous
// colouring has its colour bar there instead, so the legend (only the marks: selected, path...)
// lies in one row above the plot, where it cannot cover the bar.
function legendLayout() {
  const { title, categorical } = colourInfo();
  if (categorical) return { title: { text: title }, itemsizing: "constant" };
  return { orientation: "h", x: 0, xanchor: "left", y: 1.0, yanchor: "bottom", itemsizing: "constant" };
}

function hookPlot(gd) {
  gd._explorerHooked = true;
  gd.on("plotly_click", (event) => {
    const point = event.points && event.points[0];
    if (!point || point.customdata === undefined) return;
    state.lastPointClick = Date.now();
    state.lastClicked = point.customdata;
    if (state.pathMode) addWaypointFromPoint(point.customdata);
    else select(point.customdata);
  });
  gd.on("plotly_hover", (event) => {
    const point = event.points && event.points[0];
    if (!point || point.customdata === undefined) return;
    clearTimeout(state.hoverTimer);
    // A redraw after a click re-hovers under the still mouse: keep showing the clicked point.
    if (Date.now() - (state.lastPointClick || 0) < 800) return;
    state.hoverTimer = setTimeout(() => showPoint(point.customdata, true), 90);
  });
  gd.on("plotly_unhover", () => {
    clearTimeout(state.hoverTimer);
    state.hoverTimer = setTimeout(() => { if (state.selected !== null) showPoint(state.selected, false); }, 250);
  });
  let down = null;
  gd.addEventListener("mousedown", (e) => { down = [e.clientX, e.clientY]; }, true);
  gd.addEventListener("click", (e) => {
    const drag = e.target.closest && e.target.closest(".nsewdrag");
    const moved = down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4;
    if (!drag || moved || state.points.dims !== 2) return;
    const rect = drag.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const position = [xa.p2c(e.clientX - rect.left), ya.p2c(e.clientY - rect.top)];
    setTimeout(() => { if (Date.now() - (state.lastPointClick || 0) > 300) clickEmpty(position); }, 0);
  }, true);
}

// Where a drawn point is on the screen (tests click there).
state.pixelOf = (index) => {
  const p = state.points, gd = $("cloud");
  const r = p.index.indexOf(index);
  if (r < 0 || p.dims !== 2) return null;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const rect = gd.querySelector(".nsewdrag").getBoundingClientRect();
  return { x: rect.left + xa.c2p(p.coords[0][r]), y: rect.top + ya.c2p(p.coords[1][r]) };
};

function projectCode(z) {
  const p = state.points;
  if (!z || !p) return null;
  if (p.view === "latent") return p.dims === 2 && z.length === 1 ? [z[0], 0] : z.slice(0, p.dims);
  if (p.view === "pca") {
    const { mean, components } = state.info.pca;
    return p.pcs.map((c) => components[c].reduce((s, w, k) => s + w * (z[k] - mean[k]), 0));
  }
  return null;
}

// -- a point: hover, select ---------------------------------------------------------------------
async function showPoint(index, hovered) {
  const token = (state.showToken = (state.showToken || 0) + 1);
  const current = () => token === state.showToken; // a later hover or click wins, not a late answer
  let point;
  try {
    point = await api(`${runUrl(state.run)}/points/${index}`);
  } catch (error) {
    return current() && status(`point ${index}: ${error.message}`, true);
  }
  if (!current()) return;
  $("point-heading").textContent = hovered && index !== state.selected ? `Hovered point (row ${index})` : `Selected point (row ${index})`;
  const facts = [["split", point.split], ["label", point.label_name ?? "—"], ["reconstruction error", point.reconstruction_error.toPrecision(3)]]
    .concat(Object.entries(point.factors).map(([k, v]) => [k, Number(v).toPrecision(3)]))
    .concat([["code", point.code.slice(0, 8).map((v) => v.toFixed(3)).join(", ") + (point.code.length > 8 ? ", …" : "")]]);
  $("point-facts").replaceChildren(...facts.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    return [dt, dd];
  }));
  const base = runUrl(state.run);
  const original = $("img-original");
  const images = [
    api(`${base}/image/${index}.png`).then((blob) => current() && setImage(original, blob)).catch((error) => {
      original.removeAttribute("src");
      $("point-hint").textContent = error.message;
    }),
    api(`${base}/reconstruction/${index}.png${state.vectors ? "?with_original=true" : ""}`).then((blob) => current() && setImage($("img-recon"), blob))
      .catch((e) => status(e.message, true)),
  ];
  await Promise.all(images);
  return point;
}

async function select(index, afterSwitch = false) {
  let point;
  try {
    point = await api(`${runUrl(state.run)}/points/${index}?${viewQuery()}`);
  } catch (error) {
    state.selected = null; state.selectedCoords = null;
    draw();
    return status(afterSwitch ? `row ${index} is not a point of this run: selection cleared` : error.message, true);
  }
  clearTimeout(state.hoverTimer);
  state.selected = index;
  state.selectedCode = point.code;
  state.selectedCoords = point.coords;
  await showPoint(index, false);
  buildSliders(point.code);
  decodeSliders();
  updateExportLink();
  draw();
}

async function refreshSelectedCoords() {
  try {
    const point = await api(`${runUrl(state.run)}/points/${state.selected}?${viewQuery()}`);
    state.selectedCoords = point.coords;
  } catch (_) {
    state.selectedCoords = null;
  }
}

// -- empty space --------------------------------------------------------------------------------
async function liftPosition(position) {
  const pcs = state.points.view === "pca" ? state.points.pcs : [0, 1];
  return post("/api/lift", { run: state.run, view: state.points.view, pcs, position });
}

async function clickEmpty(position) {
  if (state.pathMode) return addWaypointAt(position);
  try {
    const lifted = await liftPosition(position);
    const blob = await post("/api/decode", { run: state.run, z: lifted.z });
    setImage($("img-lift"), blob);
    const where = position.map((v) => v.toPrecision(3)).join(", ");
    $("lift-note").textContent = `At (${where}): ${lifted.note}.`;
    state.lift = { coords: position, z: lifted.z };
    draw();
  } catch (error) {
    $("lift-note").textContent = error.message;
  }
}

// -- sliders (the latent traversal, live) ---------------------------------------------------------
const MAX_SLIDERS = 64;

function buildSliders(code) {
  const list = $("slider-list");
  list.replaceChildren();
  if (!code) return;
  state.sliderCode = code.slice();
  const info = state.info;
  const shown = Math.min(code.length, MAX_SLIDERS);
  for (let k = 0; k < shown; k += 1) {
    const label = document.createElement("label");
    label.textContent = `z${k + 1}`;
    label.htmlFor = `slider-${k}`;
    const input = document.createElement("input");
    Object.assign(input, { type: "range", id: `slider-${k}`, min: info.slider_min[k], max: info.slider_max[k] });
    input.step = (info.slider_max[k] - info.slider_min[k]) / 200;
    input.value = code[k];
    const output = document.createElement("output");
    output.textContent = Number(code[k]).toFixed(3);
    input.addEventListener("input", () => {
      state.sliderCode[k] = Number(input.value);
      output.textContent = Number(input.value).toFixed(3);
      decodeSliders();
    });
    list.append(label, input, output);
  }
  $("slider-hint").textContent = code.length > shown
    ? `The first ${shown} of ${code.length} latent dimensions of row ${state.selected}.`
    : `Each slider moves one latent dimension of row ${state.selected}'s code.`;
  $("slider-reset").disabled = false;
}

let sliderBusy = false, sliderAgain = false;
async function decodeSliders() {
  if (!state.sliderCode) return;
  if (sliderBusy) { sliderAgain = true; return; } // keep only the latest position: live, not queued
  sliderBusy = true;
  try {
    const code = state.sliderCode.slice();
    const blob = await post("/api/decode", { run: state.run, z: code });
    setImage($("img-slider"), blob);
    state.sliderShown = { index: state.selected, code };
    draw();
  } catch (error) {
    $("slider-hint").textContent = error.message;
  } finally {
    sliderBusy = false;
    if (sliderAgain) { sliderAgain = false; decodeSliders(); }
  }
}

// -- paths --------------------------------------------------------------------------------------
function togglePathMode() {
  state.pathMode = !state.pathMode;
  $("path-toggle").setAttribute("aria-pressed", String(state.pathMode));
  $("path-toggle").textContent = state.pathMode ? "Drawing: click to add" : "Draw a path";
  pathNote();
}

function pathNote() {
  const n = state.waypoints.length;
  $("path-decode").disabled = n < 2;
  $("path-note").textContent = state.pathMode
    ? `${n} waypoint${n === 1 ? "" : "s"}. Click points or empty space to add; “Decode path” when done.`
    : n ? `${n} waypoints.` : "Press “Draw a path”, then click points (or empty space) to add waypoints.";
}

async function addWaypointFromPoint(index) {
  try {
    const point = await api(`${runUrl(state.run)}/points/${index}?${viewQuery()}`);
    state.waypoints.push({ code: point.code, coords: point.coords, index });
  } catch (error) {
    return status(error.message, true);
  }
  pathNote();
  draw();
}

async function addWaypointAt(position) {
  try {
    const lifted = await liftPosition(position);
    state.waypoints.push({ code: lifted.z, coords: position, index: lifted.index });
  } catch (error) {
    return status(error.message, true);
  }
  pathNote();
  draw();
}

function clearPath() {
  state.waypoints = [];
  state.path = null;
  $("path-strip").hidden = true;
  $("path-chart").hidden = true;
  pathNote();
  draw();
}

async function decodePath() {
  const p = state.points;
  const body = {
    run: state.run, codes: state.waypoints.map((w) => w.code), kind: $("path-kind").value,
    n_points: Number($("path-steps").value), view: p.view, pcs: p.view === "pca" ? p.pcs : [0, 1],
  };
  $("path-note").textContent = "Decoding…";
  try {
    state.path = await post("/api/path", body);
  } catch (error) {
    $("path-note").textContent = error.message;
    return;
  }
  const path = state.path;
  setImage($("path-strip"), path.strip);
  $("path-note").textContent = `${path.kind}: ${path.points.length} points, length ${path.length.toPrecision(3)}; ` +
    `distance to the nearest code: mean ${path.mean_offmanifold.toPrecision(3)}, max ${path.max_offmanifold.toPrecision(3)}.`;
  const chart = $("path-chart");
  chart.hidden = false;
  Plotly.react(chart, [{ type: "scatter", mode: "lines+markers", y: path.offmanifold, x: path.offmanifold.map((_, i) => i + 1), line: { color: "#E69F00" }, name: "off-manifold distance" }], {
    margin: { l: 50, r: 10, t: 28, b: 38 }, title: { text: "distance to the nearest data code", font: { size: 12 } },
    xaxis: { title: { text: "point along the path" }, dtick: Math.max(1, Math.round(path.points.length / 8)) },
    yaxis: { title: { text: "latent units" }, rangemode: "tozero" },
  }, { displayModeBar: false, responsive: true });
  draw();
}

// -- export -------------------------------------------------------------------------------------
function updateExportLink() {
  const params = viewQuery();
  params.set("colour", state.colour);
  if ($("max-select").value) params.set("max_points", $("max-select").value);
  if (state.selected !== null) params.set("selected", state.selected);
  $("export-link").href = `${runUrl(state.run)}/export.html?${params}`;
}
start();
