// The page of `mudar serve`: uploads, jobs and their progress, the timeline (SVG, drawn here:
// no library, no network). All the computation is the server's.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, current: null, analysis: null, view: null, jobs: {} };

function showError(msg) {
  const e = $("error");
  e.textContent = msg;
  e.hidden = !msg;
}

async function api(path, options = {}) {
  let r;
  try {
    r = await fetch(path, options);
  } catch (err) {
    throw new Error("the server cannot be reached (is `mudar serve` still running?)");
  }
  let body = null;
  try { body = await r.json(); } catch (err) { body = null; }
  if (!r.ok) {
    const d = body && body.detail;
    throw new Error(typeof d === "string" ? d : `request failed (${r.status})`);
  }
  return body;
}

function postJSON(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                     body: JSON.stringify(data) });
}

// ---- files -------------------------------------------------------------------------------

// A long name for a narrow display: unchanged up to `limit` characters, else cut at the end
// with an ellipsis before its extension ("Très-longue-danse-de-mon-…mp4"), as short_name in
// serve/store.py; the full name goes in a title (tooltip), and JSON keeps it whole.
function shortName(name, limit = 48) {
  const chars = Array.from(name);  // code points: a CJK or accented name is not split
  if (chars.length <= limit) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? Array.from(name.slice(dot + 1)) : null;
  if (!ext || ext.length > 8) return chars.slice(0, limit - 1).join("") + "\u2026";
  return chars.slice(0, Math.max(1, limit - 1 - ext.length)).join("") + "\u2026" + ext.join("");
}

// A job's title: the name shortened on the page, whole in its tooltip.
function jobTitle(verb, name, tail = "") {
  return { text: `${verb} ${shortName(name, 40)}${tail}`, full: `${verb} ${name}${tail}` };
}

function addOption(select, f) {
  const o = document.createElement("option");
  o.value = f.id;
  o.textContent = shortName(f.name) + (f.picked ? "" : " (uploaded)");
  o.title = f.name;
  select.appendChild(o);
  return o;
}

function fileById(id) { return state.files[id]; }

function remember(f) {
  state.files[f.id] = f;
  if (f.has_video) addOption($("media-select"), f);
  if (f.has_audio) addOption($("song-select"), f);
}

function upload(file, onProgress, onStart) {
  // XMLHttpRequest, not fetch: it reports upload progress
  return new Promise((resolve, reject) => {
    const limit = state.info.max_upload_mb * 1e6;
    if (file.size > limit) {
      reject(new Error(`${file.name}: larger than the upload limit of ${state.info.max_upload_mb} MB`));
      return;
    }
    const x = new XMLHttpRequest();
    x.open("POST", "/api/upload?name=" + encodeURIComponent(file.name));
    x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch (err) { body = null; }
      if (x.status === 200) resolve(body);
      else reject(new Error((body && typeof body.detail === "string") ? body.detail
                                                                     : `upload failed (${x.status})`));
    };
    x.onerror = () => reject(new Error(`${file.name}: upload failed (server unreachable)`));
    x.onabort = () => reject(new Error(`${file.name}: upload cancelled`));
    if (onStart) onStart(x);
    x.send(file);
  });
}

// ---- jobs --------------------------------------------------------------------------------

function jobRow(job, title) {
  let row = $("job-" + job.id);
  if (!row) {
    row = document.createElement("div");
    row.id = "job-" + job.id;
    row.className = "job";
    row.innerHTML = `<span class="name"></span><progress max="1"></progress>
      <span class="step"></span><button class="cancel">cancel</button>`;
    const name = row.querySelector(".name");
    name.textContent = title.text === undefined ? title : title.text;
    name.title = title.full === undefined ? title : title.full;
    row.querySelector(".cancel").onclick = () =>
      postJSON(`/api/jobs/${job.id}/cancel`, {}).catch((e) => showError(e.message));
    $("jobs").prepend(row);
  }
  row.className = "job " + job.state;
  row.querySelector("progress").value = job.progress;
  let step = job.state === "queued" && job.queue_position > 0
    ? `queued (${job.queue_position} before it)` : job.step;
  if (job.state === "error") step = job.error;
  row.querySelector(".step").textContent = step;
  row.querySelector(".cancel").hidden = !(job.state === "queued" || job.state === "running");
  return row;
}

