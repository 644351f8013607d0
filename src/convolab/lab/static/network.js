// Network: draw a digit, see every layer's feature maps, click a pixel for its weighted sum.
"use strict";

const $ = (id) => document.getElementById(id);
const N = { drawing: false, last: null, input: null, result: null, seq: 0, pending: null };
const INPUT_SCALE = 7;

function pen(ctx, from, to) {
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 20; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.beginPath(); ctx.moveTo(from.x, from.y); ctx.lineTo(to.x, to.y); ctx.stroke();
}

function point(canvas, e) {
  const r = canvas.getBoundingClientRect();
  return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
}

// The drawing as a 140x140 gray array in [0, 1] (2x2 means of the 280x280 canvas).
function canvasValues() {
  const c = $("draw"), data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const n = c.width / 2, out = [];
  for (let i = 0; i < n; i++) { const row = [];
    for (let j = 0; j < n; j++) { let s = 0;
      for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s += data[4 * ((2 * i + a) * c.width + 2 * j + b)];
      row.push(s / (4 * 255)); }
    out.push(row); }
  return out;
}

async function predict() {
  const my = ++N.seq;
  let r;
  const body = { canvas: canvasValues() };
  const model = $("model").value || new URLSearchParams(location.search).get("model");
  if (model) body.model = model;  // else the lab's default
  try { r = await Lab.api("/api/network/forward", body); } catch (e) { return; }
  if (my !== N.seq) return;
  N.result = r; N.input = r.input;
  Lab.heatmap($("input"), r.input, INPUT_SCALE, { lo: 0, hi: 1 });
  clearOverlay();
  const probs = $("probs"); probs.innerHTML = "";
  const best = r.probabilities.indexOf(Math.max(...r.probabilities));
  r.probabilities.forEach((p, i) => {
    probs.append(Lab.el("span", { text: r.classes[i] }),
      Lab.el("div", {}, Lab.el("div", { class: "bar" + (i === best ? " best" : ""), style: `width:${(100 * p).toFixed(1)}%` })),
      Lab.el("span", { class: "prob", "data-class": i, text: p.toFixed(4) }));
  });
  $("predicted").textContent = r.predicted;
  layers(r.layers);
  document.body.dataset.ready = "1";
  document.body.dataset.shown = String(my);  // which request the page now shows
}

function layers(list) {
  const box = $("layers"); box.innerHTML = "";
  list.forEach((layer, index) => {
    const maps = Lab.el("div", { class: "maps" });
    const shape = layer.shape.join("×");
    box.append(Lab.el("div", { class: "layer" }, Lab.el("div", { class: "name", text: `layer ${layer.name}: ${layer.kind}, ${shape}` }), maps));
    if (layer.shape.length === 3 && layer.shape[1] === 1 && layer.shape[2] === 1) {
      // C maps of one pixel each: one strip, a click picks the channel
      const values = [layer.values.map((ch) => ch[0][0])];
      const lo = Math.min(...values[0]), hi = Math.max(...values[0]);
      const canvas = Lab.el("canvas", { "data-layer": index, "data-strip": "1", title: "one pixel per channel" });
      Lab.heatmap(canvas, values, 6, { lo, hi, diverging: lo < 0 });
      canvas.addEventListener("click", (e) => unit(index, Math.floor(e.offsetX / 6), 0, 0));
      maps.append(canvas);
    } else if (layer.shape.length === 3) {
      const w = layer.shape[2], scale = Math.max(2, Math.round(56 / w));
      let lo = Infinity, hi = -Infinity;
      for (const ch of layer.values) for (const row of ch) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      layer.values.forEach((ch, c) => {
        const canvas = Lab.el("canvas", { "data-layer": index, "data-channel": c, title: `channel ${c}` });
        Lab.heatmap(canvas, ch, w === 1 ? 12 : scale, { lo, hi, diverging: lo < 0 });
        canvas.addEventListener("click", (e) => {
          const s = canvas.width / w;
          unit(index, c, Math.floor(e.offsetY / s), Math.floor(e.offsetX / s));
        });
        maps.append(canvas);
      });
    } else {
      const values = [layer.values], lo = Math.min(...layer.values), hi = Math.max(...layer.values);
      const canvas = Lab.el("canvas", { "data-layer": index });
      Lab.heatmap(canvas, values, layer.values.length > 60 ? 6 : 12, { lo, hi, diverging: lo < 0 });
      maps.append(canvas);
    }
  });
}

function clearOverlay() {
  const o = $("overlay"); o.getContext("2d").clearRect(0, 0, o.width, o.height);
}

