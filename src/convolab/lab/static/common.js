// convolab lab: helpers shared by every page (no library, nothing loaded from outside).
"use strict";

const Lab = {};

Lab.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
};

Lab.showError = function (message) {
  const box = document.getElementById("error");
  if (!box) return;
  box.textContent = message || "";
  box.style.display = message ? "block" : "none";
};

// POST (or GET without a body) to the lab's API; a 4xx answer shows its message and throws.
Lab.api = async function (path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) {
    Lab.showError(data.error || `request failed (${response.status})`);
    throw new Error(data.error || String(response.status));
  }
  Lab.showError("");
  return data;
};

// Numbers as convolab.explain writes them: integers bare, others to 6 significant digits.
Lab.fmt = function (v, digits) {
  if (v === null || v === undefined) return "–";
  if (v === 0) return "0";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(digits || 6)));
};

// A nested list of numbers from text: "1, 2, 3" (1D) or rows on lines / separated by ";" (2D).
Lab.parseMatrix = function (text) {
  const rows = text.trim().split(/[;\n]+/).map((r) => r.trim()).filter((r) => r.length);
  const parsed = rows.map((r) => r.replace(/[[\]]/g, " ").split(/[\s,]+/).filter((s) => s.length).map(Number));
  return parsed.length === 1 ? parsed[0] : parsed;
};

// Colour maps: gray for images and activations, blue-white-red for signed values.
Lab.colour = function (v, lo, hi, diverging) {
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const t = Math.max(-1, Math.min(1, v / m));
    if (t >= 0) return [255, Math.round(255 * (1 - t * 0.75)), Math.round(255 * (1 - t))];
    return [Math.round(255 * (1 + t)), Math.round(255 * (1 + t * 0.55)), 255];
  }
  const g = hi > lo ? Math.round(255 * (v - lo) / (hi - lo)) : 0;
  return [g, g, g];
};

// Draw a 2D list of numbers into a canvas, each value a scale x scale block.
Lab.heatmap = function (canvas, values, scale, opts) {
  opts = opts || {};
  const h = values.length, w = values[0].length;
  canvas.width = w * scale; canvas.height = h * scale;
  const ctx = canvas.getContext("2d");
  let lo = opts.lo, hi = opts.hi;
  if (lo === undefined) { lo = Infinity; hi = -Infinity;
    for (const row of values) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const [r, g, b] = Lab.colour(values[i][j], lo, hi, opts.diverging);
    const k = 4 * (i * w + j);
    img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
  }
  const tmp = document.createElement("canvas"); tmp.width = w; tmp.height = h;
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
};

// Draw {shape: [h, w], data: base64 of h*w gray bytes} into a canvas at its own size.
Lab.grayImage = function (canvas, image) {
  const [h, w] = image.shape, bytes = atob(image.data);
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const g = bytes.charCodeAt(i);
    img.data[4 * i] = g; img.data[4 * i + 1] = g; img.data[4 * i + 2] = g; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
};

// A small SVG line chart: series [{values, color, label, xs?, dashed?}], optional markers.
Lab.lineChart = function (svg, series, opts) {
  opts = opts || {};
  const W = opts.width || 620, H = opts.height || 220, L = 42, R = 10, T = 12, B = 24;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`); svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.innerHTML = "";
  const ns = "http://www.w3.org/2000/svg";
  const add = (tag, attrs) => { const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); svg.append(n); return n; };
  let lo = opts.lo, hi = opts.hi, n = 1, x0 = 0, x1 = 1;
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
  if (lo === undefined) lo = Math.min(...all); if (hi === undefined) hi = Math.max(...all);
  if (hi === lo) { hi += 1; lo -= 1; }
  for (const s of series) { const xs = s.xs || s.values.map((_, i) => i);
    n = Math.max(n, xs.length); x1 = Math.max(x1, xs[xs.length - 1] || 0); }
  const sx = (x) => L + (W - L - R) * (x - x0) / ((x1 - x0) || 1);
  const sy = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  add("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fbfcfe", stroke: "#d9dee8" });
  for (let k = 0; k <= 4; k++) { const y = lo + (hi - lo) * k / 4;
    add("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), stroke: "#eceff5" });
    add("text", { x: L - 4, y: sy(y) + 4, "text-anchor": "end" }).textContent = Lab.fmt(y, 3); }
  add("text", { x: L, y: H - 6 }).textContent = String(x0);
  add("text", { x: W - R, y: H - 6, "text-anchor": "end" }).textContent = Lab.fmt(x1, 4);
  for (const s of series) {
    const xs = s.xs || s.values.map((_, i) => i);
    const pts = s.values.map((v, i) => (v === null ? null : `${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`)).filter(Boolean);
    add("polyline", { points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": s.width || 1.6,
      "stroke-dasharray": s.dashed ? "4 3" : "none", class: s.cls || "" });
  }
  for (const m of opts.markers || []) {
    add("line", { x1: sx(m.x), x2: sx(m.x), y1: T, y2: H - B, stroke: m.color, "stroke-width": 1.5,
      "stroke-dasharray": m.dashed ? "3 3" : "none", class: m.cls || "" });
  }
  let lx = L + 8;
  for (const s of series.filter((s) => s.label)) {
    add("rect", { x: lx, y: T + 5, width: 12, height: 3, fill: s.color });
    const t = add("text", { x: lx + 16, y: T + 10 }); t.textContent = s.label;
    lx += 24 + 7 * s.label.length;
  }
};

// Mark the current page in the navigation bar.
document.addEventListener("DOMContentLoaded", () => {
  const here = location.pathname.replace(/\/$/, "") || "/";
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.getAttribute("href") === here) a.classList.add("active");
  }
});
