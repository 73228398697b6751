// The Lineage tab: draws GET /api/v1/lineage left to right, a small view with Cytoscape.js
// + dagre, a large one (past DAGRE_LIMIT nodes) in columns on one canvas (canvas.js).
//
// window.lineageGraph is the Cytoscape instance of the view shown (a headless one for a
// large view, whose last frame window.lineageFrame describes); each node's data() is the
// node as the lineage API returns it (plus _text, _lines, _width, _height and, for
// clusters, _stack for drawing). window.lineageGraphReady is true once a view is laid out
// and drawn (false while a new view loads); the "lineage:ready" event fires on document
// then; window.lineageTimings holds the last view's fetch, layout and draw times in ms.
// "+N more" markers (kind "more", the answer's `markers`) stand where the hops or the node
// bound cut the view; clicking one grows the view there in place, and window.lineageGrown
// counts the grows drawn ("lineage:grown" fires on document after each).
// The whole view (Custom form, re-centred node, extracted and hidden nodes) lives in the
// page URL, so a link reproduces it. User text only reaches the page as textContent or as
// canvas labels, never as HTML.

import { LABEL_ZOOM, canvasView, extentOf } from "./canvas.js";

const root = document.getElementById("lineage-graph");
const $ = (id) => document.getElementById(id);
const form = $("lineage-custom");
const panel = $("lineage-panel");
const panelHint = panel.firstElementChild.cloneNode(true);
const eye = $("lineage-eye");
// The view's fields (lineage/view.py): name, kind (int, bool, list), encoded default.
const VIEW = JSON.parse($("lineage-view-spec").textContent);
const COLORS = {
  run: { fill: "#e3f6e8", line: "#2da44e" },
  artifact: { fill: "#e7f0fe", line: "#1a73e8" },
  locked: { fill: "#f0f1f3", line: "#8c959f" },  // a node the user may not see
};
const FONT = 15;
const TEXT_WIDTH = 296;  // a label's widest line: the widest node (320 px) less its padding
const STACK = 6;  // how far each card of a cluster's stack peeks out, in px
const READABLE_ZOOM = 0.75;  // below this (15px text under 11px), a small graph is too small to read
const ZOOM_STEP = 1.25;  // the + and − buttons
// The wheel: a mouse's notch (deltaY 100) zooms by about a quarter, a touchpad's small
// steps smoothly. Cytoscape's own wheel zoom moved 3% a notch, too slow to be of use.
const WHEEL_NOTCH = 300;

const params = new URLSearchParams(location.search);
const state = {
  node: params.get("node") || root.dataset.node,
  hidden: new Set(splitList(params.get("hidden"))),
  extract: new Set(splitList(params.get("extract"))),
  grow: new Set(splitList(params.get("grow"))),  // "+N more" markers grown in place
  labels: new Map(),  // node id -> label, for hidden nodes no longer in the view
  answer: null,
  request: null,  // the AbortController of the view being fetched
};

function splitList(text) {
  return (text || "").split(",").filter(Boolean);
}

const style = [
  { selector: "node", style: {
    shape: "round-rectangle", width: "data(_width)", height: "data(_height)", label: "data(_text)",
    "text-wrap": "wrap", "text-max-width": TEXT_WIDTH, "text-valign": "center", "text-halign": "center",
    "font-size": FONT, "line-height": 1.3, color: "#1f2328", "border-width": 2, "overlay-opacity": 0 } },
  // Each kind's colours and marks; canvas.js draws the same for a large view.
  { selector: "node[kind = 'run']", style: {
    "background-color": COLORS.run.fill, "border-color": COLORS.run.line } },
  { selector: "node[kind = 'artifact']", style: {
    "background-color": COLORS.artifact.fill, "border-color": COLORS.artifact.line } },
  // A locked placeholder: the API tells nothing of it but its place, so it shows no more.
  { selector: "node[kind = 'locked']", style: {
    "background-color": COLORS.locked.fill, "border-color": COLORS.locked.line,
    "border-style": "dashed", color: "#57606a", "font-style": "italic" } },
  // A cluster is a stack of three cards, drawn as one SVG; the label sits on the front card.
  { selector: "node[kind = 'cluster']", style: {
    "background-opacity": 0, "border-width": 0, "background-image": "data(_stack)",
    "background-fit": "none", "background-width": "100%", "background-height": "100%",
    "background-clip": "none", "font-weight": "bold",
    "text-margin-x": -STACK, "text-margin-y": STACK } },
  // A "+N more" marker: not a node of the graph but a door to more of it.
  { selector: "node[kind = 'more']", style: {
    "background-color": "#ffffff", "border-color": "#1a73e8", "border-style": "dashed",
    color: "#1a73e8", "font-weight": "bold" } },
  { selector: "node[?base]", style: { "border-color": "#d97706", "border-width": 4, "font-weight": "bold" } },
  { selector: "node:selected", style: {
    "outline-width": 3, "outline-color": "#1f2328", "outline-offset": 3, "outline-opacity": 0.9 } },
  { selector: "edge", style: {
    width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
    "line-color": "#8c959f", "target-arrow-color": "#8c959f", "overlay-opacity": 0 } },
  { selector: "edge[kind = 'path']", style: { "line-style": "dashed" } },
  { selector: "edge[kind = 'more']", style: { "line-style": "dashed", "line-color": "#9ec2f5", "target-arrow-color": "#9ec2f5" } },
  { selector: ".hidden", style: { display: "none" } },
];

