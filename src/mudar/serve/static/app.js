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

// An error next to the control that caused it (the top one is for uploads); "" hides it.
function inlineError(id, msg) {
  const e = $(id);
  if (!e) { showError(msg); return; }
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
      postJSON(`/api/jobs/${job.id}/cancel`, {}).catch((e) => {
        row.querySelector(".step").textContent = e.message;
      });
    row.dataset.seq = state.jobSeq = (state.jobSeq || 0) + 1;
    $("jobs").prepend(row);
  }
  row.className = "job " + job.state;
  row.querySelector("progress").value = job.progress;
  let step = job.state === "queued" && job.queue_position > 0
    ? `queued (${job.queue_position} before it)` : job.step;
  if (job.state === "error") step = job.error;
  row.querySelector(".step").textContent = step;
  row.querySelector(".cancel").hidden = !(job.state === "queued" || job.state === "running");
  foldJobs();
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
  inlineError("analyze-error", "");
  const job = await runJob("/api/analyze", { file: fileId }, jobTitle("analyse", f.name));
  if (job.state !== "done") return;
  job.result.job = job.id;  // the marker downloads ask the server for this analysis
  state.countFrom = 0;  // a new file: counted from its first beat
  $("count-from").value = "0";
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
    // "none of these": the dance is unlike every training dance; its scores say nothing
    $("genre").innerHTML = g.none_of_these
      ? `none of these <small>(closest: ${esc(g.closest)})</small>` : esc(g.label);
    const scores = Object.entries(g.scores).sort((a, b) => b[1] - a[1]);
    for (const [label, p] of scores) {
      const span = document.createElement("span");
      span.className = g.none_of_these ? "bar faint" : "bar";
      span.innerHTML = `<i style="width:${Math.round(p * 80)}px"></i>${esc(label)} ${fmt(p, 2)}`;
      $("genre-bars").appendChild(span);
    }
    const why = document.createElement("div");
    why.className = "hint";
    why.id = "genre-note";
    why.textContent = g.none_of_these
      ? `unlike the dances it knows (${g.genres.join(", ")}): distance ${fmt(g.distance, 2)} to `
        + `the nearest, past its level ${fmt(g.threshold, 2)}; the scores say nothing`
      : (g.note || "");
    $("genre-bars").appendChild(why);
  }
  showPoseNote(r.pose);
  showSyncTools(f, r);
  const v = $("video");
  v.src = `/api/files/${f.id}`;
  state.skeletonKey = null;
  state.view = [0, Math.max(t.duration_s, 0.1)];
  drawTimeline();
  showMarkers(r);
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
    drawCounts(plot, x);
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
    drawDancePoints(svg, plot, x, left, right);
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
  drawSyncStrip();  // the strip below shows the same stretch
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
  flashMarkers();
  metronomeTick();
  requestAnimationFrame(tick);
}

// ---- the jobs list: the running ones and the last few finished, older ones folded --------

const JOBS_SHOWN = 3;  // finished rows left in view

function foldJobs() {
  const box = $("jobs");
  let older = $("jobs-older");
  const rows = Array.from(box.querySelectorAll(".job"))
    .sort((a, b) => Number(b.dataset.seq || 0) - Number(a.dataset.seq || 0));  // newest first
  const shown = [], fold = [];
  let finished = 0;
  for (const row of rows) {
    const active = row.classList.contains("queued") || row.classList.contains("running");
    (active || finished++ < JOBS_SHOWN ? shown : fold).push(row);
  }
  if (fold.length && !older) {
    older = document.createElement("details");
    older.id = "jobs-older";
    older.appendChild(document.createElement("summary"));
    box.appendChild(older);
  }
  // rows are moved only where they are out of place (a poll must not disturb a click)
  shown.forEach((row, i) => {
    if (box.children[i] !== row) box.insertBefore(row, box.children[i] || null);
  });
  if (!older) return;
  if (!fold.length) { older.remove(); return; }
  fold.forEach((row, i) => {
    if (older.children[i + 1] !== row) older.insertBefore(row, older.children[i + 1] || null);
  });
  older.querySelector("summary").textContent =
    `${fold.length} earlier job${fold.length === 1 ? "" : "s"}`;
}

