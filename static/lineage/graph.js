// The Lineage tab: draws GET /api/v1/lineage with Cytoscape.js + dagre, left to right.
//
// window.lineageGraph is the Cytoscape instance; each node's data() is the node as the
// lineage API returns it (plus _text, _width, _height for drawing). window.lineageGraphReady
// is true once a view is laid out and drawn (false while a new view loads); the
// "lineage:ready" event fires on document then; window.lineageTimings holds the last
// view's fetch and draw times in ms.
// The whole view (Custom form, re-centred node, extracted and hidden nodes) lives in the
// page URL, so a link reproduces it. User text only reaches the page as textContent or as
// canvas labels, never as HTML.

const root = document.getElementById("lineage-graph");
const $ = (id) => document.getElementById(id);
const form = $("lineage-custom");
const panel = $("lineage-panel");
const eye = $("lineage-eye");
const VIEW_KEYS = ["upstream", "downstream", "artifact_types", "job_types", "extended",
  "generated", "expand_clusters"];

const params = new URLSearchParams(location.search);
const state = {
  node: params.get("node") || root.dataset.node,
  hidden: new Set(splitList(params.get("hidden"))),
  extract: new Set(splitList(params.get("extract"))),
  answer: null,
};

function splitList(text) {
  return (text || "").split(",").filter(Boolean);
}

const style = [
  { selector: "node", style: {
    shape: "round-rectangle", width: "data(_width)", height: "data(_height)", label: "data(_text)",
    "text-wrap": "wrap", "text-valign": "center", "text-halign": "center", "font-size": 13,
    "border-width": 2, color: "#1f2328" } },
  { selector: "node[kind = 'run']", style: { "background-color": "#e3f6e8", "border-color": "#2da44e" } },
  { selector: "node[kind = 'artifact']", style: { "background-color": "#e7f0fe", "border-color": "#1a73e8" } },
  { selector: "node[kind = 'cluster']", style: {
    "background-color": (n) => n.data("clusterKind") === "run" ? "#e3f6e8" : "#e7f0fe",
    "border-color": (n) => n.data("clusterKind") === "run" ? "#2da44e" : "#1a73e8",
    "border-style": "double", "border-width": 6, "font-weight": "bold",
    "underlay-color": "#8c959f", "underlay-padding": 5, "underlay-opacity": 0.25,
    "underlay-shape": "round-rectangle" } },
  { selector: "node[?base]", style: { "border-color": "#d97706", "border-width": 4, "font-weight": "bold" } },
  { selector: "node:selected", style: { "overlay-color": "#d97706", "overlay-opacity": 0.15 } },
  { selector: "edge", style: {
    width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
    "line-color": "#8c959f", "target-arrow-color": "#8c959f" } },
  { selector: "edge[kind = 'path']", style: { "line-style": "dashed" } },
  { selector: ".hidden", style: { display: "none" } },
];

// Drawing attributes computed once per node: style functions would run on every render.
function decorate(nodes) {
  return nodes.map(({ data }) => {
    const artifact = data.kind === "artifact";
    return { data: { ...data,
      _text: artifact ? `${data.type}\n${data.label}` : data.label,
      _width: Math.max(100, Math.min(280, data.label.length * 7.5 + 30)),
      _height: artifact ? 46 : 36 } };
  });
}

const cy = cytoscape({
  container: $("lineage-canvas"), style, minZoom: 0.05, maxZoom: 3,
  textureOnViewport: true, hideEdgesOnViewport: true,
});
window.lineageGraph = cy;

// ---- the view: form <-> API query <-> page URL ----

function formView() {
  const data = new FormData(form);
  const view = {};
  for (const key of VIEW_KEYS) {
    const values = data.getAll(key);
    if (values.length) view[key] = values.join(",");
  }
  for (const flag of ["extended", "generated", "expand_clusters"]) view[flag] = view[flag] ? "1" : "0";
  return view;
}

function apiUrl() {
  const query = new URLSearchParams({ node: state.node, ...formView() });
  if (state.extract.size) query.set("extract", [...state.extract].join(","));
  return `${root.dataset.api}?${query}`;
}

function saveUrl(push) {
  const query = new URLSearchParams(location.search);
  for (const key of [...VIEW_KEYS, "node", "hidden", "extract"]) query.delete(key);
  query.set("tab", "lineage");
  for (const [key, value] of new FormData(form)) query.append(key, value);
  if (state.node !== root.dataset.node) query.set("node", state.node);
  if (state.hidden.size) query.set("hidden", [...state.hidden].join(","));
  if (state.extract.size) query.set("extract", [...state.extract].join(","));
  history[push ? "pushState" : "replaceState"](null, "", `${location.pathname}?${query}`);
}

// ---- drawing ----

async function load() {
  window.lineageGraphReady = false;
  setStatus("Loading…");
  const started = performance.now();
  const response = await fetch(apiUrl(), { headers: { Accept: "application/json" } });
  const answer = await response.json();
  if (!response.ok) {
    setStatus(answer.detail || "The lineage could not be loaded.");
    return;
  }
  state.answer = answer;
  window.lineageTimings = { fetch: performance.now() - started };
  draw(answer);
}

