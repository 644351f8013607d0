// Signals: smoothing, hard and soft shifts, and the one-layer shape detector.
"use strict";

const $ = (id) => document.getElementById(id);
const list = (a) => "[" + a.map((v) => Lab.fmt(v, 4)).join(", ") + "]";

async function smooth() {
  $("s-width-v").textContent = $("s-width").value;
  let r;
  try { r = await Lab.api("/api/signals", { task: "smooth", x: Lab.parseMatrix($("s-x").value), kind: $("s-kind").value, width: Number($("s-width").value) }); } catch (e) { return; }
  Lab.lineChart($("s-chart"), [{ values: r.x, color: "#9aa3b5", label: "signal x" }, { values: r.y, color: "#2f6fdf", label: "smoothed", width: 2.4 }]);
  $("s-values").textContent = "smoothed = " + list(r.y);
  $("s-call").textContent = r.call;
}

async function shift() {
  $("h-n-v").textContent = $("h-n").value;
  const x = Lab.parseMatrix($("h-x").value), circular = $("h-circ").checked;
  let hard, soft;
  try {
    hard = await Lab.api("/api/signals", { task: "shift", x, n: Number($("h-n").value), circular });
    soft = await Lab.api("/api/signals", { task: "soft_shift", x, weights: Lab.parseMatrix($("h-w").value), circular });
  } catch (e) { return; }
  Lab.lineChart($("h-chart"), [{ values: hard.x, color: "#9aa3b5", label: "signal x" },
    { values: hard.y, color: "#2f6fdf", label: "hard shift", width: 2.2 },
    { values: soft.y, color: "#e8772e", label: "soft shift", dashed: true, width: 2.2 }], { height: 180 });
  $("h-values").innerHTML = "";
  $("h-values").append(Lab.el("div", { id: "h-hard", text: "hard = " + list(hard.y) }), Lab.el("div", { id: "h-soft", text: "soft = " + list(soft.y) }));
  $("h-call").textContent = hard.call + "\n" + soft.call;
}

async function detect() {
  $("d-noise-v").textContent = $("d-noise").value; $("d-beta-v").textContent = $("d-beta").value;
  let r;
  try { r = await Lab.api("/api/signals", { task: "detect", noise: Number($("d-noise").value), beta: Number($("d-beta").value), seed: Number($("d-seed").value) }); } catch (e) { return; }
  const markers = r.positions.map((p) => ({ x: p, color: "#1f9d55", cls: "found" }))
    .concat(r.true_positions.map((p) => ({ x: p, color: "#9aa3b5", dashed: true })));
  Lab.lineChart($("d-chart"), [{ values: r.x, color: "#9aa3b5", label: "signal x" },
    { values: r.score, color: "#2f6fdf", label: "score (K ⋆ x)(t)", width: 1.8 },
    { values: r.curve, color: "#e8772e", label: "sigmoid(ReLU(g (score + β)))", width: 2 }], { markers, height: 240 });
  $("d-formula").textContent = r.formula;
  $("d-positions").textContent = r.positions.length ? r.positions.join(", ") : "none";
  $("d-true").textContent = r.true_positions.join(", ");
  $("d-call").textContent = r.call;
}

async function init() {
  for (const id of ["s-x", "s-kind", "s-width"]) $(id).addEventListener("input", smooth);
  for (const id of ["h-x", "h-n", "h-w", "h-circ"]) $(id).addEventListener("input", shift);
  for (const id of ["d-noise", "d-beta", "d-seed"]) $(id).addEventListener("input", detect);
  await Promise.all([smooth(), shift(), detect()]);
  document.body.dataset.ready = "1";
}

init();
