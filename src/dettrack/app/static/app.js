// dettrack app: open a video, scrub, draw or click objects, track, watch and download.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("canvas"), ctx = canvas.getContext("2d");
const chart = $("chart"), chartCtx = chart.getContext("2d");

const state = {
  video: null,        // {id, name, frames, fps, width, height, presence_threshold, colours}
  frame: 0,           // the frame shown
  image: null,        // its decoded image
  loading: false, pending: null,
  boxes: [],          // [x, y, w, h] in frame pixels, all on boxFrame
  boxFrame: 0,
  detections: null,   // {frame, objects: [{box, name, score}]}
  drag: null,         // {x0, y0, x1, y1} while drawing
  job: null,          // {state, total, start, rows: Map frame -> row, colours}
  playing: false, follow: true, polling: false,
};

function message(text, info = false) {
  $("message").textContent = text || "";
  $("message").className = info ? "info" : "";
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({error: `${response.status} ${response.statusText}`}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// ---- opening a video
$("open-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  const file = $("file").files[0];
  if (file) form.append("video", file); else form.append("path", $("path").value);
  message(file ? `uploading ${file.name} ...` : "opening ...", true);
  $("open").disabled = true;
  try {
    const video = await api("/api/open", {method: "POST", body: form});
    Object.assign(state, {video, frame: 0, boxes: [], boxFrame: 0, detections: null, job: null, playing: false});
    $("video-name").textContent = `${video.name}: ${video.width}x${video.height}, ${video.frames} frames`;
    $("slider").max = video.frames - 1;
    $("frame-count").textContent = video.frames - 1;
    $("end").max = video.frames;
    canvas.width = video.width; canvas.height = video.height;
    $("main").hidden = false;
    renderObjects(); renderDownloads([]); showState("idle");
    message("");
    show(0);
  } catch (err) { message(err.message); }
  $("open").disabled = false;
});

// ---- frames
function frameUrl(index) {
  const overlay = $("show-overlay").checked && state.job && state.job.rows.has(index) ? "?overlay=1" : "";
  return `/api/${state.video.id}/frame/${index}${overlay}`;
}

function show(index) {
  index = Math.max(0, Math.min(state.video.frames - 1, index));
  if (state.loading) { state.pending = index; return; }
  state.loading = true;
  const image = new Image();
  const started = performance.now();
  image.onload = () => {
    state.loading = false;
    state.image = image; state.frame = index;
    if (state.detections && state.detections.frame !== index) { state.detections = null; message(""); }
    $("slider").value = index; $("frame-number").textContent = index;
    if (!state.boxes.length) { state.boxFrame = index; $("start").value = index; }
    draw(); drawChart();
    canvas.dataset.frame = index; canvas.dataset.overlay = image.src.includes("overlay=1") ? "1" : "0";
    if (state.pending !== null) { const next = state.pending; state.pending = null; show(next); }
    else if (state.playing) {
      const wait = Math.max(0, 1000 / (state.video.fps || 25) - (performance.now() - started));
      if (index + 1 < state.video.frames) setTimeout(() => state.playing && show(state.frame + 1), wait); else setPlaying(false);
    }
  };
  image.onerror = () => { state.loading = false; message(`frame ${index} could not be read`); setPlaying(false); };
  image.src = frameUrl(index);
}

function colourOf(k) {
  const given = state.job && state.job.colours[String(k)];
  const c = given || state.video.colours[k % state.video.colours.length];
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function draw() {
  if (!state.image) return;
  ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  const line = Math.max(2, canvas.width / 400);
  ctx.lineWidth = line;
  if (state.detections) {
    ctx.setLineDash([6 * line, 4 * line]);
    ctx.font = `${Math.round(canvas.height / 32)}px sans-serif`;
    for (const d of state.detections.objects) {
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(...d.box);
      ctx.fillStyle = "#fff";
      ctx.fillText(`${d.name} ${d.score.toFixed(2)}`, d.box[0] + 4, d.box[1] - 6);
    }
    ctx.setLineDash([]);
  }
  if (state.frame === state.boxFrame) {
    state.boxes.forEach((b, k) => {
      ctx.strokeStyle = colourOf(k);
      ctx.strokeRect(...b);
      ctx.fillStyle = colourOf(k);
      ctx.fillText(String(k), b[0] + 4, b[1] + canvas.height / 30);
    });
  }
  if (state.drag) {
    const d = normalised(state.drag);
    ctx.strokeStyle = "#ff0";
    ctx.strokeRect(...d);
  }
}

function setPlaying(on) {
  state.playing = on;
  $("play").textContent = on ? "Pause" : "Play";
  if (on) { state.follow = false; show(state.frame + 1 < state.video.frames ? state.frame + 1 : 0); }
}

$("play").addEventListener("click", () => setPlaying(!state.playing));
$("prev").addEventListener("click", () => { state.follow = false; show(state.frame - 1); });
$("next").addEventListener("click", () => { state.follow = false; show(state.frame + 1); });
$("slider").addEventListener("input", () => { state.follow = false; show(Number($("slider").value)); });
$("show-overlay").addEventListener("change", () => show(state.frame));
document.addEventListener("keydown", (event) => {
  if (!state.video || event.target.tagName === "INPUT") return;
  if (event.key === "ArrowRight") show(state.frame + 1);
  if (event.key === "ArrowLeft") show(state.frame - 1);
  if (event.key === " ") { event.preventDefault(); setPlaying(!state.playing); }
});

// ---- boxes: drag to draw, click a detection to take it
function framePoint(event) {
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * canvas.width / rect.width, (event.clientY - rect.top) * canvas.height / rect.height];
}

function normalised(d) {
  const x = Math.max(0, Math.min(d.x0, d.x1)), y = Math.max(0, Math.min(d.y0, d.y1));
  const x2 = Math.min(canvas.width, Math.max(d.x0, d.x1)), y2 = Math.min(canvas.height, Math.max(d.y0, d.y1));
  return [x, y, x2 - x, y2 - y].map((v) => Math.round(v * 10) / 10);
}

canvas.addEventListener("mousedown", (event) => {
  if (!state.image) return;
  const [x, y] = framePoint(event);
  state.drag = {x0: x, y0: y, x1: x, y1: y};
});
canvas.addEventListener("mousemove", (event) => {
  if (!state.drag) return;
  [state.drag.x1, state.drag.y1] = framePoint(event);
  draw();
});
window.addEventListener("mouseup", (event) => {
  if (!state.drag) return;
  [state.drag.x1, state.drag.y1] = framePoint(event);
  const box = normalised(state.drag);
  state.drag = null;
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  if (box[2] > 4 * scale && box[3] > 4 * scale) addBox(box);
  else if (state.detections) pickDetection(box[0], box[1]);
  draw();
});

function pickDetection(x, y) {
  const inside = state.detections.objects.filter((d) => x >= d.box[0] && y >= d.box[1] && x <= d.box[0] + d.box[2] && y <= d.box[1] + d.box[3]);
  if (!inside.length) return;
  inside.sort((a, b) => a.box[2] * a.box[3] - b.box[2] * b.box[3]);
  addBox(inside[0].box.slice());
}

function addBox(box) {
  if (state.boxes.length && state.boxFrame !== state.frame) {
    message(`the earlier boxes were on frame ${state.boxFrame}; every object starts on one frame, so they were cleared`, true);
    state.boxes = [];
  }
  state.boxFrame = state.frame;
  $("start").value = state.frame;
  state.boxes.push(box);
  renderObjects(); draw();
}

function renderObjects() {
  const list = $("objects");
  list.innerHTML = "";
  state.boxes.forEach((b, k) => {
    const item = document.createElement("li");
    item.className = "object";
    item.dataset.box = JSON.stringify(b);
    item.innerHTML = `<span class="swatch" style="background:${colourOf(k)}"></span>${b.map((v) => v.toFixed(0)).join(", ")}`;
    const remove = document.createElement("button");
    remove.textContent = "×"; remove.title = "remove";
    remove.addEventListener("click", () => { state.boxes.splice(k, 1); renderObjects(); draw(); });
    item.appendChild(remove);
    list.appendChild(item);
  });
  $("track").disabled = !canTrack();
}

function canTrack() { return state.boxes.length > 0 || $("classes").value.trim() !== ""; }
$("classes").addEventListener("input", () => { $("track").disabled = !canTrack() || (state.job && ["queued", "running"].includes(state.job.state)); });

$("clear").addEventListener("click", () => { state.boxes = []; renderObjects(); draw(); });

$("detect").addEventListener("click", async () => {
  $("detect").disabled = true;
  message("detecting ...", true);
  try {
    state.detections = await api(`/api/${state.video.id}/detect/${state.frame}`);
    message(state.detections.objects.length ? `${state.detections.objects.length} object(s) found: click one to track it` : "no object found on this frame: draw a box", true);
    draw();
  } catch (err) { message(err.message); }
  $("detect").disabled = false;
});

// ---- tracking
$("track").addEventListener("click", async () => {
  const end = $("end").value === "" ? null : Number($("end").value);
  try {
    const status = await api(`/api/${state.video.id}/track`, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({start: state.boxFrame, end, boxes: state.boxes, classes: $("classes").value}),
    });
    state.job = {state: status.state, total: status.total, start: status.start, rows: new Map(), colours: status.colours};
    state.follow = true;
    message("");
    renderDownloads([]);
    poll();
  } catch (err) { message(err.message); }
});