function draw(answer) {
  cy.startBatch();
  cy.elements().remove();
  const drawStarted = performance.now();
  cy.add({ nodes: decorate(answer.elements.nodes), edges: answer.elements.edges });
  cy.nodes().forEach((n) => { if (state.hidden.has(n.id())) n.addClass("hidden"); });
  cy.endBatch();
  const layout = cy.layout({
    name: "dagre", rankDir: "LR", nodeSep: 24, rankSep: 56, animate: false, fit: true, padding: 30,
  });
  layout.one("layoutstop", () => {
    if (cy.zoom() > 1.6) { cy.zoom(1.6); cy.center(); }  // small graphs: readable, not huge
    renderLists();
    const count = answer.elements.nodes.length;
    setStatus(`${count} node${count === 1 ? "" : "s"}${answer.truncated ? " (truncated: narrow the view)" : ""}`);
    requestAnimationFrame(() => {
      window.lineageTimings.draw = performance.now() - drawStarted;
      window.lineageGraphReady = true;
      document.dispatchEvent(new CustomEvent("lineage:ready"));
    });
  });
  layout.run();
}

function setStatus(text) {
  $("lineage-status").textContent = text;
}

function labelOf(node) {
  return node.data("label");
}

function button(text, onClick, attrs = {}) {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  el.addEventListener("click", onClick);
  return el;
}

function renderLists() {
  const list = $("lineage-list");
  list.replaceChildren();
  cy.nodes().sort((a, b) => a.data("level") - b.data("level")).forEach((node) => {
    const item = document.createElement("li");
    const kind = node.data("kind") === "artifact" ? node.data("type") : node.data("kind");
    item.append(button(`${labelOf(node)} (${kind}, level ${node.data("level")})`, () => select(node)));
    list.append(item);
  });
  const hiddenList = $("lineage-hidden-list");
  hiddenList.replaceChildren();
  for (const id of state.hidden) {
    const node = cy.getElementById(id);
    const label = node.nonempty() ? labelOf(node) : id;
    const item = document.createElement("li");
    item.append(button(`Show ${label}`, () => showNode(id), { "aria-label": `Show ${label}` }));
    hiddenList.append(item);
  }
  if (!state.hidden.size) {
    const empty = document.createElement("li");
    empty.className = "muted empty";
    empty.textContent = "No hidden nodes.";
    hiddenList.append(empty);
  }
}

// ---- panel: previews (server-rendered partials via htmx) and clusters ----

function select(node) {
  cy.$(":selected").unselect();
  node.select();
  if (node.data("kind") === "cluster") showCluster(node);
  else preview(node.id(), panel);
}

function preview(id, target) {
  const url = root.dataset.preview.replace("NODE", encodeURIComponent(id));
  return htmx.ajax("GET", url, { target, swap: "innerHTML" });
}

function showCluster(node) {
  const query = new URLSearchParams(apiUrl().split("?")[1]);
  query.set("cluster", node.id());
  query.set("label", node.data("label"));
  htmx.ajax("GET", `${root.dataset.cluster}?${query}`, { target: panel, swap: "innerHTML" });
}

function extract(id) {
  state.extract.add(id);
  saveUrl(true);
  load();
}

function recenter(id) {
  state.node = id;
  state.extract.clear();
  state.hidden.clear();
  saveUrl(true);
  load();
}

// ---- hiding with the eye button ----

let eyeTarget = null;
let eyeTimer = null;

function showEye(node) {
  clearTimeout(eyeTimer);
  eyeTarget = node;
  const box = node.renderedBoundingBox();
  eye.style.left = `${box.x2 - 8}px`;
  eye.style.top = `${box.y1 - 14}px`;
  eye.setAttribute("aria-label", `Hide ${labelOf(node)}`);
  eye.title = `Hide ${labelOf(node)}`;
  eye.hidden = false;
}

// Cytoscape reports "mouseout" as the pointer moves from the node onto the eye, so the
// timer keeps the eye while the pointer is on it.
function hideEyeSoon() {
  clearTimeout(eyeTimer);
  eyeTimer = setTimeout(() => { if (!eye.matches(":hover")) eye.hidden = true; }, 600);
}

function hideNode(node) {
  node.addClass("hidden");
  state.hidden.add(node.id());
  eye.hidden = true;
  saveUrl(false);
  renderLists();
}

function showNode(id) {
  state.hidden.delete(id);
  cy.getElementById(id).removeClass("hidden");
  saveUrl(false);
  renderLists();
}

// ---- export ----

function download(name, blob) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function exportJson() {
  const data = { ...state.answer, view: formView(), hidden: [...state.hidden], extract: [...state.extract] };
  download("lineage.json", new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
}

// ---- wiring ----

cy.on("tap", "node", (event) => select(event.target));
cy.on("mouseover", "node", (event) => showEye(event.target));
cy.on("mouseout", "node", hideEyeSoon);
cy.on("pan zoom drag", () => { eye.hidden = true; });
eye.addEventListener("mouseenter", () => clearTimeout(eyeTimer));
eye.addEventListener("mouseleave", hideEyeSoon);
eye.addEventListener("click", () => eyeTarget && hideNode(eyeTarget));
panel.addEventListener("click", (event) => {
  const target = event.target.closest("[data-recenter], [data-preview], [data-extract]");
  if (!target) return;
  if (target.dataset.recenter) recenter(target.dataset.recenter);
  else if (target.dataset.preview) preview(target.dataset.preview, $("cluster-preview"));
  else extract(target.dataset.extract);
});
$("lineage-fit").addEventListener("click", () => cy.fit(cy.elements(":visible"), 24));
$("lineage-export-png").addEventListener("click", () =>
  download("lineage.png", cy.png({ full: true, bg: "#ffffff", output: "blob", scale: 2 })));
$("lineage-export-json").addEventListener("click", exportJson);
$("lineage-custom-toggle").addEventListener("click", (event) => {
  form.hidden = !form.hidden;
  event.currentTarget.setAttribute("aria-expanded", String(!form.hidden));
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  saveUrl(true);
  load();
});
window.addEventListener("popstate", () => location.reload());

load();
