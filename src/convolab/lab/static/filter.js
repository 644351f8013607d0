// Filter: a kernel from the bank (with its parameters) or a typed matrix over a photo.
"use strict";

const $ = (id) => document.getElementById(id);
const F = { bank: {}, busy: false, again: false, shown: null };

function paramValue(text) {
  const t = text.trim();
  if (t === "") return undefined;
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  if (t.startsWith("(") || t.startsWith("[")) { try { return JSON.parse(t.replace(/[()]/g, (c) => (c === "(" ? "[" : "]"))); } catch (e) { return t; } }
  return t;
}

function showParams() {
  const box = $("params"); box.innerHTML = "";
  for (const p of F.bank[$("kernel").value].params) {
    const input = Lab.el("input", { type: "text", size: 5, "data-param": p.name, value: p.default === null ? "" : (Array.isArray(p.default) ? JSON.stringify(p.default) : String(p.default)) });
    input.addEventListener("change", () => { $("typed").checked = false; run(); });
    box.append(Lab.el("label", {}, p.name, input));
  }
}

function kernelSpec() {
  if ($("typed").checked) return { matrix: Lab.parseMatrix($("matrix").value) };
  const params = {};
  for (const input of $("params").querySelectorAll("input")) {
    const v = paramValue(input.value);
    if (v !== undefined) params[input.dataset.param] = v;
  }
  return { name: $("kernel").value, params };
}

async function run() {
  if (F.busy) { F.again = true; return; }
  F.busy = true;
  try {
    const name = $("image").value;
    const r = await Lab.api("/api/filter", { image: name, kernel: kernelSpec(), with_input: F.shown !== name,
      op: $("op").value, boundary: $("boundary").value, scale: $("scale").value });
    if (r.input) { Lab.grayImage($("in-img"), r.input); F.shown = name; }
    Lab.grayImage($("out-img"), r.result); Lab.grayImage($("edge-img"), r.edges);
    $("method").textContent = r.method; $("ms").textContent = `${r.ms.toFixed(1)} ms`;
    $("reason").textContent = r.reason;
    $("call").textContent = `k = ${JSON.stringify(r.kernel)}\n${r.call}  # choose_method → ${r.method}`;
    $("stats").textContent = `${r.shape[0]}×${r.shape[1]} · min ${Lab.fmt(r.stats.min, 4)} · mean ${Lab.fmt(r.stats.mean, 4)} · max ${Lab.fmt(r.stats.max, 4)}`;
    if (!$("typed").checked) $("matrix").value = r.kernel.map((row) => row.map((v) => Lab.fmt(v, 4)).join(" ")).join("\n");
    const table = $("kernel-cells"); table.innerHTML = "";
    const big = r.kernel.length > 9;
    (big ? [] : r.kernel).forEach((row) => table.append(Lab.el("tr", {}, ...row.map((v) => Lab.el("td", { text: Lab.fmt(v, 3) })))));
    if (big) table.append(Lab.el("tr", {}, Lab.el("td", { text: `${r.kernel.length}×${r.kernel[0].length} kernel` })));
    histogram(r.histogram);
    document.body.dataset.ready = "1";
  } catch (e) { /* the message is shown */ }
  F.busy = false;
  if (F.again) { F.again = false; run(); }
}

function histogram(h) {
  const svg = $("hist"), W = 300, H = 120, ns = "http://www.w3.org/2000/svg";
  svg.setAttribute("viewBox", `0 0 ${W} ${H + 16}`); svg.setAttribute("width", W); svg.setAttribute("height", H + 16);
  svg.innerHTML = "";
  const top = Math.max(...h.counts) || 1, bw = W / h.counts.length;
  h.counts.forEach((c, i) => {
    const rect = document.createElementNS(ns, "rect");
    const hh = H * c / top;
    for (const [k, v] of Object.entries({ x: i * bw + 0.5, y: H - hh, width: bw - 1, height: hh, fill: "#2f6fdf" })) rect.setAttribute(k, v);
    svg.append(rect);
  });
  for (const [x, v, anchor] of [[0, h.edges[0], "start"], [W, h.edges[h.edges.length - 1], "end"]]) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", H + 13); t.setAttribute("text-anchor", anchor);
    t.textContent = Lab.fmt(v, 3); svg.append(t);
  }
}

async function init() {
  const info = await Lab.api("/api/info");
  for (const s of info.samples) $("image").append(Lab.el("option", { text: s }));
  for (const b of info.boundaries) $("boundary").append(Lab.el("option", { text: b }));
  $("boundary").value = "reflect";
  for (const k of info.kernels) { F.bank[k.name] = k; $("kernel").append(Lab.el("option", { text: k.name })); }
  $("kernel").value = "laplacian";
  showParams();
  $("params").querySelector("input").value = "8";
  $("scale").value = "abs";
  $("kernel").addEventListener("change", () => { $("typed").checked = false; showParams(); run(); });
  for (const id of ["image", "op", "boundary", "scale", "typed"]) $(id).addEventListener("change", run);
  $("matrix").addEventListener("change", () => { $("typed").checked = true; run(); });
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0]; if (!file) return;
    const response = await fetch("/api/upload", { method: "POST", body: file });
    const data = await response.json();
    if (!response.ok) { Lab.showError(data.error); return; }
    const option = Lab.el("option", { value: data.image, text: `${file.name} (${data.shape[1]}×${data.shape[0]})` });
    $("image").append(option); $("image").value = data.image; run();
  });
  await run();
}

init();