$("stop").addEventListener("click", () => api(`/api/${state.video.id}/stop`, {method: "POST"}).catch((err) => message(err.message)));

function showState(text) { $("state").textContent = text; }

async function poll() {
  if (state.polling) return;
  state.polling = true;
  try {
    while (state.job) {
      const job = state.job;
      const status = await api(`/api/${state.video.id}/status?since=${job.rows.size}`);
      for (const row of status.rows) job.rows.set(row.frame, row);
      job.state = status.state;
      job.colours = status.colours;  // tracks the detector starts appear on the way
      $("progress").max = status.total; $("progress").value = status.done;
      const speed = status.fps ? `, ${status.fps} frames/s` : "";
      showState(status.state === "failed" ? `failed: ${status.error}` : `${status.state}: ${status.done} / ${status.total} frames${speed}`);
      $("track").disabled = ["queued", "running"].includes(status.state) || !canTrack();
      $("stop").disabled = !["queued", "running"].includes(status.state);
      if (status.error) message(status.error);
      if (state.follow && status.rows.length && !state.playing) show(status.rows[status.rows.length - 1].frame);
      drawChart();
      if (!["queued", "running"].includes(status.state)) {
        renderDownloads(status.files);
        if (!state.follow || !status.rows.length) show(state.frame);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  } catch (err) { message(err.message); }
  state.polling = false;
}

function renderDownloads(files) {
  const list = $("downloads");
  list.innerHTML = files.length ? "" : '<li class="hint">after a run</li>';
  for (const name of files) {
    const item = document.createElement("li");
    item.innerHTML = `<a href="/api/${state.video.id}/download/${name}" download>${name}</a>`;
    list.appendChild(item);
  }
}

// ---- the confidence over time
function drawChart() {
  const w = chart.width = chart.clientWidth || 640, h = chart.height;
  chartCtx.clearRect(0, 0, w, h);
  if (!state.video) return;
  const frames = Math.max(1, state.video.frames - 1);
  const x = (f) => 30 + (w - 40) * f / frames, y = (s) => h - 16 - (h - 26) * s;
  chartCtx.fillStyle = "#666"; chartCtx.font = "11px sans-serif";
  chartCtx.fillText("1", 14, y(1) + 4); chartCtx.fillText("0", 14, y(0) + 4);
  chartCtx.fillText("confidence", 34, 12);
  const threshold = state.video.presence_threshold;
  chartCtx.strokeStyle = "#999"; chartCtx.setLineDash([4, 4]);
  chartCtx.beginPath(); chartCtx.moveTo(x(0), y(threshold)); chartCtx.lineTo(x(frames), y(threshold)); chartCtx.stroke();
  chartCtx.setLineDash([]);
  const rows = state.job ? [...state.job.rows.values()] : [];
  const ids = [...new Set(rows.flatMap((row) => Object.keys(row.objects)))];
  ids.forEach((id, k) => {
    chartCtx.fillStyle = "rgba(0,0,0,0.12)";
    for (const row of rows) if (row.objects[id] && !row.objects[id].present) chartCtx.fillRect(x(row.frame) - 0.5, h - 14 + 4 * k, Math.max(1, x(1) - x(0)), 4);
    chartCtx.strokeStyle = colourOf(Number(id)); chartCtx.lineWidth = 1.5;
    chartCtx.beginPath();
    let drawing = false;
    for (const row of rows) {
      const o = row.objects[id];
      if (o) { (drawing ? chartCtx.lineTo : chartCtx.moveTo).call(chartCtx, x(row.frame), y(o.score)); }
      drawing = Boolean(o);
    }
    chartCtx.stroke();
  });
  chartCtx.strokeStyle = "#1f6feb"; chartCtx.lineWidth = 1;
  chartCtx.beginPath(); chartCtx.moveTo(x(state.frame), 0); chartCtx.lineTo(x(state.frame), h); chartCtx.stroke();
}

chart.addEventListener("click", (event) => {
  if (!state.video) return;
  const rect = chart.getBoundingClientRect();
  const f = Math.round(((event.clientX - rect.left) * chart.width / rect.width - 30) / (chart.width - 40) * (state.video.frames - 1));
  state.follow = false;
  show(f);
});
window.addEventListener("resize", drawChart);