// The three cards of a cluster, back to front; only colours and numbers, never user text.
function stackImage(kind, width, height) {
  const { fill, line } = COLORS[kind] || COLORS.artifact;
  const card = (offset) => `<rect x="${STACK * (2 - offset) + 1}" y="${STACK * offset + 1}" ` +
    `width="${width - 2 * STACK - 2}" height="${height - 2 * STACK - 2}" rx="7" ` +
    `fill="${fill}" stroke="${line}" stroke-width="2"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `${card(0)}${card(1)}${card(2)}</svg>`;
  return `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`;
}

// Label widths measured in Cytoscape's own font, so nodes fit their labels tightly. Each
// piece is measured once: a large view's labels share most of theirs ("train-", "model:").
const ruler = document.createElement("canvas").getContext("2d");
ruler.font = `bold ${FONT}px "Helvetica Neue", Helvetica, sans-serif`;
const widths = new Map();

function textWidth(text) {
  let width = widths.get(text);
  if (width === undefined) {
    if (widths.size > 50000) widths.clear();
    width = ruler.measureText(text).width;
    widths.set(text, width);
  }
  return width;
}

// A long label wraps after its separators (Cytoscape breaks lines at a zero-width space),
// never mid-word: "zoo-eval-" "ylbchv20:v0". Returns the text for Cytoscape and the lines
// it draws, which canvas.js draws as they are.
function wrapLabel(text) {
  const drawn = [];
  const lines = text.split("\n").map((line) => {
    const pieces = line.split(/(?<=[-_./:@])/);
    let [current, width] = ["", 0];
    for (const piece of pieces) {
      const size = textWidth(piece);
      if (width && width + size > TEXT_WIDTH) { drawn.push(current); [current, width] = ["", 0]; }
      current += piece;
      width += size;
    }
    drawn.push(current);
    return pieces.join("\u200b");
  });
  return { text: lines.join("\n"), lines: drawn };
}

// Drawing attributes computed once per node: style functions would run on every render.
function decorate(nodes) {
  return nodes.map(({ data }) => {
    const kind = data.kind === "cluster" ? data.clusterKind : data.kind;
    const above = data.kind === "cluster" && kind === "run" ? data.jobType : data.type;
    const label = kind === "artifact" || above ? `${above}\n${data.label}` : data.label;
    const longest = Math.max(...label.split("\n").map((line) => textWidth(line)));
    const { text, lines } = wrapLabel(label);
    let width = Math.max(96, Math.min(320, longest + 24));
    let height = lines.length === 1 ? 38 : 52 + (lines.length - 2) * 20;
    const extra = {};
    if (data.kind === "cluster") {
      width += 2 * STACK;
      height += 2 * STACK;
      extra._stack = stackImage(kind, Math.round(width), height);
    }
    const drawing = { _text: text, _lines: lines, _width: Math.round(width), _height: height };
    return { data: { ...data, ...extra, ...drawing } };
  });
}

// A large view is a headless instance that canvas.js draws over the same box (canvas.js
// says why). `cy` is the one shown.
const drawn = cytoscape({
  container: $("lineage-canvas"), style, minZoom: 0.05, maxZoom: 3,
  textureOnViewport: true, hideEdgesOnViewport: true,
});
const largeCanvas = $("lineage-large");
const model = cytoscape({ container: largeCanvas, headless: true, minZoom: 0.05, maxZoom: 3 });
const largeView = canvasView(largeCanvas, model, {
  colors: COLORS, stack: STACK, onTap: selectNode,
  onHover: (node) => (node && node.data("kind") !== "more" ? showEye(node) : hideEyeSoon()),
});
let cy = drawn;
window.lineageGraph = cy;
Object.defineProperty(window, "lineageFrame", { get: () => largeView.frame });

// Show the view on `instance`; with `carry`, what the other one holds moves to it as it
// stands (a small view grown past DAGRE_LIMIT), else it is dropped.
function use(instance, carry = false) {
  if (cy === instance) return;
  const elements = carry ? cy.elements().map((e) => ({
    group: e.group(), data: e.data(), classes: e.classes(), selected: e.selected(),
    ...(e.isNode() ? { position: { ...e.position() } } : {}) })) : [];
  const viewport = { zoom: cy.zoom(), pan: { ...cy.pan() } };
  cy.elements().remove();
  cy = instance;
  window.lineageGraph = cy;
  largeCanvas.hidden = cy !== model;
  cy.resize();
  cy.add(elements);
  if (carry) cy.viewport(viewport);
}

// ---- the view: form + extracted nodes -> one encoding, for the API query and page URL ----

// The view as View.to_query() encodes it: lists joined by commas, flags 1/0, defaults left out.
function viewQuery() {
  const data = new FormData(form);
  const view = {};
  for (const { name, kind, default: fallback, onForm } of VIEW) {
    let value;
    if (!onForm) value = [...state[name]].sort().join(",");  // extract: kept on the page
    else if (kind === "list") value = data.getAll(name).sort().join(",");
    else if (kind === "bool") value = data.has(name) ? "1" : "0";
    else value = data.get(name) ?? "";
    if (value !== fallback) view[name] = value;
  }
  return view;
}

function apiUrl() {
  return `${root.dataset.api}?${new URLSearchParams({ node: state.node, ...viewQuery() })}`;
}

function saveUrl(push) {
  const query = new URLSearchParams(location.search);
  for (const { name } of VIEW) query.delete(name);
  for (const key of ["node", "hidden"]) query.delete(key);
  query.set("tab", "lineage");
  for (const [key, value] of Object.entries(viewQuery())) query.set(key, value);
  if (state.node !== root.dataset.node) query.set("node", state.node);
  if (state.hidden.size) query.set("hidden", [...state.hidden].join(","));
  history[push ? "pushState" : "replaceState"](null, "", `${location.pathname}?${query}`);
}

// ---- drawing ----

// The one request in flight: a newer one cancels it.
function newRequest() {
  state.request?.abort();
  state.request = new AbortController();
  return state.request;
}

// The view's answer from the lineage API: {response, answer} (answer null when the body
// is not JSON); null when the server did not answer; undefined when a newer request
// replaced this one (nothing to do).
async function fetchView(request) {
  try {
    const response = await fetch(apiUrl(), { headers: { Accept: "application/json" }, signal: request.signal });
    const answer = await response.json().catch(() => null);
    return request.signal.aborted ? undefined : { response, answer };
  } catch (error) {
    return request.signal.aborted ? undefined : null;
  }
}

// Fetch and draw the view. A newer load() cancels an older one still in flight, so two
// quick Applies never draw the older view last. `select` is a node to preview once drawn.
async function load(select = null) {
  const request = newRequest();
  window.lineageGraphReady = false;
  eye.hidden = true;
  renderApplied();
  setStatus("Loading…");
  const started = performance.now();
  const got = await fetchView(request);
  if (got === undefined) return;
  if (got === null) {
    setStatus("The lineage could not be loaded: the server did not answer. Try again.");
    return;
  }
  const { response, answer } = got;
  if (!response.ok || !answer?.elements) {
    const detail = typeof answer?.detail === "string" ? answer.detail : null;
    setStatus(detail || `The lineage could not be loaded (error ${response.status}). Try again.`);
    return;
  }
  state.answer = answer;
  window.lineageTimings = { fetch: performance.now() - started };
  draw(answer, select);
}

function draw(answer, select) {
  const { nodes, edges } = withMarkers(answer);
  const large = nodes.length > DAGRE_LIMIT;
  use(large ? model : drawn);
  cy.startBatch();
  cy.elements().remove();
  const drawStarted = performance.now();
  const decorated = decorate(nodes);
  // A large view's places are known before its nodes are added: each is added where it
  // stands, and nothing is positioned twice.
  if (large) {
    const place = columnPositions(decorated, edges);
    for (const node of decorated) node.position = place[node.data.id];
  }
  cy.add({ nodes: decorated, edges });
  cy.nodes().forEach((n) => {
    state.labels.set(n.id(), n.data("label"));
    if (state.hidden.has(n.id())) n.addClass("hidden");
  });
  cy.endBatch();
  const laidOut = () => {
    window.lineageTimings.layout = performance.now() - drawStarted;
    readableZoom();
    renderLists();
    const chosen = select && cy.getElementById(select);
    if (chosen?.nonempty()) selectNode(chosen);
    else resetPanel();
    countStatus();
    if (large) largeView.drawNow();
    requestAnimationFrame(() => {
      window.lineageTimings.draw = performance.now() - drawStarted;
      window.lineageGraphReady = true;
      document.dispatchEvent(new CustomEvent("lineage:ready"));
    });
  };
  if (large) return laidOut();
  // fit: false, as readableZoom() fits without measuring labels
  const layout = cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 20, rankSep: 36, animate: false, fit: false });
  layout.one("layoutstop", laidOut);
  layout.run();
}

// Fit shows everything; a small graph must also be readable, a tiny one not huge.
// Returns the nodes' extent it fitted.
function fitView(padding = 20) {
  const box = nodesBox();
  if (!box.w || !box.h) {
    cy.fit(undefined, padding);
    return box;
  }
  const zoom = Math.min((cy.width() - 2 * padding) / box.w, (cy.height() - 2 * padding) / box.h);
  const clamped = Math.max(cy.minZoom(), Math.min(cy.maxZoom(), zoom));
  cy.viewport({
    zoom: clamped,
    pan: { x: (cy.width() - clamped * (box.x1 + box.x2)) / 2, y: (cy.height() - clamped * (box.y1 + box.y2)) / 2 },
  });
  return box;
}

// The shown nodes' extent from their positions and sizes. cy.fit() and boundingBox() first
// style and measure every node and label (700 ms for 2,000 nodes); labels sit inside
// their nodes here, so the nodes' boxes are the extent.
function nodesBox() {
  const shown = cy.nodes().filter((n) => !state.hidden.has(n.id()));
  return extentOf(shown.map((n) => ({ ...n.position(), w: n.data("_width"), h: n.data("_height") })));
}

function readableZoom() {
  const box = fitView();
  const zoom = cy.zoom();
  if (zoom > 1.3) zoomBy(1.3 / zoom);
  else if (zoom < READABLE_ZOOM && cy.nodes().length <= 12) zoomBy(READABLE_ZOOM / zoom);
  else if (cy === model && zoom < LABEL_ZOOM) openOnBase(box);
}

// A large view fitted whole is a sliver too small to read (600 nodes a column): it opens
// on the base's row instead, as wide as fits between the zoom its labels need and 1. Fit
// still shows all of it.
function openOnBase(box) {
  const base = cy.nodes("[?base]");
  const zoom = Math.min(1, Math.max(LABEL_ZOOM, (cy.width() - 40) / box.w));
  const x = zoom * box.w <= cy.width() ? (box.x1 + box.x2) / 2 : base.position("x");
  cy.viewport({ zoom, pan: { x: cy.width() / 2 - zoom * x, y: cy.height() / 2 - zoom * base.position("y") } });
}

// dagre lays out small views best; past DAGRE_LIMIT nodes its crossing minimisation
// alone outlasts the page's budget (measured: 700 ms for 500 nodes on 2 cores), so large
// views stand in columns by the level the API gives (which is the rank dagre would find
// for most of them), each column ordered by its neighbours' places in the one before.
const DAGRE_LIMIT = 250;
const COLUMN = 60;  // px between columns, beside the widest node
const ROW = 14;  // px between the tallest nodes of one column

const byLabel = new Intl.Collator(undefined, { numeric: true });  // train-2 before train-10

// Places by id of the decorated nodes, from plain data: no Cytoscape collection per node.
function columnPositions(nodes, edges) {
  const columns = new Map();
  const sizes = new Map();
  const labels = new Map();
  for (const { data } of nodes) {
    const { id, level } = data;
    if (!columns.has(level)) columns.set(level, []);
    columns.get(level).push(id);
    sizes.set(id, [data._width, data._height]);
    labels.set(id, data.label);
  }
  const neighbours = new Map();
  for (const { data } of edges) {
    for (const [a, b] of [[data.source, data.target], [data.target, data.source]]) {
      if (!neighbours.has(a)) neighbours.set(a, []);
      neighbours.get(a).push(b);
    }
  }
  const place = {};
  const pitch = Math.max(...[...sizes.values()].map(([, height]) => height)) + ROW;  // rows line up
  let x = 0;
  for (const level of [...columns.keys()].sort((a, b) => a - b)) {
    const rank = (id) => {  // mean row of the neighbours already placed
      const rows = (neighbours.get(id) || []).map((n) => place[n]?.y).filter((y) => y !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    const ids = columns.get(level).map((id) => [rank(id), id])
      .sort((a, b) => a[0] - b[0] || byLabel.compare(labels.get(a[1]), labels.get(b[1])));
    const width = Math.max(...ids.map(([, id]) => sizes.get(id)[0]));
    // Each node in line with its neighbours where it does not overlap the one above; then
    // the column shifts so that, on average, nodes sit where they want (a star centres).
    let last = -Infinity;
    let shift = 0;
    for (const [want, id] of ids) {
      const y = Math.max(last + pitch, want);
      place[id] = { x: x + width / 2, y };
      last = y;
      shift += (want - y) / ids.length;
    }
    for (const [, id] of ids) place[id].y += shift;
    x += width + COLUMN;
  }
  return place;
}

function setStatus(text) {
  $("lineage-status").textContent = text;
}

// "12 nodes", "12 nodes, 2 hidden": how many the view has, and how many of them are hidden.
function countStatus() {
  const count = state.answer.elements.nodes.length;
  const hidden = cy.nodes(".hidden").length;
  setStatus(`${count} node${count === 1 ? "" : "s"}${hidden ? `, ${hidden} hidden` : ""}` +
    `${state.answer.truncated ? " (truncated: narrow the view)" : ""}`);
}

// What the view applies beyond the defaults, from the form (so a shared link says what
// it filters): "Filter by run job type: eval, train · Upstream hops: 2".
function renderApplied() {
  const data = new FormData(form);
  const parts = [];
  for (const { name, kind, default: fallback, onForm, label } of VIEW) {
    if (!onForm) continue;
    if (kind === "list" && data.getAll(name).length) parts.push(`${label}: ${data.getAll(name).join(", ")}`);
    else if (kind === "bool" && (data.has(name) ? "1" : "0") !== fallback) parts.push(label);
    else if (kind === "int" && (data.get(name) ?? "") !== fallback) parts.push(`${label}: ${data.get(name)}`);
  }
  const applied = $("lineage-applied");
  applied.textContent = parts.length ? `Applied: ${parts.join(" · ")}` : "";
  applied.hidden = !parts.length;
}

function resetPanel() {
  panel.replaceChildren(panelHint.cloneNode(true));
}

function labelOf(id) {
  return state.labels.get(id) || id;
}

function button(text, onClick, attrs = {}) {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  el.addEventListener("click", onClick);
  return el;
}

function item(...children) {
  const li = document.createElement("li");
  li.append(...children);
  return li;
}

function note(text) {
  const span = document.createElement("span");
  span.className = "muted";
  span.textContent = text;
  return span;
}

// The list view (every node, keyboard-friendly, with Hide/Show), by level and label, and
// the Hidden list.
function renderLists() {
  const list = $("lineage-list");
  list.replaceChildren();
  const order = (a, b) => a.data("level") - b.data("level")
    || byLabel.compare(a.data("label"), b.data("label"));
  cy.nodes().sort(order).forEach((node) => {
    if (node.data("kind") === "more") return list.append(item(markerButton(node)));
    const label = node.data("label");
    const hidden = state.hidden.has(node.id());
    const kind = node.data("kind") === "artifact" ? node.data("type")
      : node.data("kind") === "locked" ? "no access" : node.data("kind");
    const li = item(
      button(`${label} (${kind}, level ${node.data("level")}${hidden ? ", hidden" : ""})`, () => selectNode(node)),
      hidden ? button("Show", () => showNode(node.id()), { "aria-label": `Show ${label}` })
        : button("Hide", () => hideNode(node), { "aria-label": `Hide ${label}` }),
    );
    li.classList.toggle("is-hidden", hidden);
    list.append(li);
  });
  const hiddenList = $("lineage-hidden-list");
  hiddenList.replaceChildren();
  for (const id of state.hidden) {
    const label = labelOf(id);
    const inView = cy.getElementById(id).nonempty();
    hiddenList.append(item(
      button(`Show ${label}`, () => showNode(id), { "aria-label": `Show ${label}` }),
      ...(inView ? [] : [note("not in this view")]),
    ));
  }
  if (state.hidden.size > 1) hiddenList.append(item(button("Show all", showAll)));
  if (!state.hidden.size) {
    const empty = item("No hidden nodes.");
    empty.className = "muted empty";
    hiddenList.append(empty);
  }
  if (state.answer) countStatus();
}

// ---- panel: previews (server-rendered partials via htmx) and clusters ----

function selectNode(node) {
  if (node.data("kind") === "more") return grow(node);
  setCustomOpen(false);  // the details go where the Custom form was
  cy.$(":selected").unselect();
  node.select();
  keepInView(node);
  if (node.data("kind") === "cluster") showCluster(node);
  else preview(node.id(), panel);
}

// A node chosen in the list view may be off screen (a large view zoomed in): centre it.
function keepInView(node) {
  const { x, y } = node.renderedPosition();
  if (x < 0 || y < 0 || x > cy.width() || y > cy.height()) cy.center(node);
}

function preview(id, target) {
  const url = root.dataset.preview.replace("NODE", encodeURIComponent(id));
  return htmx.ajax("GET", url, { target, swap: "innerHTML" });
}

// A member's preview goes below the member list: scroll the panel (not the page) up to
// it, under the cluster's title and search box, which stay in place.
async function previewMember(trigger) {
  for (const li of panel.querySelectorAll(".cluster-members li")) li.removeAttribute("aria-current");
  trigger.closest("li").setAttribute("aria-current", "true");
  const target = $("cluster-preview");
  await preview(trigger.dataset.preview, target);
  const head = panel.querySelector(".cluster-head")?.getBoundingClientRect().bottom;
  panel.scrollTo({ top: panel.scrollTop + target.getBoundingClientRect().top - head - 8 });
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
  load(id);
}

function recenter(id) {
  state.node = id;
  state.extract.clear();
  state.hidden.clear();
  state.grow.clear();
  saveUrl(true);
  load(id);
}

// ---- hiding, with the eye button or the list view ----

let eyeTarget = null;
let eyeTimer = null;

function showEye(node) {
  clearTimeout(eyeTimer);
  eyeTarget = node;
  const { x, y } = node.renderedPosition();
  const zoom = cy.zoom();
  // On its top right corner, but never over its centre (a zoomed-out node is smaller than
  // the eye), where a click means the node.
  eye.style.left = `${x + (node.data("_width") * zoom) / 2 - 10}px`;
  eye.style.top = `${Math.min(y - (node.data("_height") * zoom) / 2 - 16, y - 32)}px`;
  eye.setAttribute("aria-label", `Hide ${node.data("label")}`);
  eye.title = `Hide ${node.data("label")}`;
  eye.hidden = false;
}

// The pointer leaves the node as it moves onto the eye, so the timer keeps the eye while
// the pointer is on it.
function hideEyeSoon() {
  clearTimeout(eyeTimer);
  eyeTimer = setTimeout(() => { if (!eye.matches(":hover")) eye.hidden = true; }, 600);
}

function hideNode(node) {
  node.addClass("hidden").unselect();
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

function showAll() {
  state.hidden.clear();
  cy.nodes(".hidden").removeClass("hidden");
  saveUrl(false);
  renderLists();
}

// ---- zoom: the buttons about the canvas's centre, the wheel about the pointer ----

function zoomBy(factor, at = { x: cy.width() / 2, y: cy.height() / 2 }) {
  const level = Math.max(cy.minZoom(), Math.min(cy.maxZoom(), cy.zoom() * factor));
  cy.zoom({ level, renderedPosition: at });
}

function wheelZoom(event) {
  event.preventDefault();
  event.stopPropagation();  // before Cytoscape's own (slow) wheel handler on the canvas
  const lines = event.deltaMode === 1 ? 33 : 1;  // Firefox counts lines, not pixels
  const pinch = event.ctrlKey ? 3 : 1;  // a touchpad pinch sends small steps with Ctrl
  const box = cy.container().getBoundingClientRect();
  zoomBy(2 ** (-event.deltaY * lines * pinch / WHEEL_NOTCH),
    { x: event.clientX - box.left, y: event.clientY - box.top });
}

function setCustomOpen(open) {
  form.hidden = !open;
  $("lineage-custom-toggle").setAttribute("aria-expanded", String(open));
}

// ---- export ----

function download(name, blob) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// The whole graph with every label, a large view's too.
async function exportPng() {
  const png = cy === model ? await largeView.png(2)
    : cy.png({ full: true, bg: "#ffffff", output: "blob", scale: 2 });
  download("lineage.png", png);
}

function exportJson() {
  const data = { ...state.answer, view: viewQuery(), hidden: [...state.hidden], extract: [...state.extract] };
  download("lineage.json", new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
}

// ---- growing in place: "+N more" markers ----

// The view's elements with its markers, which are drawn like nodes.
function withMarkers(answer) {
  const { nodes, edges } = answer.elements;
  const more = answer.markers || { nodes: [], edges: [] };
  return { nodes: [...nodes, ...more.nodes], edges: [...edges, ...more.edges] };
}

function markerButton(node) {
  const anchor = labelOf(node.data("anchor"));
  const where = node.data("cut") === "bound" ? `more of level ${node.data("level")}` : `${node.data("direction")} of ${anchor}`;
  return button(`${node.data("label")}: grow the view ${where}`, () => grow(node));
}

// Fetch the view with this marker grown and add what it holds beside the marker: nothing
// drawn moves, the marker gives way to what it stood for (or says what remains).
async function grow(marker) {
  if (!state.answer || state.grow.has(marker.id())) return;
  const request = newRequest();
  state.grow.add(marker.id());
  saveUrl(false);
  setStatus("Growing…");
  const got = await fetchView(request);
  if (got === undefined) return;
  const answer = got?.answer;
  if (!got?.response.ok || !answer?.elements) {
    state.grow.delete(marker.id());
    saveUrl(false);
    setStatus("The view could not grow: the server did not answer. Try again.");
    return;
  }
  const origin = { ...marker.position(), width: marker.data("_width") };
  state.answer = answer;
  merge(answer, origin, marker.data("level"), marker.data("direction") === "upstream");
  window.lineageGrown = (window.lineageGrown || 0) + 1;
  document.dispatchEvent(new CustomEvent("lineage:grown"));
}

function merge(answer, origin, level, upstream) {
  const { nodes, edges } = withMarkers(answer);
  if (nodes.length > DAGRE_LIMIT) use(model, true);
  const wanted = new Set([...nodes, ...edges].map((e) => e.data.id));
  const added = decorate(nodes.filter((n) => cy.getElementById(n.data.id).empty()));
  cy.startBatch();
  cy.elements().filter((e) => !wanted.has(e.id())).remove();
  for (const node of decorate(nodes.filter((n) => n.data.kind === "more" && cy.getElementById(n.data.id).nonempty()))) {
    cy.getElementById(node.data.id).data(node.data);  // a marker that remains, its count anew
  }
  const boxes = cy.nodes().map((n) => box(n.position(), n.data("_width"), n.data("_height")));
  // What the marker stood for, in a column where it stood; new markers beside their anchors.
  const grown = added.filter((n) => n.data.kind !== "more");
  const pitch = Math.max(0, ...grown.map((n) => n.data._height)) + ROW;
  grown.sort((a, b) => byLabel.compare(a.data.label, b.data.label));
  grown.forEach((node, i) => {
    const want = origin.y + (i - (grown.length - 1) / 2) * pitch;
    // Lined up on the marker's side nearer its anchor: a wide node does not reach back.
    const x = origin.x + (upstream ? 1 : -1) * (origin.width - node.data._width) / 2;
    node.position = freeSpot(boxes, x, want, node.data);
  });
  const placed = new Map(grown.map((n) => [n.data.id, n.position]));
  for (const node of added.filter((n) => n.data.kind === "more")) {
    const drawn = cy.getElementById(node.data.anchor);
    const anchor = placed.get(node.data.anchor) || (drawn.nonempty() ? drawn.position() : origin);
    const width = drawn.data("_width") || grown.find((n) => n.data.id === node.data.anchor)?.data._width || 0;
    const side = node.data.direction === "upstream" ? -1 : 1;
    const x = node.data.cut === "bound" && node.data.level === level ? origin.x
      : anchor.x + side * (width / 2 + COLUMN + node.data._width / 2);
    node.position = freeSpot(boxes, x, anchor.y, node.data);
  }
  cy.add({ nodes: added, edges: edges.filter((e) => cy.getElementById(e.data.id).empty()) });
  for (const { data } of added) {
    state.labels.set(data.id, data.label);
    if (state.hidden.has(data.id)) cy.getElementById(data.id).addClass("hidden");
  }
  cy.endBatch();
  bringIntoView(added);
  renderLists();
}

// Bring what was added into view: a pan where it fits at this zoom, else a fit. Only the
// viewport moves, never a node.
function bringIntoView(added) {
  if (!added.length) return;
  const { x1, y1, x2, y2 } = extentOf(added.map((n) => ({ ...n.position, w: n.data._width, h: n.data._height })));
  const view = cy.extent();
  const margin = 20 / cy.zoom();
  if (x2 - x1 + 2 * margin > view.w || y2 - y1 + 2 * margin > view.h) return fitView(24);
  const dx = Math.min(0, view.x2 - x2 - margin) || Math.max(0, view.x1 - x1 + margin);
  const dy = Math.min(0, view.y2 - y2 - margin) || Math.max(0, view.y1 - y1 + margin);
  if (dx || dy) cy.panBy({ x: dx * cy.zoom(), y: dy * cy.zoom() });
}

function box({ x, y }, width, height) {
  return { x1: x - width / 2, x2: x + width / 2, y1: y - height / 2, y2: y + height / 2 };
}

// The place nearest (x, want) in x's column where a node of this size overlaps none of
// `boxes`; the place is added to them.
function freeSpot(boxes, x, want, { _width: width, _height: height }) {
  const gap = ROW / 2;
  const column = boxes.filter((b) => b.x1 < x + width / 2 + gap && b.x2 > x - width / 2 - gap);
  const fits = (y) => column.every((b) => y + height / 2 + gap <= b.y1 || y - height / 2 - gap >= b.y2);
  let best = want;
  if (!fits(want)) {
    const tries = column.flatMap((b) => [b.y1 - gap - height / 2, b.y2 + gap + height / 2]).filter(fits);
    best = tries.reduce((a, b) => (Math.abs(b - want) < Math.abs(a - want) ? b : a), tries[0]);
  }
  boxes.push(box({ x, y: best }, width, height));
  return { x, y: best };
}

// ---- wiring ----

drawn.on("tap", "node", (event) => selectNode(event.target));
drawn.on("mouseover", "node[kind != 'more']", (event) => showEye(event.target));
drawn.on("mouseout", "node", hideEyeSoon);
for (const instance of [drawn, model]) instance.on("pan zoom drag", () => { eye.hidden = true; });
eye.addEventListener("mouseenter", () => clearTimeout(eyeTimer));
eye.addEventListener("mouseleave", hideEyeSoon);
eye.addEventListener("click", () => eyeTarget && hideNode(eyeTarget));
panel.addEventListener("click", (event) => {
  const target = event.target.closest("[data-recenter], [data-preview], [data-extract]");
  if (!target) return;
  if (target.dataset.recenter) recenter(target.dataset.recenter);
  else if (target.dataset.preview) previewMember(target);
  else extract(target.dataset.extract);
});
$("lineage-fit").addEventListener("click", () => fitView(24));
$("lineage-zoom-in").addEventListener("click", () => zoomBy(ZOOM_STEP));
$("lineage-zoom-out").addEventListener("click", () => zoomBy(1 / ZOOM_STEP));
$("lineage-canvas").parentElement.addEventListener("wheel", wheelZoom, { capture: true, passive: false });
$("lineage-export-png").addEventListener("click", exportPng);
$("lineage-export-json").addEventListener("click", exportJson);
$("lineage-custom-toggle").addEventListener("click", () => setCustomOpen(form.hidden));
$("lineage-custom-close").addEventListener("click", () => setCustomOpen(false));
form.addEventListener("keydown", (event) => {
  if (event.key === "Escape") setCustomOpen(false);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  state.grow.clear();  // the markers of another view are other markers
  saveUrl(true);
  load();
});
window.addEventListener("popstate", () => location.reload());
// Cytoscape caches where its canvas is on the page and its size; when content above it
// grows or shrinks (the Custom form, Action History) clicks would land beside the nodes
// without this.
new ResizeObserver(() => {
  drawn.resize();
  model.resize();
}).observe(document.body);

load();
