// A large view drawn on one 2D canvas. Cytoscape.js styles, measures and draws each element
// on its own (about 0.16 ms apiece on a fresh page, bench/renderer_bench.py), which a view
// of thousands of elements cannot afford; here the model stays a headless Cytoscape
// instance (its data, positions, classes, selection and viewport) and each kind of mark is
// drawn as one path. Labels and arrows are drawn only near the viewport at a readable zoom.
// User text reaches the canvas only through fillText.

export const LABEL_ZOOM = 0.4;  // 15px text at 6px: below it no label is readable
const FONT_FAMILY = '"Helvetica Neue", Helvetica, sans-serif';
const LINE = 19.5;  // px per label line: 15px at Cytoscape's line-height 1.3
const ARROW = 9;  // px from an arrow's tip to its base
const TAP_SLOP = 4;  // px a press may move and still be a click, not a pan
const DASH = [6, 4];
const TRUNK = 16;  // px from a node's side to the trunk its edges into the next column share

// How a node's outline and fill are drawn, by what it is.
function nodeLook(data, colors) {
  if (data.kind === "more") return { fill: "#ffffff", line: "#1a73e8", dash: true, width: 2 };
  const { fill, line } = colors[data.kind] || colors.artifact;
  return { fill, line: data.base ? "#d97706" : line, dash: data.kind === "locked", width: data.base ? 4 : 2 };
}

function labelLook(data) {
  const bold = data.base || data.kind === "cluster" || data.kind === "more";
  const italic = data.kind === "locked";
  const color = data.kind === "more" ? "#1a73e8" : data.kind === "locked" ? "#57606a" : "#1f2328";
  return { font: `${italic ? "italic " : ""}${bold ? "bold " : ""}15px ${FONT_FAMILY}`, color };
}

function edgeLook(kind) {
  if (kind === "more") return { line: "#9ec2f5", dash: true };
  return { line: "#8c959f", dash: kind === "path" };
}

// Plain records of what is shown, read from the model when it changes: a pan or a zoom
// redraws from them (reading 10,000 nodes through Cytoscape's API took most of a frame).
function snapshot(cy) {
  const nodes = [];
  const byId = new Map();
  cy.nodes().forEach((n) => {
    if (n.hasClass("hidden")) return;
    const data = n.data();
    const { x, y } = n.position();
    const node = { id: data.id, data, x, y, w: data._width, h: data._height, selected: n.selected() };
    nodes.push(node);
    byId.set(node.id, node);
  });
  const edges = [];
  cy.edges().forEach((e) => {
    const data = e.data();
    const source = byId.get(data.source);
    const target = byId.get(data.target);
    if (source && target) edges.push({ id: data.id, kind: data.kind, source, target });
  });
  return { nodes, edges, byId };
}

// The box around nodes given as {x, y, w, h} (centre and size), with its size; all 0 for none.
export function extentOf(nodes) {
  if (!nodes.length) return { x1: 0, y1: 0, x2: 0, y2: 0, w: 0, h: 0 };
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { x, y, w, h } of nodes) {
    [x1, y1] = [Math.min(x1, x - w / 2), Math.min(y1, y - h / 2)];
    [x2, y2] = [Math.max(x2, x + w / 2), Math.max(y2, y + h / 2)];
  }
  return { x1, y1, x2, y2, w: x2 - x1, h: y2 - y1 };
}

// Where a segment from the centre of `from` meets the border of `to`'s box.
function borderPoint(from, to) {
  const dx = from.x - to.x;
  const dy = from.y - to.y;
  const scale = Math.min(Math.abs((to.w / 2) / (dx || 1e-9)), Math.abs((to.h / 2) / (dy || 1e-9)));
  return { x: to.x + dx * Math.min(scale, 1), y: to.y + dy * Math.min(scale, 1) };
}

