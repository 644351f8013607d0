// Slide: the kernel moves across the input; every output is explain()'s weighted sum.
"use strict";

const S = {
  dims: 1, x: [0, 0, 0, 3, 4, 5, 4, 3, 0, 0], k: [1, 0, 0], pos: 4, result: null, timer: null,
  x2: [[0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]],
  k2: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
};
const BANK_1D = {
  "shift right [1, 0, 0]": [1, 0, 0], "shift left [0, 0, 1]": [0, 0, 1], "box 3": [1 / 3, 1 / 3, 1 / 3],
  "derivative [-1, 0, 1]": [-1, 0, 1], "smooth [1, 2, 1]/4": [0.25, 0.5, 0.25], "scale [2]": [2],
};
const $ = (id) => document.getElementById(id);
const text = (a) => (Array.isArray(a[0]) ? a.map((r) => r.join(", ")).join("; ") : a.join(", "));

function settings() {
  return { op: $("op").value, mode: $("mode").value, boundary: $("boundary").value,
    stride: Number($("stride").value), dilation: Number($("dilation").value) };
}

async function run() {
  const x = S.dims === 1 ? S.x : S.x2, k = S.dims === 1 ? S.k : S.k2;
  $("stride-v").textContent = $("stride").value; $("dilation-v").textContent = $("dilation").value;
  let r;
  try { r = await Lab.api("/api/slide", { x, k, ...settings() }); } catch (e) { return; }
  S.result = r;
  $("pos").max = r.rows.length - 1;
  S.pos = Math.min(S.pos, r.rows.length - 1);
  $("pos").value = S.pos;
  $("formula").innerHTML = "";
  r.formula.forEach((f, axis) => $("formula").append(Lab.el("div", { text: (r.formula.length > 1 ? `axis ${axis}: ` : "") + f })));
  $("call").textContent = r.call;
  const flipped = $("op").value === "convolve";
  $("flip").textContent = flipped
    ? `convolve flips the kernel: k = ${JSON.stringify(r.kernel)} is laid over the signal as ${JSON.stringify(r.applied_kernel)}`
    : `correlate lays the kernel as it is: ${JSON.stringify(r.applied_kernel)}`;
  const rows = $("rows"); rows.innerHTML = "";
  r.rows.forEach((row, i) => rows.append(Lab.el("div", { text: row.text, "data-row": i, onclick: () => select(i) })));
  kernelEditor(k);
  draw();
}

function select(i) { S.pos = i; $("pos").value = i; draw(); }

function kernelEditor(k) {
  const table = $("k-cells") || Lab.el("table", { id: "k-cells", class: "cells" });
  table.innerHTML = "";
  const rows = Array.isArray(k[0]) ? k : [k];
  rows.forEach((row, i) => {
    const tr = Lab.el("tr", {}, Lab.el("td", { class: "label", text: i === 0 ? "edit kernel" : "" }));
    row.forEach((v, j) => {
      const input = Lab.el("input", { value: Lab.fmt(v), "data-i": i, "data-j": j });
      input.addEventListener("change", () => {
        const value = Number(input.value);
        if (!Number.isFinite(value)) { Lab.showError(`kernel cell (${i}, ${j}): ${input.value} is not a number`); return; }
        if (S.dims === 1) S.k[j] = value; else S.k2[i][j] = value;
        $("k-text").value = text(S.dims === 1 ? S.k : S.k2);
        run();
      });
      tr.append(Lab.el("td", {}, input));
    });
    table.append(tr);
  });
  if (!table.parentNode) $("current").before(table);
}

function windowCells(row, r) {
  const s = settings(), cells = new Set();
  const t = row.t, shape = r.applied_kernel.length ? [r.applied_kernel.length, (r.applied_kernel[0].length || 0)] : [0, 0];
  if (S.dims === 1) { for (let i = 0; i < r.applied_kernel.length; i++) cells.add(String(t[0] * s.stride + i * s.dilation)); }
  else for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++)
    cells.add(`${t[0] * s.stride + i * s.dilation},${t[1] * s.stride + j * s.dilation}`);
  return cells;
}

