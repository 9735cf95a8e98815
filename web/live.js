// isactb live view: draws the frames of /events (docs/live-view.md, "Frame").
'use strict';

const $ = (id) => document.getElementById(id);
let frames = 0;

function text(id, v) { $(id).textContent = v; }

function fmt(v) {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function table(id, obj, badKeys) {
  const t = $(id);
  t.replaceChildren();
  if (!obj || typeof obj !== 'object') {
    const r = t.insertRow();
    r.insertCell().textContent = obj === null || obj === undefined ? 'none' : fmt(obj);
    return;
  }
  for (const [k, v] of Object.entries(obj)) {
    const r = t.insertRow();
    r.insertCell().textContent = k;
    const c = r.insertCell();
    c.textContent = fmt(v);
    if (badKeys && badKeys.includes(k) && v) c.className = 'bad';
  }
}

function axes(ctx, w, h, pad) {
  ctx.strokeStyle = '#888';
  ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
}

// gain in dB over -90..90 deg (a run's frame) or a calibration verify's measured patterns
function drawPattern(f) {
  const cv = $('pattern'), ctx = cv.getContext('2d'), w = cv.width, h = cv.height;
  const pad = { l: 40, r: 10, t: 10, b: 28 };
  ctx.clearRect(0, 0, w, h);
  axes(ctx, w, h, pad);
  const series = [];
  if (f.pattern) {
    const p = f.pattern;
    series.push({ x: p.gain_db.map((_, k) => p.angle_deg0 + k * p.step_deg), y: p.gain_db,
                  color: '#1f77b4' });
    text('pattern-note', f.beam >= 0 ? `codebook beam ${f.beam}` : 'plan (not a codebook beam)');
  } else if (f.calibration && f.calibration.result && f.calibration.result.pattern) {
    const p = f.calibration.result.pattern;
    const colors = { theory_db: '#999', uncalibrated_db: '#d62728', calibrated_db: '#2ca02c' };
    for (const k of Object.keys(colors))
      if (p[k] && p[k].length) series.push({ x: p.steer_deg, y: p[k], color: colors[k] });
    text('pattern-note', 'calibration verify: theory (grey), uncalibrated (red), calibrated (green)');
  }
  if (!series.length) return;
  let ymax = -Infinity;
  for (const s of series) for (const v of s.y) ymax = Math.max(ymax, v);
  const ymin = ymax - 40;
  const X = (a) => pad.l + (a + 90) / 180 * (w - pad.l - pad.r);
  const Y = (g) => pad.t + (ymax - Math.max(g, ymin)) / (ymax - ymin) * (h - pad.t - pad.b);
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  for (let a = -90; a <= 90; a += 30) ctx.fillText(`${a}°`, X(a) - 10, h - 10);
  for (let g = 0; g <= 40; g += 10) ctx.fillText(`${(ymax - g).toFixed(0)}`, 4, Y(ymax - g) + 4);
  ctx.fillText('dB', 4, h - 10);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.x.forEach((a, k) => (k ? ctx.lineTo(X(a), Y(s.y[k])) : ctx.moveTo(X(a), Y(s.y[k]))));
    ctx.stroke();
  }
}

// margin 10 log10(lambda / threshold): blue below, red above the threshold (0 dB)
function colour(m) {
  if (m === null) return '#ddd';
  const v = m / 10;
  if (v >= 0) {
    const t = Math.min(1, v / 10);
    return `rgb(${200 + 55 * t | 0},${Math.round(140 * (1 - t))},${Math.round(60 * (1 - t))})`;
  }
  const t = Math.min(1, -v / 20);
  return `rgb(${Math.round(200 * (1 - t) + 20)},${Math.round(220 * (1 - t) + 30)},${Math.round(255 - 100 * t)})`;
}