// ---- the music's 8-counts, the dance points by their evidence ----------------------------

// the count (1..8) of beat i, beat state.countFrom counted 1 (the ones before it carry on
// backwards: 7, 8, 1, ...), as report/markers.py counts for the downloads
function beatCount(i) {
  return (((i - (state.countFrom || 0)) % 8) + 8) % 8 + 1;
}

// the count above each beat of the music lane; where the beats are too close to read (zoomed
// out), only the 1s
function drawCounts(plot, x) {
  const m = state.analysis.timeline.music, [t0, t1] = state.view;
  const b = m.beat_times;
  const gap = b.length > 1 ? x(b[1]) - x(b[0]) : 100;
  b.forEach((t, i) => {
    if (t < t0 || t > t1) return;
    const c = beatCount(i);
    if (c !== 1 && gap < 12) return;
    const lab = el("text", { x: x(t), y: LANES.music[0] - 4, "text-anchor": "middle",
                             class: c === 1 ? "count one" : "count" }, plot);
    lab.textContent = c;
  });
}

// the rhythm points of the dance lane: a point whose strength barely rises above the curve
// around it (its prominence under weak_below) is drawn faintly, hollow; the strength is on
// its own 0..1 scale (not stretched), so a flat curve stays flat
function drawDancePoints(svg, plot, x, left, right) {
  const d = state.analysis.timeline.dance, [t0, t1] = state.view;
  const [top, bottom] = LANES.dance;
  d.rhythm_times.forEach((p, i) => {
    if (p < t0 || p > t1) return;
    const prom = d.prominence ? d.prominence[i] : null;
    const weak = prom !== null && prom < d.weak_below;
    const dot = el("circle", { cx: x(p), cy: top + 6, r: 4,
                               fill: weak ? "none" : "#b0306a", stroke: "#b0306a",
                               "stroke-width": weak ? 1.2 : 0, opacity: weak ? 0.4 : 1,
                               class: weak ? "dance-point weak" : "dance-point" }, plot);
    el("title", {}, dot).textContent = `${p.toFixed(2)} s` + (prom === null ? ""
      : weak ? `: weak evidence (the strength rises ${fmt(prom, 2)} there)`
             : `: the strength rises ${fmt(prom, 2)} there`);
    el("line", { x1: x(p), x2: x(p), y1: top + 6, y2: bottom, stroke: "#b0306a",
                 "stroke-opacity": weak ? 0.12 : 0.35 }, plot);
  });
  for (const [v, y] of [["1", top + 4], ["0", bottom]]) {
    const t = el("text", { x: left - 4, y, class: "lane-label", "text-anchor": "end" }, svg);
    t.textContent = v;
  }
  const c = state.analysis.timeline.curves.dance_strength;
  if (c && c.lo !== undefined) {  // the range the curve spans, under the lane's name
    const t = el("text", { x: 4, y: (top + bottom) / 2 + 14, class: "lane-label strength-range" },
                 svg);
    t.textContent = `${fmt(c.lo, 2)}\u2013${fmt(c.hi, 2)}`;
    el("title", {}, t).textContent = "the range of the dance rhythm strength, on its 0-1 scale";
  }
}

// ---- markers: flashes over the video, the metronome, the 8-count, the downloads ----------

const FLASH_S = 0.15;  // how long a marker stays lit after its time, seconds