function draw() {
  const r = S.result; if (!r) return;
  const row = r.rows[S.pos];
  $("pos-v").textContent = `t = ${row.t.join(", ")}`;
  $("current").textContent = row.text;
  for (const d of $("rows").children) d.classList.toggle("cur", Number(d.dataset.row) === S.pos);
  const cur = $("rows").children[S.pos]; if (cur) cur.scrollIntoView({ block: "nearest" });
  const win = windowCells(row, r), s = settings();
  const stage = $("stage"); stage.innerHTML = "";
  if (S.dims === 1) {
    const table = Lab.el("table", { class: "cells", id: "stage-table" });
    const before = r.pads[0][0], n = S.x.length;
    const tr = Lab.el("tr", {}, Lab.el("td", { class: "label", text: "padded input" }));
    r.padded.forEach((v, i) => {
      const pad = i < before || i >= before + n;
      tr.append(Lab.el("td", { class: (pad ? "pad " : "") + (win.has(String(i)) ? "win" : ""), text: Lab.fmt(v) }));
    });
    const kr = Lab.el("tr", {}, Lab.el("td", { class: "label", text: s.op === "convolve" ? "flipped kernel" : "kernel" }));
    const at = {}; r.applied_kernel.forEach((w, i) => { at[row.t[0] * s.stride + i * s.dilation] = w; });
    r.padded.forEach((_, i) => kr.append(Lab.el("td", { class: i in at ? "win" : "empty", text: i in at ? Lab.fmt(at[i]) : "" })));
    const out = Lab.el("tr", {}, Lab.el("td", { class: "label", text: "output" }));
    r.output.forEach((v, i) => out.append(Lab.el("td", { class: i === S.pos ? "cur" : "", "data-out": i, text: Lab.fmt(v) })));
    table.append(tr, kr);
    const outTable = Lab.el("table", { class: "cells", id: "output-table", style: "margin-top:0.5rem" }, out);
    stage.append(table, outTable);
  } else {
    const grid = (values, cls, label, id) => {
      const t = Lab.el("table", { class: "cells", id });
      values.forEach((rowv, i) => { const tr = Lab.el("tr");
        rowv.forEach((v, j) => tr.append(Lab.el("td", { class: cls(i, j), text: Lab.fmt(v), "data-out": `${i},${j}` })));
        t.append(tr); });
      return Lab.el("div", {}, Lab.el("div", { class: "muted", text: label }), t);
    };
    const [pt, pl] = [r.pads[0][0], r.pads[1][0]], [h, w] = [S.x2.length, S.x2[0].length];
    const padded = grid(r.padded, (i, j) => ((i < pt || i >= pt + h || j < pl || j >= pl + w) ? "pad " : "") + (win.has(`${i},${j}`) ? "win" : ""), "padded input", "stage-table");
    const kern = grid(r.applied_kernel, () => "win", s.op === "convolve" ? "flipped kernel" : "kernel", "kernel-table");
    const cur = row.t.join(",");
    const output = grid(r.output, (i, j) => (`${i},${j}` === cur ? "cur" : ""), "output", "output-table");
    stage.append(Lab.el("div", { class: "row" }, padded, kern, output));
  }
}

async function init() {
  const info = await Lab.api("/api/info");
  for (const m of info.modes) $("mode").append(Lab.el("option", { text: m }));
  for (const b of info.boundaries) $("boundary").append(Lab.el("option", { text: b }));
  $("mode").value = "same";
  S.bank2 = info.kernels.map((k) => k.name);
  fillBank();
  $("x-text").value = text(S.x); $("k-text").value = text(S.k);
  for (const id of ["op", "mode", "boundary", "stride", "dilation"]) $(id).addEventListener("input", run);
  $("dims").addEventListener("change", () => {
    S.dims = Number($("dims").value); S.pos = 0; fillBank();
    $("x-text").value = text(S.dims === 1 ? S.x : S.x2); $("k-text").value = text(S.dims === 1 ? S.k : S.k2);
    run();
  });
  $("bank").addEventListener("change", async () => {
    const name = $("bank").value; if (!name) return;
    if (S.dims === 1) S.k = BANK_1D[name].slice();
    else { try { S.k2 = (await Lab.api("/api/kernel", { name })).matrix; } catch (e) { return; } }
    $("k-text").value = text(S.dims === 1 ? S.k : S.k2); run();
  });
  $("apply").addEventListener("click", () => {
    const x = Lab.parseMatrix($("x-text").value), k = Lab.parseMatrix($("k-text").value);
    if (S.dims === 1) { S.x = x; S.k = k; } else { S.x2 = Array.isArray(x[0]) ? x : [x]; S.k2 = Array.isArray(k[0]) ? k : [k]; }
    run();
  });
  $("pos").addEventListener("input", () => select(Number($("pos").value)));
  $("prev").addEventListener("click", () => select(Math.max(0, S.pos - 1)));
  $("next").addEventListener("click", () => select(Math.min(S.result.rows.length - 1, S.pos + 1)));
  $("play").addEventListener("click", () => {
    if (S.timer) { clearInterval(S.timer); S.timer = null; $("play").textContent = "▶ play"; return; }
    $("play").textContent = "❚❚ pause";
    S.timer = setInterval(() => select((S.pos + 1) % S.result.rows.length), 700);
  });
  await run();
  document.body.dataset.ready = "1";
}

function fillBank() {
  const bank = $("bank"); bank.innerHTML = "";
  bank.append(Lab.el("option", { value: "", text: "choose…" }));
  const names = S.dims === 1 ? Object.keys(BANK_1D) : S.bank2;
  for (const n of names) bank.append(Lab.el("option", { value: n, text: n }));
}

init();