// Queue a job and follow it until it ends; resolves with the finished job.
async function runJob(path, data, title) {
  let job = await postJSON(path, data);
  jobRow(job, title);
  while (job.state === "queued" || job.state === "running") {
    await new Promise((r) => setTimeout(r, 400));
    job = await api(`/api/jobs/${job.id}`);
    jobRow(job, title);
  }
  if (job.state === "error") throw new Error(job.error);
  return job;
}

// ---- analysis ----------------------------------------------------------------------------

function fmt(x, d = 2) { return (x === null || x === undefined) ? "n/a" : Number(x).toFixed(d); }

// "160.0 BPM (or 80.0)": the half or double beside the tempo when the music supports it too
function tempoHtml(m) {
  if (!m) return "<small>no sound</small>";
  const alt = (m.tempo_alternatives || []).map(a => fmt(a, 1)).join(" or ");
  return `${fmt(m.tempo_bpm, 1)} <small>BPM${alt ? ` (or ${alt})` : ""}</small>`;
}

async function analyse(fileId) {
  const f = fileById(fileId);
  showError("");
  const job = await runJob("/api/analyze", { file: fileId }, jobTitle("analyse", f.name));
  if (job.state !== "done") return;
  const row = $("job-" + job.id);
  row.onclick = () => showAnalysis(f, job.result);
  showAnalysis(f, job.result);
}