// The points an edge is drawn through: out of its source's side, along a trunk just past
// it, into its target's side, so that a hub's thousands of edges into the next column
// draw as one trunk with a stub into each node (a comb) instead of a solid wedge of
// lines. Ends too close for a trunk between them (one column) keep a straight line.
function route({ source, target }) {
  const way = target.x >= source.x ? 1 : -1;
  const start = { x: source.x + (way * source.w) / 2, y: source.y };
  const end = { x: target.x - (way * target.w) / 2, y: target.y };
  if ((end.x - start.x) * way < 2 * TRUNK) return [source, borderPoint(source, target)];
  const trunk = start.x + way * TRUNK;
  return [start, { x: trunk, y: start.y }, { x: trunk, y: end.y }, end];
}

function strokeEdges(ctx, edges, zoom) {
  for (const kind of new Set(edges.map((e) => e.kind))) {
    const { line, dash } = edgeLook(kind);
    ctx.beginPath();
    for (const edge of edges) {
      if (edge.kind !== kind) continue;
      const [first, ...rest] = route(edge);
      ctx.moveTo(first.x, first.y);
      for (const { x, y } of rest) ctx.lineTo(x, y);
    }
    ctx.setLineDash(dash ? DASH.map((d) => d / Math.max(zoom, 0.25)) : []);
    ctx.strokeStyle = line;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function fillArrows(ctx, edges) {
  for (const kind of new Set(edges.map((e) => e.kind))) {
    ctx.beginPath();
    for (const edge of edges) {
      if (edge.kind !== kind) continue;
      const points = route(edge);
      const [from, tip] = points.slice(-2);
      const angle = Math.atan2(tip.y - from.y, tip.x - from.x);
      ctx.moveTo(tip.x, tip.y);
      ctx.lineTo(tip.x - ARROW * Math.cos(angle - 0.45), tip.y - ARROW * Math.sin(angle - 0.45));
      ctx.lineTo(tip.x - ARROW * Math.cos(angle + 0.45), tip.y - ARROW * Math.sin(angle + 0.45));
      ctx.closePath();
    }
    ctx.fillStyle = edgeLook(kind).line;
    ctx.fill();
  }
}

// The boxes to draw for a node: one, or a cluster's three cards, back to front, as the
// small views' stackImage() draws them.
function cards(node, stack) {
  const [left, top] = [node.x - node.w / 2, node.y - node.h / 2];
  if (node.data.kind !== "cluster") return [[left, top, node.w, node.h]];
  const [w, h] = [node.w - 2 * stack - 2, node.h - 2 * stack - 2];
  return [0, 1, 2].map((i) => [left + stack * (2 - i) + 1, top + stack * i + 1, w, h]);
}

// Nodes grouped by look, one path per look; a cluster's cards are layered, so each card
// rank is its own pass.
function drawNodes(ctx, nodes, colors, stack) {
  for (const rank of [0, 1, 2]) {
    const groups = new Map();
    for (const node of nodes) {
      const boxes = cards(node, stack);
      const card = boxes.length === 1 ? (rank === 2 ? boxes[0] : null) : boxes[rank];
      if (!card) continue;
      const data = node.data.kind === "cluster" ? { ...node.data, kind: node.data.clusterKind } : node.data;
      const look = nodeLook(data, colors);
      const key = `${look.fill}|${look.line}|${look.dash}|${look.width}`;
      if (!groups.has(key)) groups.set(key, { look, boxes: [] });
      groups.get(key).boxes.push(card);
    }
    for (const { look, boxes } of groups.values()) {
      ctx.beginPath();
      for (const [x, y, w, h] of boxes) ctx.roundRect(x, y, w, h, 7);
      ctx.fillStyle = look.fill;
      ctx.fill();
      ctx.setLineDash(look.dash ? DASH : []);
      ctx.strokeStyle = look.line;
      ctx.lineWidth = look.width;
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
}

function drawSelection(ctx, nodes) {
  ctx.beginPath();
  for (const { x, y, w, h } of nodes) ctx.roundRect(x - w / 2 - 4.5, y - h / 2 - 4.5, w + 9, h + 9, 10);
  ctx.strokeStyle = "rgba(31, 35, 40, 0.9)";
  ctx.lineWidth = 3;
  ctx.stroke();
}

function drawLabels(ctx, nodes, stack) {
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const node of nodes) {
    const { font, color } = labelLook(node.data);
    const lines = node.data._lines;
    const [dx, dy] = node.data.kind === "cluster" ? [-stack, stack] : [0, 0];
    ctx.font = font;
    ctx.fillStyle = color;
    lines.forEach((line, i) => {
      ctx.fillText(line, node.x + dx, node.y + dy + (i - (lines.length - 1) / 2) * LINE);
    });
  }
}

const inBox = (node, { x1, y1, x2, y2 }) =>
  node.x + node.w / 2 > x1 && node.x - node.w / 2 < x2 &&
  node.y + node.h / 2 > y1 && node.y - node.h / 2 < y2;

// Everything shown, in model coordinates; `near` is where labels and arrows go (null: none).
function paint(ctx, { nodes, edges }, { zoom, view, near, colors, stack }) {
  const shown = nodes.filter((n) => inBox(n, view));
  const lines = edges.filter(({ source: s, target: t }) =>
    Math.max(s.x, t.x) > view.x1 && Math.min(s.x, t.x) < view.x2 &&
    Math.max(s.y, t.y) > view.y1 && Math.min(s.y, t.y) < view.y2);
  strokeEdges(ctx, lines, zoom);
  const labelled = near ? shown.filter((n) => inBox(n, near)) : [];
  const ids = new Set(labelled.map((n) => n.id));
  // An arrow's tip is on its target: one far from the viewport is not seen (a hub's
  // thousands of edges out of view cost 50 ms a frame in closePath alone).
  const arrows = lines.filter((e) => ids.has(e.target.id));
  fillArrows(ctx, arrows);
  drawNodes(ctx, shown, colors, stack);
  drawSelection(ctx, shown.filter((n) => n.selected));
  drawLabels(ctx, labelled, stack);
  return { nodes: shown.length, labelled: [...ids], arrows: arrows.map((e) => e.id) };
}

// The view drawn on `canvas` from the headless instance `cy`, redrawn on the next frame
// after any change to it; onTap(node) on a click, onHover(node or null) as the pointer
// moves (listen()). `frame` holds what the last frame drew: how many nodes, the ids
// labelled, the edges given arrows.
export function canvasView(canvas, cy, { colors, stack, onTap, onHover }) {
  const ctx = canvas.getContext("2d");
  const none = { nodes: 0, labelled: [], arrows: [] };
  const view = { frame: none };
  let pending = 0;
  let drawn = [];  // the last frame's shown nodes, as plain records, for nodeAt()
  let records = null;  // snapshot(cy), until the model changes

  function extent() {
    const { x1, y1, x2, y2, w, h } = cy.extent();
    return { view: { x1, y1, x2, y2 }, near: { x1: x1 - w, y1: y1 - h, x2: x2 + w, y2: y2 + h } };
  }

  function render() {
    pending = 0;
    const ratio = window.devicePixelRatio || 1;
    const [width, height] = [Math.round(cy.width() * ratio), Math.round(cy.height() * ratio)];
    if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const shown = (records ||= snapshot(cy));
    drawn = shown.nodes;
    view.frame = none;
    if (!drawn.length) return;
    const zoom = cy.zoom();
    const pan = cy.pan();
    ctx.setTransform(ratio * zoom, 0, 0, ratio * zoom, ratio * pan.x, ratio * pan.y);
    const { view: box, near } = extent();
    const labels = zoom >= LABEL_ZOOM ? near : null;
    view.frame = paint(ctx, shown, { zoom, view: box, near: labels, colors, stack });
  }

  view.draw = () => { pending ||= requestAnimationFrame(render); };
  view.drawNow = () => { cancelAnimationFrame(pending); render(); };

  // The whole view with every label, `scale` times its size (less where a canvas this
  // large could not be made), as a PNG blob.
  view.png = (scale) => {
    const { nodes, edges } = snapshot(cy);
    const box = extentOf(nodes);
    const pad = 10;
    const [w, h] = [box.w + 2 * pad, box.h + 2 * pad];
    const fit = Math.min(scale, 16384 / w, 16384 / h, Math.sqrt(1.2e8 / (w * h)));
    const out = document.createElement("canvas");
    [out.width, out.height] = [Math.max(1, Math.round(w * fit)), Math.max(1, Math.round(h * fit))];
    const context = out.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, out.width, out.height);
    context.setTransform(fit, 0, 0, fit, (pad - box.x1) * fit, (pad - box.y1) * fit);
    const all = { x1: -Infinity, y1: -Infinity, x2: Infinity, y2: Infinity };
    paint(context, { nodes, edges }, { zoom: fit, view: all, near: all, colors, stack });
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  };

  // The topmost node drawn under a point of the canvas (CSS px), or null: from the last
  // frame's records, as the pointer moves, not from the model's elements.
  view.nodeAt = (px, py) => {
    const zoom = cy.zoom();
    const pan = cy.pan();
    const [x, y] = [(px - pan.x) / zoom, (py - pan.y) / zoom];
    const hit = drawn.findLast((n) => Math.abs(n.x - x) <= n.w / 2 && Math.abs(n.y - y) <= n.h / 2);
    return hit ? cy.getElementById(hit.id) : null;
  };

  listen(canvas, cy, view.nodeAt, { onTap, onHover });
  // A node dragged or selected changes its own record; anything else, all of them.
  const record = (node) => records?.byId.get(node.id());
  cy.on("viewport resize", view.draw);
  cy.on("add remove data class", () => { records = null; view.draw(); });
  cy.on("position", "node", ({ target }) => {
    const found = record(target);
    if (found) Object.assign(found, target.position());
    view.draw();
  });
  cy.on("select unselect", "node", ({ target }) => {
    const found = record(target);
    if (found) found.selected = target.selected();
    view.draw();
  });
  return view;
}


// The pointer on the canvas: a press on a node drags it, elsewhere pans, two fingers
// pinch-zoom; a press that stays within TAP_SLOP is a click.
function listen(canvas, cy, nodeAt, { onTap, onHover }) {
  const point = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  const fingers = new Map();  // pointer id -> its point, while down
  let [press, pinch, hovered] = [null, null, null];
  const spread = () => {
    const [[x1, y1], [x2, y2]] = fingers.values();
    return { distance: Math.hypot(x2 - x1, y2 - y1), at: { x: (x1 + x2) / 2, y: (y1 + y2) / 2 } };
  };

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    if (event.pointerType === "mouse") canvas.setPointerCapture(event.pointerId);
    fingers.set(event.pointerId, point(event));
    if (fingers.size === 2) [press, pinch] = [null, { ...spread(), zoom: cy.zoom() }];
    if (fingers.size > 1) return;
    press = { start: point(event), last: point(event), moved: false, node: nodeAt(...point(event)) };
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", (event) => {
    const [x, y] = point(event);
    if (fingers.has(event.pointerId)) fingers.set(event.pointerId, [x, y]);
    if (pinch && fingers.size === 2) {
      const { distance, at } = spread();
      const level = Math.min(cy.maxZoom(), Math.max(cy.minZoom(), (pinch.zoom * distance) / pinch.distance));
      cy.zoom({ level, renderedPosition: at });
    } else if (press) {
      press.moved ||= Math.hypot(x - press.start[0], y - press.start[1]) > TAP_SLOP;
      const [dx, dy] = [x - press.last[0], y - press.last[1]];
      if (press.moved && press.node) {  // a node drags as in a small view
        const { x: nx, y: ny } = press.node.position();
        press.node.position({ x: nx + dx / cy.zoom(), y: ny + dy / cy.zoom() }).emit("drag");
      } else if (press.moved) cy.panBy({ x: dx, y: dy });
      press.last = [x, y];
    } else if (!pinch) {
      const node = nodeAt(x, y);
      canvas.style.cursor = node ? "pointer" : "grab";
      if (node?.id() !== hovered?.id()) onHover((hovered = node));
    }
  });
  const release = (event) => {
    fingers.delete(event.pointerId);
    if (!fingers.size) pinch = null;
    const tap = press && !press.moved && event.type === "pointerup";
    press = null;
    const node = nodeAt(...point(event));
    canvas.style.cursor = node ? "pointer" : "grab";
    if (tap && node) onTap(node);
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerleave", () => {
    if (hovered) onHover(null);
    hovered = null;
  });
}