function showMarkers(r) {
  const t = r.timeline, d = t.dance, m = t.music;
  const words = $("dance-method");
  if (!d) words.textContent = "";
  else {
    const weak = d.prominence ? d.prominence.filter((p) => p < d.weak_below).length : 0;
    words.innerHTML = `Dance rhythm: <b>${esc(d.accents || d.method)}</b> (${esc(d.method)}), ` +
      (d.uses_music ? `<span class="hears">found by a method that hears the music: it copies ` +
                      `the music's rate, so it cannot tell whether the dance is on the beat</span>`
                    : "found from the picture alone, without the music") +
      ". " + (!d.rhythm_times.length
        ? (d.dancer_found === false ? "No dancer found, so no rhythm points."
                                    : "No rhythm points found.")
        : `${weak} of ${d.rhythm_times.length} points are faint: weak evidence, where the ` +
          `strength rises less than ${d.weak_below} above the curve around it.`);
  }
  const sel = $("count-from");
  const from = (state.countFrom || 0) + 1;
  $("count-note").textContent = !m || !m.beat_times.length ? "no beats to count"
    : (from === 1 ? "counted from the first beat" : `counted from beat ${from}`) +
      ": the music's bars (its downbeats) are not detected, so pick the beat that is 1";
  sel.disabled = !m || !m.beat_times.length;
  markerLinks();
}

function markerLinks() {
  const r = state.analysis;
  for (const fmtName of ["csv", "json", "srt"]) {
    const a = $("markers-" + fmtName);
    a.hidden = !r || !r.job;
    if (r && r.job) {
      a.href = `/api/jobs/${r.job}/markers?format=${fmtName}&count_from=${(state.countFrom || 0) + 1}`;
    }
  }
}