function drawMap(f) {
  const cv = $('map'), ctx = cv.getContext('2d'), w = cv.width, h = cv.height;
  const pad = { l: 40, r: 10, t: 10, b: 28 };
  ctx.clearRect(0, 0, w, h);
  const m = f.map;
  if (!m) return;
  const W = w - pad.l - pad.r, H = h - pad.t - pad.b;
  const cw = W / m.nx, ch = H / m.ny;
  let over = 0;
  for (let j = 0; j < m.ny; j++)
    for (let i = 0; i < m.nx; i++) {
      const v = m.margin_db_x10[j * m.nx + i];
      if (v !== null && v > 0) over++;
      ctx.fillStyle = colour(v);
      // y grows upwards
      ctx.fillRect(pad.l + i * cw, pad.t + (m.ny - 1 - j) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  axes(ctx, w, h, pad);
  const x1 = m.x0 + (m.nx - 0.5) * m.dx, y1 = m.y0 + (m.ny - 0.5) * m.dy;
  const X = (x) => pad.l + (x - (m.x0 - m.dx / 2)) / (x1 - (m.x0 - m.dx / 2)) * W;
  const Y = (y) => pad.t + H - (y - (m.y0 - m.dy / 2)) / (y1 - (m.y0 - m.dy / 2)) * H;
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  ctx.fillText(`x ${(m.x0 - m.dx / 2).toFixed(0)} .. ${x1.toFixed(0)} m`, pad.l, h - 10);
  ctx.fillText(`y ${(m.y0 - m.dy / 2).toFixed(0)}`, 2, pad.t + H);
  ctx.fillText(`${y1.toFixed(0)}`, 2, pad.t + 10);
  const d = f.detection;
  if (d && m.episode === f.episode && m.step === f.step) {
    ctx.strokeStyle = d.detected ? '#000' : '#666';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(X(d.x), Y(d.y), 7, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (f.focus && m.episode === f.episode && m.step === f.step) {
    ctx.strokeStyle = '#7b2cbf';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.arc(X(f.focus.x), Y(f.focus.y), f.focus.radius_m / (x1 - m.x0 + m.dx) * W, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  text('map-note', `episode ${m.episode} step ${m.step}, ${m.cells_x}x${m.cells_y} cells` +
       (m.block > 1 ? ` (max of ${m.block}x${m.block} blocks)` : '') +
       `, ${over} blocks over threshold, threshold ${m.threshold_min.toFixed(1)}..${m.threshold_max.toFixed(1)}`);
}

function drawPd(f) {
  const cv = $('pd'), ctx = cv.getContext('2d'), w = cv.width, h = cv.height;
  const pad = { l: 40, r: 10, t: 10, b: 24 };
  ctx.clearRect(0, 0, w, h);
  axes(ctx, w, h, pad);
  const pd = f.pd_per_step || [];
  const W = w - pad.l - pad.r, H = h - pad.t - pad.b, n = Math.max(pd.length, 1);
  ctx.fillStyle = '#2a9d8f';
  pd.forEach((p, k) => ctx.fillRect(pad.l + k * W / n, pad.t + H * (1 - p), Math.max(1, W / n - 1), H * p));
  if (typeof f.zeta === 'number') {
    ctx.strokeStyle = '#e76f51';
    ctx.beginPath();
    ctx.moveTo(pad.l, pad.t + H * (1 - f.zeta));
    ctx.lineTo(w - pad.r, pad.t + H * (1 - f.zeta));
    ctx.stroke();
  }
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  ctx.fillText('1', 25, pad.t + 8);
  ctx.fillText('0', 25, pad.t + H);
  text('pd-note', pd.length ? `${pd.length} steps, zeta ${fmt(f.zeta)}` : '');
}

function show(f) {
  frames++;
  text('frames', frames);
  text('kind', f.kind || '-');
  text('state', f.state || '-');
  text('policy', f.policy || '-');
  offerPolicies(f);
  text('episode', fmt(f.episode));
  text('step', fmt(f.step));
  text('cpi', fmt(f.cpi));
  text('beam', fmt(f.beam));
  const t = f.totals || {};
  text('det-total', fmt(t.detections));
  text('episodes-detected', fmt(t.episodes_detected));
  text('episodes', fmt(t.episodes));
  table('detection', f.detection);
  table('radio', f.radio, ['overflows', 'underflows', 'late_commands', 'dropped_samples', 'timeouts']);
  table('calibration', f.calibration, ['stale']);
  table('view', f.view, ['dropped']);
  if (Array.isArray(f.users))
    table('users', Object.fromEntries(f.users.map((u) => [`user ${u.id}`,
      `${fmt(u.sinr_db)} dB SINR` + (typeof u.model_sinr_db === 'number' ? ` (model ${fmt(u.model_sinr_db)} dB)` : '') +
      (typeof u.rsu === 'number' ? `, RSU ${u.rsu}` : '')])));
  if (Array.isArray(f.tracks))
    table('tracks', Object.fromEntries(f.tracks.map((k, i) => [`track ${k.id ?? i}`,
      `(${fmt(k.x)}, ${fmt(k.y)}) m` + (typeof k.vx === 'number' ? `, (${fmt(k.vx)}, ${fmt(k.vy)}) m/s` : '') +
      (k.confirmed === false ? ', tentative' : '')])));
  drawPattern(f);
  drawMap(f);
  if (f.pd_per_step) drawPd(f);
}

// The policies the command offers (run only): filled once from the first frame that lists them.
function offerPolicies(f) {
  const sel = $('policy-select');
  if (!Array.isArray(f.policies) || !f.policies.length || sel.options.length) return;
  for (const name of f.policies) {
    const o = document.createElement('option');
    o.value = o.textContent = name;
    sel.appendChild(o);
  }
  sel.value = f.policy;
  sel.disabled = $('policy-apply').disabled = false;
}

async function control(what) {
  const token = $('token').value.trim();
  try {
    const r = await fetch(`/api/${what}`, { method: 'POST', headers: { 'X-Isactb-Token': token } });
    text('control-result', `${what}: ${r.status} ${await r.text()}`);
  } catch (e) {
    text('control-result', `${what}: ${e}`);
  }
}

function start() {
  for (const b of ['pause', 'resume', 'stop']) $(b).addEventListener('click', () => control(b));
  $('policy-apply').addEventListener('click', () =>
    control(`policy?name=${encodeURIComponent($('policy-select').value)}`));
  const es = new EventSource('/events');
  es.addEventListener('frame', (e) => {
    const f = JSON.parse(e.data);
    show(f);
    // the command is over: its last frame stays on the page, no reconnection attempts
    if (['finished', 'stopped', 'failed'].includes(f.state)) es.close();
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) text('state', 'disconnected');
  });
}

start();