function showAnalysis(f, r) {
  state.current = f;
  state.analysis = r;
  $("analysis").hidden = false;
  $("retarget").hidden = false;
  $("retrieve").hidden = false;
  $("current-name").textContent = shortName(f.name, 60);
  $("current-name").title = f.name;
  const t = r.timeline;
  $("tempo").innerHTML = tempoHtml(t.music);
  const b = r.bas;
  $("bas").innerHTML = b.error ? `<small>${esc(b.error)}</small>`
    : `${fmt(b.bas_motion, 3)} <small>motion &rarr; music, ${fmt(b.bas_music, 3)} music &rarr; motion</small>`;
  const s = r.sync;
  state.syncUnsure = !s.error && (s.reliable === undefined
    ? s.confidence < state.info.low_sync_confidence : !s.reliable);
  if (s.error) {
    $("sync").innerHTML = `<small>${esc(s.error)}</small>`;
  } else {
    const what = s.offset_s > 0 ? "late" : s.offset_s < 0 ? "early" : "in sync";
    const guess = `${s.offset_s >= 0 ? "+" : ""}${fmt(s.offset_s, 3)} s`;
    const level = s.min_confidence ?? state.info.low_sync_confidence;
    $("sync").innerHTML = state.syncUnsure
      ? `<span class="unsure">cannot tell the delay</span>
         <small>best guess ${guess} (audio ${what}), confidence ${fmt(s.confidence, 2)} below
         ${fmt(level, 2)}: the dance does not pin the delay down</small>`
      : `${guess} <small>audio ${what}, confidence ${fmt(s.confidence, 2)}</small>`;
  }
  showFeedback(b);
  const fix = $("fix-btn");
  fix.disabled = !!s.error;
  fix.textContent = state.syncUnsure ? "Fix anyway" : "Fix the sync";
  fix.classList.toggle("secondary", state.syncUnsure);
  fix.title = state.syncUnsure
    ? "moves the audio by the best guess, which the dance does not pin down" : "";
  $("fix-download").hidden = true;
  $("fix-info").textContent = "";
  $("fix-info").className = "";
  const g = r.genre;
  $("genre-bars").innerHTML = "";
  if (g.error) {
    $("genre").innerHTML = "<small>none</small>";
    $("genre-bars").innerHTML = `<span class="hint">genre: ${esc(g.error)}</span>`;
  } else {
    $("genre").textContent = g.label;
    const scores = Object.entries(g.scores).sort((a, b) => b[1] - a[1]);
    for (const [label, p] of scores) {
      const span = document.createElement("span");
      span.className = "bar";
      span.innerHTML = `<i style="width:${Math.round(p * 80)}px"></i>${esc(label)} ${fmt(p, 2)}`;
      $("genre-bars").appendChild(span);
    }
  }
  showPoseNote(r.pose);
  const v = $("video");
  v.src = `/api/files/${f.id}`;
  state.skeletonKey = null;
  state.view = [0, Math.max(t.duration_s, 0.1)];
  drawTimeline();
  $("index-note").textContent = state.info.index || "";
  $("retrieve-btn").disabled = !!state.info.index;
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// ---- the timeline ------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const LANES = { music: [20, 100], dance: [125, 205], "on beat": [225, 305] };  // y ranges, px
const HEIGHT = 330, AXIS_Y = 322;
const EARLY = "#2a6fb0", LATE = "#c0392b";

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function curvePoints(curve, x, [top, bottom], [t0, t1]) {
  const pts = [];
  const n = curve.values.length;
  const i0 = Math.max(0, Math.floor((t0 - curve.t0) / curve.dt) - 1);
  const i1 = Math.min(n - 1, Math.ceil((t1 - curve.t0) / curve.dt) + 1);
  const step = Math.max(1, Math.floor((i1 - i0) / 2000));  // at most ~2000 points drawn
  for (let i = i0; i <= i1; i += step) {
    const t = curve.t0 + i * curve.dt;
    pts.push(`${x(t).toFixed(1)},${(bottom - curve.values[i] * (bottom - top)).toFixed(1)}`);
  }
  return pts.join(" ");
}

function drawTimeline() {
  const box = $("timeline");
  const r = state.analysis;
  if (!r) return;
  const t = r.timeline;
  const width = Math.max(box.clientWidth, 300);
  const left = 70, right = width - 10;
  const [t0, t1] = state.view;
  const x = (s) => left + ((s - t0) / (t1 - t0)) * (right - left);
  const svg = el("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, id: "timeline-svg" });
  el("rect", { x: 0, y: 0, width, height: HEIGHT, fill: "#fff" }, svg);
  const clip = el("clipPath", { id: "plot-clip" }, el("defs", {}, svg));
  el("rect", { x: left, y: 0, width: right - left, height: HEIGHT }, clip);
  const plot = el("g", { "clip-path": "url(#plot-clip)" }, svg);
  for (const [name, [top, bottom]] of Object.entries(LANES)) {
    el("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: "#ccc" }, svg);
    const label = el("text", { x: 4, y: (top + bottom) / 2, class: "lane-label" }, svg);
    label.textContent = name;
  }
  // music: onset envelope and beats
  const m = t.music, c = t.curves;
  if (c.onset_envelope) {
    el("polyline", { points: curvePoints(c.onset_envelope, x, LANES.music, state.view),
                     fill: "none", stroke: "#2a6fb0", "stroke-width": 1, class: "onset" }, plot);
  }
  if (m) {
    for (const b of m.beat_times) {
      if (b < t0 || b > t1) continue;
      el("line", { x1: x(b), x2: x(b), y1: LANES.music[0], y2: LANES.music[1],
                   stroke: "#e07b00", "stroke-width": 1.5, class: "beat" }, plot);
    }
  } else {
    const note = el("text", { x: left + 8, y: 60, class: "lane-label" }, svg);
    note.textContent = "no sound";
  }
  // dance: rhythm strength and rhythm points
  const d = t.dance;
  if (c.dance_strength) {
    el("polyline", { points: curvePoints(c.dance_strength, x, LANES.dance, state.view),
                     fill: "none", stroke: "#6a9f3a", "stroke-width": 1.2, class: "strength" }, plot);
  }
  if (d) {
    for (const p of d.rhythm_times) {
      if (p < t0 || p > t1) continue;
      el("circle", { cx: x(p), cy: LANES.dance[0] + 6, r: 4, fill: "#b0306a", class: "dance-point" }, plot);
      el("line", { x1: x(p), x2: x(p), y1: LANES.dance[0] + 6, y2: LANES.dance[1],
                   stroke: "#b0306a", "stroke-opacity": 0.35 }, plot);
    }
  } else {
    const note = el("text", { x: left + 8, y: 165, class: "lane-label" }, svg);
    note.textContent = "no pictures";
  }
  drawOffsets(svg, plot, x, left, right);
  // time axis
  const span = t1 - t0;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
  const step = steps.find((s) => span / s <= 12) || 600;
  for (let s = Math.ceil(t0 / step) * step; s <= t1 + 1e-9; s += step) {
    el("line", { x1: x(s), x2: x(s), y1: AXIS_Y - 14, y2: AXIS_Y - 10, stroke: "#999" }, svg);
    const anchor = x(s) > right - 15 ? "end" : x(s) < left + 15 ? "start" : "middle";
    const lab = el("text", { x: x(s), y: AXIS_Y, class: "tick", "text-anchor": anchor }, svg);
    lab.textContent = `${Number(s.toFixed(2))} s`;
  }
  state.cursor = el("line", { x1: -10, x2: -10, y1: 10, y2: AXIS_Y - 12, stroke: "#d00",
                              "stroke-width": 2, id: "cursor" }, svg);
  state.xOf = x;
  state.tOf = (px) => t0 + ((px - left) / (right - left)) * (t1 - t0);
  state.plotLeft = left;
  box.replaceChildren(svg);
  moveCursor();
}

// the on-beat lane: each accent's offset to its nearest beat (late above the line, early
// below), the on-beat band, and the rushed and dragged stretches shaded
function drawOffsets(svg, plot, x, left, right) {
  const fb = state.analysis.bas.feedback;
  const [top, bottom] = LANES["on beat"];
  if (!fb) {
    const note = el("text", { x: left + 8, y: (top + bottom) / 2, class: "lane-label" }, svg);
    note.textContent = state.analysis.bas.error || "no feedback";
    return;
  }
  const w = fb.summary.window_s;
  const lim = Math.max(2 * w, ...fb.offsets.map((o) => 1.1 * Math.abs(o.offset_s)));
  const y = (o) => (top + bottom) / 2 - (o / lim) * ((bottom - top) / 2);
  el("rect", { x: left, y: y(w), width: right - left, height: y(-w) - y(w), fill: "#dff0d8",
               class: "band" }, plot);
  el("line", { x1: left, x2: right, y1: y(0), y2: y(0), stroke: "#aaa" }, plot);
  const [t0, t1] = state.view;
  for (const st of fb.stretches) {
    if (st.end_s < t0 || st.start_s > t1) continue;
    const early = st.kind === "early";
    el("rect", { x: x(st.start_s - 0.15), y: top, width: x(st.end_s + 0.15) - x(st.start_s - 0.15),
                 height: bottom - top, fill: early ? EARLY : LATE, "fill-opacity": 0.15,
                 class: "stretch " + st.kind }, plot);
  }
  for (const o of fb.offsets) {
    if (o.time_s < t0 || o.time_s > t1) continue;
    const on = Math.abs(o.offset_s) <= w;
    const dot = el("circle", { cx: x(o.time_s), cy: y(o.offset_s), r: 3.5,
                               fill: o.offset_s < 0 ? EARLY : LATE, "fill-opacity": on ? 0.45 : 1,
                               class: "offset" }, plot);
    el("title", {}, dot).textContent =
      `${o.time_s.toFixed(2)} s: ${Math.abs(Math.round(o.offset_s * 1000))} ms ` +
      (o.offset_s < 0 ? "early" : o.offset_s > 0 ? "late" : "on the beat");
  }
  for (const [ms, lab] of [[lim, "late"], [-lim, "early"]]) {
    const t = el("text", { x: left - 4, y: y(ms) + (ms > 0 ? 9 : -2), class: "lane-label",
                           "text-anchor": "end" }, svg);
    t.textContent = lab;
  }
}

function clock(s) {
  const m = Math.floor(Math.round(s) / 60), r = Math.round(s) % 60;
  return `${m}:${String(r).padStart(2, "0")}`;
}

// the on-beat feedback in words, and its stretches as links that seek the video
function showFeedback(b) {
  const box = $("feedback");
  box.hidden = false;
  const list = $("feedback-stretches");
  list.innerHTML = "";
  if (b.error) {
    $("feedback-text").textContent = "no on-beat feedback: " + b.error;
    return;
  }
  const fb = b.feedback;
  $("feedback-text").textContent = fb.text;
  for (const st of fb.stretches) {
    const a = document.createElement("a");
    a.className = "stretch-link";
    a.textContent = `${st.kind === "early" ? "rushed" : "dragged"} ${clock(st.start_s)}` +
      `\u2013${clock(st.end_s)} (${Math.abs(Math.round(st.median_offset_s * 1000))} ms)`;
    a.onclick = () => { $("video").currentTime = st.start_s; };
    list.appendChild(a);
  }
  const note = document.createElement("div");
  note.textContent = `Accents: ${accentWords(b.motion_method)}; each against its nearest ` +
    `music beat (${fb.summary.n_left_out} half-way between beats or outside the music left out).`;
  list.appendChild(note);
}

// "the moments your body stops (pose)": what a method's accents are, as the server words them
function accentWords(method) {
  const a = (state.analysis && state.analysis.accents) || state.info.accents;
  return a && a.method === method && a.words ? `${a.words} (${method})` : `the ${method} dance rhythm`;
}

// ---- the skeleton over the video ---------------------------------------------------------

const SIDE = { left: "#ff8c1a", right: "#1ab0e8", centre: "#f4f4f4" };

function showPoseNote(pose) {
  const toggle = $("skeleton-toggle"), note = $("pose-note");
  const row = toggle.closest(".skeleton-row");
  row.hidden = !pose;  // a song: no pictures, no skeleton
  toggle.disabled = !pose || !!pose.error;
  $("skeleton-legend").hidden = toggle.disabled || !!(pose && pose.note);
  if (!pose) note.textContent = "";
  else if (pose.error) note.textContent = pose.error;
  else if (pose.note) note.textContent = pose.note;
  else if (pose.found_fraction < 0.9) {
    note.textContent = `dancer found in ${Math.round(pose.found_fraction * 100)} % of the frames`;
  } else note.textContent = "";
}

// the body at time t: interpolated between the two samples around it where both saw it, else
// the nearest sample within one step; null where no body was found
function poseAt(p, t) {
  const ts = p.times_s, n = ts.length;
  if (!n) return null;
  let lo = 0, hi = n - 1;
  while (lo < hi) {  // the last sample at or before t
    const mid = (lo + hi + 1) >> 1;
    if (ts[mid] <= t) lo = mid; else hi = mid - 1;
  }
  const a = lo, b = Math.min(lo + 1, n - 1), step = 1 / p.rate;
  const ka = p.keypoints[a], kb = p.keypoints[b];
  if (ka && kb && a !== b && t >= ts[a] && ts[b] - ts[a] <= 1.5 * step) {
    const w = (t - ts[a]) / (ts[b] - ts[a]);
    const xy = ka.map((pa, j) => (pa && kb[j]) ? [pa[0] + w * (kb[j][0] - pa[0]),
                                                 pa[1] + w * (kb[j][1] - pa[1])] : null);
    const c = p.confidence[a].map((ca, j) => Math.min(ca, p.confidence[b][j]));
    return { xy, c };
  }
  const i = (b !== a && Math.abs(ts[b] - t) < Math.abs(t - ts[a])) ? b : a;
  if (!p.keypoints[i] || Math.abs(ts[i] - t) > step) return null;
  return { xy: p.keypoints[i], c: p.confidence[i] };
}

// the canvas over the video: its size, and the picture's place in it (the video keeps its
// aspect, centred, so a picture of another shape is letterboxed)
function drawSkeleton() {
  const v = $("video"), canvas = $("skeleton");
  const p = state.analysis && state.analysis.pose;
  const on = $("skeleton-toggle").checked && !!p && !p.error;
  const w = v.clientWidth, h = v.clientHeight, dpr = window.devicePixelRatio || 1;
  const key = [on, p && p.times_s && p.times_s.length, v.currentTime, w, h, v.videoWidth].join();
  if (key === state.skeletonKey) return;
  state.skeletonKey = key;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!on || !v.videoWidth || !w) return;
  const body = poseAt(p, v.currentTime || 0);
  if (!body) return;
  const s = Math.min(w / v.videoWidth, h / v.videoHeight);
  const ox = (w - v.videoWidth * s) / 2, oy = (h - v.videoHeight * s) / 2;
  const sx = (v.videoWidth * s) / p.width, sy = (v.videoHeight * s) / p.height;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const at = (j) => [ox + body.xy[j][0] * sx, oy + body.xy[j][1] * sy];
  const side = (j) => p.joints[j].startsWith("left") ? "left"
    : p.joints[j].startsWith("right") ? "right" : "centre";
  ctx.lineCap = "round";
  for (const [a, b] of p.bones) {
    const alpha = Math.min(body.c[a], body.c[b]);
    if (!body.xy[a] || !body.xy[b] || alpha < 0.1) continue;
    const sa = side(a), colour = sa === side(b) ? SIDE[sa] : SIDE.centre;
    const [xa, ya] = at(a), [xb, yb] = at(b);
    for (const [width, style] of [[5, "rgba(0,0,0,0.55)"], [2.5, colour]]) {
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = style;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(xa, ya);
      ctx.lineTo(xb, yb);
      ctx.stroke();
    }
  }
  for (let j = 0; j < body.xy.length; j++) {
    if (!body.xy[j] || body.c[j] < 0.1) continue;
    const [x, y] = at(j);
    ctx.globalAlpha = body.c[j];
    ctx.fillStyle = SIDE[side(j)];
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

function moveCursor() {
  if (!state.cursor || !state.xOf) return;
  const px = state.xOf($("video").currentTime || 0);
  state.cursor.setAttribute("x1", px);
  state.cursor.setAttribute("x2", px);
}

function zoom(factor, centre) {
  const dur = Math.max(state.analysis.timeline.duration_s, 0.1);
  let [t0, t1] = state.view;
  const c = centre === undefined ? (t0 + t1) / 2 : centre;
  let span = Math.min(Math.max((t1 - t0) * factor, 0.5), dur);
  t0 = c - (c - t0) * (span / (t1 - t0));
  t0 = Math.min(Math.max(t0, 0), dur - span);
  state.view = [t0, t0 + span];
  drawTimeline();
}

function svgX(svg, event) {
  const r = svg.getBoundingClientRect();
  return ((event.clientX - r.left) / r.width) * svg.viewBox.baseVal.width;
}

// bound once, on the container: the SVG inside is redrawn at every zoom and pan step
function bindTimeline(box) {
  const svg = () => box.querySelector("svg");
  box.addEventListener("wheel", (e) => {
    if (!svg()) return;
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, state.tOf(svgX(svg(), e)));
  }, { passive: false });
  box.addEventListener("mousedown", (e) => {
    if (!svg()) return;
    state.drag = { x: svgX(svg(), e), view: state.view.slice(), moved: false };
    svg().classList.add("dragging");
  });
  box.addEventListener("mousemove", (e) => {
    const drag = state.drag;
    if (!drag || !svg()) return;
    const dx = svgX(svg(), e) - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    const dur = state.analysis.timeline.duration_s;
    const [a, b] = drag.view;
    const dt = (dx / (svg().viewBox.baseVal.width - state.plotLeft - 10)) * (b - a);
    const t0 = Math.min(Math.max(a - dt, 0), Math.max(dur - (b - a), 0));
    state.view = [t0, t0 + (b - a)];
    drawTimeline();
    svg().classList.add("dragging");
  });
  const end = (e) => {
    const drag = state.drag;
    if (drag && !drag.moved && e.type === "mouseup" && svg()) {
      const t = state.tOf(svgX(svg(), e));
      if (t >= 0) $("video").currentTime = t;  // click: seek
    }
    state.drag = null;
    if (svg()) svg().classList.remove("dragging");
  };
  box.addEventListener("mouseup", end);
  box.addEventListener("mouseleave", end);
}

// the cursor follows the video, smoothly while it plays
function tick() {
  moveCursor();
  drawSkeleton();
  requestAnimationFrame(tick);
}

// ---- wiring ------------------------------------------------------------------------------

async function uploadAll(files, then) {
  const out = [];
  for (const file of files) {
    const row = jobRow({ id: "up" + Math.random().toString(36).slice(2), state: "running",
                         progress: 0, step: "uploading" }, jobTitle("upload", file.name));
    try {
      const f = await upload(file, (p) => { row.querySelector("progress").value = p; },
                             (xhr) => { row.querySelector(".cancel").onclick = () => xhr.abort(); });
      row.querySelector("progress").value = 1;
      row.querySelector(".step").textContent = "uploaded";
      row.className = "job done";
      row.querySelector(".cancel").hidden = true;
      remember(f);
      out.push(f);
      if (then) then(f);
    } catch (e) {
      row.remove();
      showError(e.message);
    }
  }
  return out;
}

// ---- retarget results: each kept, newest first ------------------------------------------

function showRetarget(job) {
  const r = state.lastRetarget = job.result, url = `/api/jobs/${job.id}/download`;
  const item = document.createElement("div");
  item.className = "retarget-item overview" + (r.worse ? " worse" : "");
  item.innerHTML = `<div class="player"><video controls preload="metadata"></video></div>
    <div class="retarget-text">
      <h3></h3>
      <p class="retarget-bas"></p>
      <p class="hint retarget-more"></p>
      <ul class="retarget-notes"></ul>
      <a class="retarget-download" download>Download the retargeted video</a>
    </div>`;
  item.querySelector("video").src = url;
  item.querySelector("a").href = url;
  item.querySelector("h3").textContent =
    `${shortName(r.video, 40)} on ${shortName(r.music, 40)}: ${r.method}` +
    (r.worse ? " \u2014 worse" : "");
  item.querySelector("h3").title = `${r.video} on ${r.music}`;
  item.querySelector(".retarget-bas").innerHTML =
    `BAS with its own music ${r.bas_before === null || r.bas_before === undefined
      ? "<small>none (no sound)</small>" : `<b>${fmt(r.bas_before, 3)}</b>`}; ` +
    `on the new song as it is ` +
    `<b>${fmt(r.bas_before_new_song, 3)}</b> &rarr; after <b class="after">${fmt(r.bas_after, 3)}</b>` +
    (r.worse ? ' <span class="flag">worse</span>' : "");
  item.querySelector(".retarget-more").textContent =
    `${shortName(r.out)}: ${fmt(r.duration_s, 1)} s` +
    `${r.end === "stop" ? " (stopped where the dance ends)" : ""}` +
    `${r.song_start_s ? `, the song from ${fmt(r.song_start_s, 1)} s` : ""}; mean offset to the music ` +
    `${fmt(r.offset_before_s, 3)} s \u2192 ${fmt(r.offset_after_s, 3)} s; ` +
    `speed ${fmt(r.min_speed)}x..${fmt(r.max_speed)}x`;
  const ul = item.querySelector("ul");
  for (const note of r.notes || []) {
    const li = document.createElement("li");
    li.textContent = note;
    if (r.worse && note.includes("lowered the fit")) li.className = "flag-note";
    ul.appendChild(li);
  }
  const list = $("retarget-results");
  list.insertBefore(item, list.firstChild);
}

async function init() {
  state.files = {};
  try {
    state.info = await api("/api/info");
  } catch (e) {
    showError(e.message);
    return;
  }
  for (const f of state.info.media) remember(f);
  for (const m of state.info.retarget_methods) {
    const o = document.createElement("option");
    o.value = m;
    o.textContent = m;
    if (m === "dtw") o.selected = true;
    $("method-select").appendChild(o);
  }
  $("limits").textContent = `Uploads up to ${state.info.max_upload_mb} MB. Dance accents: ` +
    `${accentWords(state.info.dance_method)}.`;
  $("skeleton-toggle").addEventListener("change", () => { state.skeletonKey = null; });

  $("upload-input").addEventListener("change", async (e) => {
    const files = Array.from(e.target.files);
    e.target.value = "";
    showError("");
    // every upload is analysed; the analyses queue on the server and run one after another
    await uploadAll(files, (f) => {
      $("media-select").value = f.id;
      analyse(f.id).catch((err) => showError(err.message));
    });
  });
  $("analyze-btn").onclick = () => {
    const id = $("media-select").value;
    if (id) analyse(id).catch((e) => showError(e.message));
  };
  $("fix-btn").onclick = async () => {
    const f = state.current, force = !!state.syncUnsure, info = $("fix-info");
    showError("");
    info.textContent = "";
    info.className = "";
    $("fix-download").hidden = true;
    try {
      const job = await runJob("/api/fix", { file: f.id, force },
                               jobTitle("fix the sync of", f.name, force ? " (anyway)" : ""));
      if (job.state !== "done") return;
      const r = job.result, a = $("fix-download");
      a.href = `/api/jobs/${job.id}/download`;
      a.hidden = false;
      let words = `audio moved by ${fmt(r.offset_s, 3)} s${r.forced ? " (a guess)" : ""}`;
      if (r.after) {
        const o = r.after.offset_s;
        words += `; measured again on the fixed copy: ${o >= 0 ? "+" : ""}${fmt(o, 3)} s` +
          (r.after.reliable ? "" : ` (cannot tell, confidence ${fmt(r.after.confidence, 2)})`);
      }
      info.textContent = words;
    } catch (e) {  // a refused fix: its one line next to the button
      info.textContent = e.message;
      info.className = "inline-error";
    }
  };
  $("song-input").addEventListener("change", async (e) => {
    const files = Array.from(e.target.files);
    e.target.value = "";
    showError("");
    const got = await uploadAll(files);
    if (got.length && got[0].has_audio) $("song-select").value = got[0].id;
  });
  $("retarget-btn").onclick = async () => {
    const f = state.current, music = $("song-select").value, method = $("method-select").value;
    const end = $("end-select").value, songStart = Number($("song-start").value || 0);
    showError("");
    try {
      const job = await runJob("/api/retarget",
                               { video: f.id, music, method, end, song_start: songStart },
                               jobTitle("retarget", f.name, ` (${method})`));
      if (job.state !== "done") return;
      showRetarget(job);
    } catch (e) { showError(e.message); }
  };
  $("retrieve-btn").onclick = async () => {
    const f = state.current, direction = $("direction-select").value;
    showError("");
    try {
      const job = await runJob("/api/retrieve", { file: f.id, direction },
                               jobTitle("search the index with", f.name));
      if (job.state !== "done") return;
      const body = $("retrieve-results").querySelector("tbody");
      body.innerHTML = "";
      job.result.results.forEach((h, i) => {
        const tr = document.createElement("tr");
        tr.innerHTML = `<td>${i + 1}</td><td>${fmt(h.score, 3)}</td><td>${esc(h.file)}</td>` +
          `<td>${fmt(h.start_s, 1)}</td>`;
        body.appendChild(tr);
      });
      $("retrieve-results").hidden = false;
    } catch (e) { showError(e.message); }
  };
  $("zoom-in").onclick = () => zoom(0.5);
  $("zoom-out").onclick = () => zoom(2);
  $("zoom-reset").onclick = () => {
    state.view = [0, Math.max(state.analysis.timeline.duration_s, 0.1)];
    drawTimeline();
  };
  bindTimeline($("timeline"));
  window.addEventListener("resize", () => drawTimeline());
  requestAnimationFrame(tick);
}

init();