async function unit(layer, channel, y, x) {
  let r;
  try { r = await Lab.api("/api/network/unit", { model: $("model").value, input: N.input, layer, channel, y, x }); } catch (e) { return; }
  clearOverlay();
  const box = $("unit"); box.innerHTML = ""; box.classList.remove("muted");
  box.append(Lab.el("div", {}, `layer ${r.layer} (${r.kind}), channel ${channel}, pixel (${y}, ${x}): value `,
    Lab.el("b", { id: "unit-value", class: "mono", text: Lab.fmt(r.value) })));
  if (r.field) {
    const ctx = $("overlay").getContext("2d"), s = INPUT_SCALE;
    const [r0, r1] = r.field.rows, [c0, c1] = r.field.cols;
    ctx.fillStyle = "rgba(232, 119, 46, 0.25)"; ctx.strokeStyle = "#e8772e"; ctx.lineWidth = 2;
    ctx.fillRect(c0 * s, r0 * s, (c1 - c0 + 1) * s, (r1 - r0 + 1) * s);
    ctx.strokeRect(c0 * s + 1, r0 * s + 1, (c1 - c0 + 1) * s - 2, (r1 - r0 + 1) * s - 2);
    $("field").textContent = `receptive field: rows ${Lab.fmt(r0)}–${Lab.fmt(r1)}, columns ${Lab.fmt(c0)}–${Lab.fmt(c1)} (${r.field.size.join("×")} input pixels, padding included)`;
  }
  if (!r.sum) {
    box.append(Lab.el("p", { class: "muted", text: "Not a convolution: its value comes from the layer below (a ReLU keeps max(0, v), a pooling the max of its window). Click a Conv2d map to see a weighted sum." }));
    return;
  }
  const u = r.sum;
  box.append(Lab.el("div", { class: "sum", id: "unit-text", text: u.text }));
  box.append(Lab.el("div", { class: "muted", text: `sum over ${u.in_channels.length} input channel(s) of patch ⊙ kernel, plus the bias ${Lab.fmt(u.bias)}: ` },
    Lab.el("b", { id: "unit-sum", class: "mono", text: Lab.fmt(u.sum) })));
  const grids = Lab.el("div", { class: "maps", style: "margin-top:0.4rem" });
  const shown = Math.min(u.in_channels.length, 6);
  for (let j = 0; j < shown; j++) {
    const p = Lab.el("canvas", { title: `patch of input channel ${u.in_channels[j]}` });
    const w = Lab.el("canvas", { title: `kernel w[${channel}, ${j}]`, class: "kernel" });
    Lab.heatmap(p, u.patch[j], 8); Lab.heatmap(w, u.weights[j], 8, { diverging: true });
    grids.append(Lab.el("div", { class: "figure" }, p, Lab.el("div", { class: "caption", text: `x[${u.in_channels[j]}]` })),
      Lab.el("div", { class: "figure" }, w, Lab.el("div", { class: "caption", text: `w[${channel}, ${j}]` })));
  }
  box.append(grids);
  if (u.in_channels.length > shown) box.append(Lab.el("div", { class: "muted", text: `(first ${shown} of ${u.in_channels.length} input channels shown)` }));
}

function sampleDigit() {
  // A "3" to start with, drawn with the same pen as the mouse.
  const ctx = $("draw").getContext("2d");
  const pts = [[95, 70], [140, 55], [180, 75], [170, 120], [135, 140], [175, 160], [185, 205], [140, 230], [90, 215]];
  for (let i = 1; i < pts.length; i++) pen(ctx, { x: pts[i - 1][0], y: pts[i - 1][1] }, { x: pts[i][0], y: pts[i][1] });
}

async function init() {
  const c = $("draw"), ctx = c.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, c.width, c.height);
  sampleDigit();
  const first = predict();  // at once, while the list of models loads
  const info = await Lab.api("/api/info");
  const wanted = new URLSearchParams(location.search).get("model");
  for (const m of info.models.filter((m) => m.image)) $("model").append(Lab.el("option", { value: m.id, text: `${m.id} — ${m.source}` }));
  $("model").value = wanted && info.models.some((m) => m.id === wanted) ? wanted : info.default_model;
  if (!$("model").value) {  // the default takes no 28x28 images: ask the first image model
    $("model").selectedIndex = 0;
    await first;
    await predict();
  }
  c.addEventListener("pointerdown", (e) => { N.drawing = true; N.last = point(c, e); c.setPointerCapture(e.pointerId); pen(ctx, N.last, N.last); });
  c.addEventListener("pointermove", (e) => {
    if (!N.drawing) return;
    const p = point(c, e); pen(ctx, N.last, p); N.last = p;
    if (!N.pending) N.pending = setTimeout(() => { N.pending = null; predict(); }, 120);
  });
  const end = () => { if (N.drawing) { N.drawing = false; predict(); } };
  c.addEventListener("pointerup", end); c.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, c.width, c.height); });
  $("model").addEventListener("change", predict);
  await first;
}

init();
