// Train: start a run, poll its progress into a chart, stop it, open the model in Network.
"use strict";

const $ = (id) => document.getElementById(id);
const T = { id: null, next: 0, steps: [], epochs: [], timer: null, lr: {} };

function chart() {
  // x: optimizer steps so far; a dashed line where each new epoch begins
  const xs = T.steps.map((_, i) => i + 1);
  const markers = T.steps.filter((s, i) => i > 0 && s.step === 1).map((s) => ({ x: T.steps.indexOf(s) + 1, color: "#9aa3b5", dashed: true }));
  Lab.lineChart($("chart"), [
    { values: T.steps.map((s) => s.loss), xs, color: "#2f6fdf", label: "loss", width: 2 },
    { values: T.steps.map((s) => s.accuracy), xs, color: "#1f9d55", label: "accuracy", width: 2 },
  ], { lo: 0, width: 640, height: 260, markers });
}

async function poll() {
  let r;
  try { r = await Lab.api(`/api/train/${T.id}?since=${T.next}`); } catch (e) { return; }
  T.next = r.next;
  for (const e of r.events) (e.type === "step" ? T.steps : T.epochs).push(e);
  if (T.steps.length) {
    const s = T.steps[T.steps.length - 1];
    $("latest").textContent = `epoch ${s.epoch}, step ${s.step}: loss ${s.loss.toFixed(4)}, accuracy ${s.accuracy.toFixed(4)}`;
    chart();
  }
  $("status").textContent = r.status; $("message").textContent = r.message;
  const table = $("epochs-table");
  while (table.rows.length > 1) table.deleteRow(1);
  for (const e of T.epochs) {
    table.append(Lab.el("tr", {}, ...[e.epoch, e.loss.toFixed(4), e.accuracy.toFixed(4), e.val_accuracy === undefined || e.val_accuracy === null ? "–" : e.val_accuracy.toFixed(4)].map((v) => Lab.el("td", { text: String(v) }))));
  }
  if (["done", "stopped", "failed"].includes(r.status)) {
    clearInterval(T.timer); T.timer = null;
    $("start").disabled = false; $("stop").disabled = true;
    if (r.model) {
      $("explore").innerHTML = "";
      $("explore").append(Lab.el("a", { id: "explore-link", href: `/network?model=${encodeURIComponent(r.model)}`, text: `Explore ${r.model} in Network →` }));
    }
  }
}

async function start() {
  const body = { model: $("model").value, data: $("data").value, epochs: Number($("epochs").value),
    batch_size: Number($("batch").value), limit: Number($("limit").value), lr: Number($("lr").value) };
  let r;
  try { r = await Lab.api("/api/train/start", body); } catch (e) { return; }
  Object.assign(T, { id: r.id, next: 0, steps: [], epochs: [] });
  $("explore").innerHTML = ""; $("status").textContent = r.status;
  $("start").disabled = true; $("stop").disabled = false;
  $("call").textContent = `# a similar run from the shell (its test split is not cut to a fifth)\nconvolab train ${body.model} --data ${body.data} --epochs ${body.epochs} --batch-size ${body.batch_size} --limit ${body.limit} --lr ${body.lr} --out RUN`;
  T.timer = setInterval(poll, 300);
}

async function init() {
  const info = await Lab.api("/api/info");
  for (const m of info.model_names) $("model").append(Lab.el("option", { text: m }));
  for (const d of info.data) $("data").append(Lab.el("option", { value: d, text: d }));
  const folder = info.data.find((d) => !["mnist", "fashion-mnist", "ocr-digits", "mnist1d", "shapes1d"].includes(d));
  $("data").value = folder || "ocr-digits";
  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", async () => { try { await Lab.api("/api/train/stop", { id: T.id }); } catch (e) { /* shown */ } });
  document.body.dataset.ready = "1";
}

init();