// the index of the last time at or before t (-1 if none)
function lastAtOrBefore(times, t) {
  let lo = 0, hi = times.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

// a beat (with its count) and a dance accent light up over the video at their time
function flashMarkers() {
  const r = state.analysis, beat = $("flash-beat"), accent = $("flash-accent");
  const now = $("video").currentTime || 0;
  const b = r && r.timeline.music ? r.timeline.music.beat_times : [];
  const i = lastAtOrBefore(b, now);
  const onBeat = i >= 0 && now - b[i] < FLASH_S;
  beat.hidden = !onBeat;
  if (onBeat) beat.textContent = beatCount(i);
  const d = r && r.timeline.dance;
  const a = d ? d.rhythm_times : [];
  const j = lastAtOrBefore(a, now);
  const onAccent = j >= 0 && now - a[j] < FLASH_S;
  accent.hidden = !onAccent;
  accent.classList.toggle("weak", onAccent && !!d.prominence && d.prominence[j] < d.weak_below);
}

// a click on each beat while the video plays (Web Audio, scheduled a little ahead); the count
// 1 higher. Off by default; the checkbox's click is the gesture that lets the page make sound.
const metro = { ctx: null, next: null, last: null, clicks: [] };

function metronomeTick() {
  const v = $("video"), r = state.analysis;
  const b = r && r.timeline.music ? r.timeline.music.beat_times : [];
  if (!$("metronome-toggle").checked || !metro.ctx || v.paused || !b.length) {
    metro.next = null;
    return;
  }
  const now = v.currentTime;
  if (metro.next === null || now < metro.last - 0.05 || now > metro.last + 0.5) {
    metro.next = lastAtOrBefore(b, now - 1e-3) + 1;  // started, or sought: the next beat on
  }
  metro.last = now;
  const rate = v.playbackRate || 1;
  while (metro.next < b.length && b[metro.next] <= now + 0.1) {
    const wait = (b[metro.next] - now) / rate;
    if (wait > -0.03) click(metro.ctx.currentTime + Math.max(wait, 0), metro.next);
    metro.next++;
  }
}

// one click at audio time `when` for beat i (its count 1 higher)
function click(when, i) {
  const count = beatCount(i), ctx = metro.ctx, osc = ctx.createOscillator(), gain = ctx.createGain();
  osc.frequency.value = count === 1 ? 1760 : 1100;
  gain.gain.setValueAtTime(0.0001, when);
  gain.gain.exponentialRampToValueAtTime(0.5, when + 0.002);
  gain.gain.exponentialRampToValueAtTime(0.0001, when + 0.04);
  osc.connect(gain).connect(ctx.destination);
  osc.start(when);
  osc.stop(when + 0.05);
  metro.clicks.push({ beat: i, count, at: when, video: $("video").currentTime });
}

function bindMarkers() {
  const sel = $("count-from");
  for (let k = 1; k <= 8; k++) {
    const o = document.createElement("option");
    o.value = k - 1;
    o.textContent = k === 1 ? "1 (the first beat)" : String(k);
    sel.appendChild(o);
  }
  sel.addEventListener("change", () => {
    state.countFrom = Number(sel.value);
    if (state.analysis) { showMarkers(state.analysis); drawTimeline(); }
  });
  $("metronome-toggle").addEventListener("change", (e) => {
    if (!e.target.checked) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { e.target.checked = false; e.target.disabled = true; return; }
    if (!metro.ctx) metro.ctx = new Ctx();
    metro.ctx.resume();
    metro.next = null;
  });
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

// ---- the audio delay by hand: an offset slider, its strip, the fixed copies -------------

// The offset has the sign of `mudar sync`: positive, the sound is late, and the fix moves it
// earlier; a music event heard at t in the file is heard at t - offset in the fixed copy.
function signed(x) { return `${x >= 0 ? "+" : "\u2212"}${Math.abs(x).toFixed(3)}`; }

function showSyncTools(f, r) {
  const s = r.sync;
  $("sync-tools").hidden = !!s.error;  // a song, a silent video: nothing to move
  if (state.syncFile !== f.id) $("fix-results").replaceChildren();
  state.syncFile = f.id;
  $("offset-listen").checked = false;
  listenToOffset(false);
  if (s.error) return;
  const max = state.info.max_offset_s || 1;
  for (const id of ["offset-slider", "offset-value"]) { $(id).min = -max; $(id).max = max; }
  // the estimate where it can be trusted; else 0, the sound as recorded (no guess offered)
  state.syncGuess = s.offset_s;
  const est = $("offset-estimate");
  est.textContent = state.syncUnsure ? `the best guess (${signed(s.offset_s)} s)`
                                     : `the estimate (${signed(s.offset_s)} s)`;
  est.title = state.syncUnsure ? "the dance does not pin the delay down: a guess" : "";
  $("offset-info").textContent = "";
  $("offset-info").className = "";
  $("offset-audio").src = `/api/files/${f.id}`;
  setOffset(state.syncUnsure ? 0 : s.offset_s);
}

function setOffset(o) {
  const max = state.info.max_offset_s || 1;
  o = Math.min(Math.max(Math.round(Number(o) * 1000) / 1000, -max), max);
  if (!Number.isFinite(o)) return;
  state.offset = o;
  $("offset-slider").value = o;
  if (document.activeElement !== $("offset-value")) $("offset-value").value = o.toFixed(3);
  const ms = Math.round(Math.abs(o) * 1000);
  $("offset-words").textContent = `${signed(o)} s: ` + (ms === 0
    ? "the sound as it was recorded"
    : `the sound moves ${ms} ms ${o > 0 ? "earlier" : "later"}, for a sound ${ms} ms ` +
      (o > 0 ? "late" : "early"));
  drawSyncStrip();
  listenToOffset();
}

// the music's onsets and beats, moved by the offset, above the dance's accents below, over
// the timeline's stretch and at its scale (so zooming there zooms here)
function drawSyncStrip() {
  const box = $("offset-strip"), r = state.analysis;
  if (!r || !state.view || $("sync-tools").hidden || state.offset === undefined) return;
  const t = r.timeline, m = t.music, d = t.dance, o = state.offset;
  const width = Math.max(box.clientWidth, 300), left = 70, right = width - 10, H = 72, mid = 36;
  const [t0, t1] = state.view;
  const x = (s) => left + ((s - t0) / (t1 - t0)) * (right - left);
  const svg = el("svg", { viewBox: `0 0 ${width} ${H}`, id: "offset-strip-svg" });
  el("rect", { x: 0, y: 0, width, height: H, fill: "#fff" }, svg);
  const clip = el("clipPath", { id: "strip-clip" }, el("defs", {}, svg));
  el("rect", { x: left, y: 0, width: right - left, height: H }, clip);
  const plot = el("g", { "clip-path": "url(#strip-clip)" }, svg);
  el("line", { x1: left, x2: right, y1: mid, y2: mid, stroke: "#ccc" }, svg);
  el("text", { x: 4, y: 20, class: "lane-label" }, svg).textContent = "music";
  el("text", { x: 4, y: 58, class: "lane-label" }, svg).textContent = "dance";
  const inView = (s) => s >= t0 && s <= t1;
  for (const a of (d ? d.rhythm_times : [])) {  // a faint guide up through the music half
    if (!inView(a)) continue;
    el("line", { x1: x(a), x2: x(a), y1: 4, y2: mid, stroke: "#b0306a", "stroke-opacity": 0.25,
                 "stroke-dasharray": "2 2" }, plot);
    el("line", { x1: x(a), x2: x(a), y1: mid + 2, y2: H - 4, stroke: "#b0306a",
                 "stroke-width": 2, class: "strip-accent" }, plot);
  }
  if (m) {
    for (const on of m.onset_times) {
      if (inView(on - o)) el("line", { x1: x(on - o), x2: x(on - o), y1: 14, y2: mid - 2,
                                       stroke: "#2a6fb0", class: "strip-onset" }, plot);
    }
    for (const b of m.beat_times) {
      if (inView(b - o)) el("line", { x1: x(b - o), x2: x(b - o), y1: 4, y2: mid - 2,
                                      stroke: "#e07b00", "stroke-width": 2.5, class: "strip-beat" }, plot);
    }
  }
  box.replaceChildren(svg);
}

// "hear it": the sound of the file, moved by the offset, under the muted video. The two
// players are kept together by nudging the sound's rate (a seek stalls the sound for longer
// than the drift it would mend), to within some 30 ms; the fixed copy is the exact check.
function listenToOffset(on) {
  const v = $("video"), a = $("offset-audio");
  if (on === true) { state.videoMuted = v.muted; v.muted = true; }
  if (on === false) {  // the video's own sound back, as it was
    a.pause();
    if (state.videoMuted !== undefined) v.muted = state.videoMuted;
    state.videoMuted = undefined;
  }
  if (!$("offset-listen").checked) return;
  const target = v.currentTime + (state.offset || 0);
  const outside = target < 0 || (a.duration && target >= a.duration);
  if (v.paused || v.ended || outside) {
    if (!a.paused) a.pause();
    a.playbackRate = v.playbackRate;
    if (!outside && Math.abs(a.currentTime - target) > 0.001) a.currentTime = target;
    return;
  }
  const drift = a.currentTime - target;
  if (a.paused || Math.abs(drift) > 0.25) {
    a.currentTime = target;
    a.playbackRate = v.playbackRate;
    if (a.paused) a.play().catch(() => {});
    return;
  }
  a.playbackRate = v.playbackRate * (1 - Math.max(-0.25, Math.min(0.25, 3 * drift)));
}

// a fixed copy, played in place with its offset measured again, newest first; `from` (the
// line by a button that made it) gets a link down to it
function showFixed(job, from) {
  const r = job.result, url = `/api/jobs/${job.id}/download`, after = r.after;
  const item = document.createElement("div");
  item.className = "fix-item overview";
  item.innerHTML = `<div class="player"><video controls preload="metadata"></video></div>
    <div class="fix-text"><h3></h3><p class="fix-after"></p>
      <a class="fix-copy-download" download>Download the fixed video</a></div>`;
  item.querySelector("video").src = url;
  item.querySelector("a").href = url;
  const how = r.manual ? "your offset" : r.forced ? "a guess" : "the estimate";
  const h3 = item.querySelector("h3");
  h3.textContent = `${shortName(r.fixed, 50)}: the sound moved by ${signed(r.offset_s)} s (${how})`;
  h3.title = r.fixed;
  const p = item.querySelector(".fix-after");
  if (!after) {
    p.textContent = "not measured again";
  } else {
    p.textContent = `Measured again on the fixed copy: ${signed(after.offset_s)} s, ` +
      `confidence ${fmt(after.confidence, 2)}` + (after.reliable ? "" : " (cannot tell)");
    if (after.reliable && Math.abs(after.offset_s) >= 0.01) {  // what is left, to try
      const b = document.createElement("button");
      const next = r.offset_s + after.offset_s;
      b.className = "secondary try-rest";
      b.textContent = `try ${signed(next)} s`;
      b.title = "your offset plus what the fixed copy still measures";
      b.onclick = () => setOffset(next);
      p.append(" ", b);
    }
  }
  $("fix-results").prepend(item);
  if (from) {
    const a = document.createElement("a");
    a.className = "watch-fixed";
    a.textContent = "watch it";
    a.href = "#";
    a.onclick = (e) => { e.preventDefault(); item.scrollIntoView({ behavior: "smooth" }); };
    from.append(" ", a);
  }
}

async function fixWithOffset() {
  const f = state.current, offset = state.offset, info = $("offset-info");
  showError("");
  info.textContent = "";
  info.className = "";
  try {
    const job = await runJob("/api/fix", { file: f.id, offset },
                             jobTitle("fix the sync of", f.name, ` (${signed(offset)} s)`));
    if (job.state === "done") showFixed(job);
  } catch (e) {
    info.textContent = e.message;
    info.className = "inline-error";
  }
}

function bindSyncTools() {
  $("offset-slider").addEventListener("input", (e) => setOffset(e.target.value));
  $("offset-value").addEventListener("change", (e) => setOffset(e.target.value));
  $("offset-estimate").onclick = () => setOffset(state.syncGuess || 0);
  $("offset-fix-btn").onclick = () => fixWithOffset();
  $("offset-listen").addEventListener("change", (e) => listenToOffset(e.target.checked));
  for (const ev of ["play", "pause", "seeked", "ratechange", "timeupdate", "ended"]) {
    $("video").addEventListener(ev, () => listenToOffset());
  }
}

// ---- search results: a preview of each clip, its score in words, a retarget onto it -----

function showRetrieval(r, query, direction) {
  const n = r.results.length, lam = r.lambda;
  const about = $("retrieve-about");
  about.textContent = `Score = ${lam} \u00d7 embedding similarity + ${fmt(1 - lam, 1)} \u00d7 ` +
    "rhythm similarity. Embedding similarity: the cosine of the two learned embeddings, " +
    "the dance's and the music's (1 = the same, 0 = unrelated, \u22121 = opposite). Rhythm " +
    "similarity: the " +
    "correlation of the music's onsets with the dance's rhythm, allowing a shift of up to " +
    "2 frames (1 = in step, 0 = unrelated). Ranked best first; each clip is scored against " +
    "the part of your file it fits best." +
    (r.left_out.length ? ` Left out: the clips of ${r.left_out.join(", ")}, the file ` +
                         "searched with." : "");
  about.hidden = false;
  const body = $("retrieve-results").querySelector("tbody");
  body.replaceChildren();
  r.results.forEach((h, i) => body.appendChild(hitRow(h, i, n, lam, query, direction)));
  if (!n) {
    const tr = document.createElement("tr");
    tr.innerHTML = '<td colspan="5">no clip in the index besides this file\u2019s own</td>';
    body.appendChild(tr);
  }
  $("retrieve-results").className = direction;
  $("retrieve-results").hidden = false;
}

function hitRow(h, i, n, lam, query, direction) {
  const tr = document.createElement("tr");
  tr.className = "hit";
  tr.innerHTML = `<td class="rank"></td><td class="preview"></td><td class="clip"></td>
    <td class="score"></td><td class="act"></td>`;
  const cell = (c) => tr.querySelector("." + c);
  cell("rank").textContent = `${i + 1}`;
  cell("rank").title = `rank ${i + 1} of ${n}`;
  const end = h.start_s + h.duration_s;
  if (h.media) {
    const player = document.createElement(h.media.has_video ? "video" : "audio");
    player.controls = true;
    player.preload = "metadata";
    player.src = `/api/files/${h.media.id}#t=${h.start_s},${end}`;  // the clip itself
    cell("preview").appendChild(player);
  } else {
    cell("preview").innerHTML = '<span class="hint">the file is not on this computer now</span>';
  }
  const name = document.createElement("b");
  name.textContent = shortName(h.name, 40);
  name.title = h.file;
  cell("clip").append(name, document.createElement("br"),
    `${fmt(h.start_s, 1)}\u2013${fmt(end, 1)} s${h.label ? ", " + h.label : ""}; ` +
    `fits your file from ${fmt(h.query_start_s, 1)} s`);
  cell("score").innerHTML = `<b>${fmt(h.score, 3)}</b><br><small>= ${lam} \u00d7 ` +
    `${fmt(h.embedding_similarity, 3)} embeddings + ${fmt(1 - lam, 1)} \u00d7 ` +
    `${fmt(h.rhythm_similarity, 3)} rhythm</small>`;
  if (h.media) {
    const b = document.createElement("button");
    const toSong = direction === "dance2music";
    b.className = "retarget-onto";
    b.textContent = toSong ? "Retarget onto this" : "Retarget this dance onto the song";
    b.title = toSong ? `the dance of ${query.name} re-timed onto ${h.name} from ${fmt(h.start_s, 1)} s`
                     : `the dance of ${h.name} re-timed onto ${query.name}`;
    b.onclick = () => (toSong ? retargetOnto(b, query, h.media, h.start_s)
                              : retargetOnto(b, h.media, query, h.query_start_s));
    cell("act").appendChild(b);
  }
  return tr;
}

// the retarget of section 3 with its method and ending, on a pair from a search result
async function retargetOnto(button, video, music, songStart) {
  if (!state.files[music.id]) remember(music);
  if (!state.files[video.id]) remember(video);
  const method = $("method-select").value, end = $("end-select").value;
  if (video.id === (state.current && state.current.id)) {  // section 3 shows what runs
    $("song-select").value = music.id;
    $("song-start").value = songStart;
  }
  showError("");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "retargeting\u2026";
  try {
    const job = await runJob("/api/retarget",
                             { video: video.id, music: music.id, method, end, song_start: songStart },
                             jobTitle("retarget", video.name, ` onto ${shortName(music.name, 30)} (${method})`));
    if (job.state !== "done") return;
    showRetarget(job);
    button.textContent = "retargeted: see 3 above";
    $("retarget").scrollIntoView({ behavior: "smooth" });
  } catch (e) {
    showError(e.message);
    button.textContent = label;
  } finally {
    button.disabled = false;
  }
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
      analyse(f.id).catch((err) => inlineError("analyze-error", err.message));
    });
  });
  $("analyze-btn").onclick = () => {
    const id = $("media-select").value;
    if (id) analyse(id).catch((e) => inlineError("analyze-error", e.message));
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
      showFixed(job, info);
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
    inlineError("retarget-error", "");
    try {
      const job = await runJob("/api/retarget",
                               { video: f.id, music, method, end, song_start: songStart },
                               jobTitle("retarget", f.name, ` (${method})`));
      if (job.state !== "done") return;
      showRetarget(job);
    } catch (e) { inlineError("retarget-error", e.message); }
  };
  $("retrieve-btn").onclick = async () => {
    const f = state.current, direction = $("direction-select").value;
    inlineError("retrieve-error", "");
    try {
      const job = await runJob("/api/retrieve", { file: f.id, direction },
                               jobTitle("search the index with", f.name));
      if (job.state !== "done") return;
      showRetrieval(job.result, f, direction);
    } catch (e) { inlineError("retrieve-error", e.message); }
  };
  $("zoom-in").onclick = () => zoom(0.5);
  $("zoom-out").onclick = () => zoom(2);
  $("zoom-reset").onclick = () => {
    state.view = [0, Math.max(state.analysis.timeline.duration_s, 0.1)];
    drawTimeline();
  };
  bindMarkers();
  bindTimeline($("timeline"));
  bindSyncTools();
  window.addEventListener("resize", () => drawTimeline());
  requestAnimationFrame(tick);
}

init();
