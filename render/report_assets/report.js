// extrace HTML report: draws a report's data blob (render/report_json.h) into
// a container. `extrace report`'s self-contained page (render/html_report.cc,
// which embeds this file) has the blob in <script id="extrace-data"> and is
// drawn into #app at load; `extrace serve`'s pages (server/web_assets/) call
// window.extraceReport.render(container, data) and update the view with new
// data of a run that is still going. The Gantt is one canvas that draws only
// the rows in view, so a run of 10,000 nodes costs as much per frame as one of
// 20. Plain JS, no libraries, no network.
'use strict';

// ---------- formatting (serve's pages use it too: window.extraceReport.format) ----------
const extraceReportFormat = (() => {
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  function fmtDur(ms) {
    if (ms == null) return '-';
    const a = Math.abs(ms);
    const sign = ms < 0 ? '-' : '';
    if (a === 0) return '0';
    if (a < 1) return `${sign}${Math.round(a * 1000)} us`;
    if (a < 1000) return `${sign}${+a.toPrecision(4)} ms`;
    if (a < 60000) return `${sign}${+(a / 1000).toPrecision(4)} s`;
    const min = Math.floor(a / 60000);
    return `${sign}${min} min ${+((a - min * 60000) / 1000).toFixed(1)} s`;
  }
  const fmtAt = (ms) => (ms == null ? '-' : `+${fmtDur(ms)}`);
  const fmtSigned = (ms) => (ms == null ? '-' : (ms > 0 ? '+' : '') + fmtDur(ms));
  const fmtPct = (share) => (share == null ? '-' : `${(100 * share).toFixed(1)}%`);
  const fmtIso = (ms) => (ms == null ? '-' : new Date(ms).toISOString().replace('T', ' '));
  function fmtRatio(r) {
    if (r == null) return '-';
    if (r < 0.995) return `${r.toFixed(2)}x`;
    return r < 9.95 ? `${r.toFixed(1)}x` : `${r.toFixed(0)}x`;
  }
  return {esc, fmtDur, fmtAt, fmtSigned, fmtPct, fmtIso, fmtRatio};
})();

// One drawing of `DATA` into `app`. `keep`: what the user had set in the view
// this one replaces (collapsed groups, selection, zoom, scroll), else null.
// Returns {state(), destroy()}.
function extraceReportView(app, DATA, keep) {
  const started = performance.now();
  const COMPARE = DATA.mode === 'compare';
  const RUNS = DATA.runs;

  const ROW_H = 22;
  const AXIS_H = 26;
  const LABEL_W = 340;
  const DELTA_W = COMPARE ? 90 : 0;
  const PAD_R = 14;
  const INDENT = 14;
  const TABLE_ROWS = 50;
  const STATE_COLOR = {
    completed: '#2f9e44',
    error: '#e03131',
    skipped: '#adb5bd',
    executing: '#1c7ed6',
    pending: '#ced4da',
  };
  const RUN_COLOR = ['#1c7ed6', '#ae3ec9'];  // progress curves of A and B
  const ACCENT = '#e8590c';

  const {esc, fmtDur, fmtAt, fmtSigned, fmtPct, fmtIso, fmtRatio} = extraceReportFormat;
  const label = (r) => (r.name && r.name !== r.path ? r.name : r.path);

  // ---------- the model: one row per node (in compare mode, per path of A or B) ----------
  const rows = COMPARE ? mergeRows(RUNS[0].rows, RUNS[1].rows) : RUNS[0].rows.map(
      (r) => ({path: r.path, name: r.name, depth: r.depth, group: r.group, side: [r, null]}));
  assignParents(rows);
  const byPath = new Map(rows.map((r, i) => [r.path, i]));
  const horizon = Math.max(1e-3, ...RUNS.map(runEnd));
  const collapsed = new Uint8Array(rows.length);
  let visible = [];
  let view = {from: 0, to: horizon};
  let selected = -1;
  let hover = -1;
  let highlightCritical = true;

  // B's rows that A lacks go right after the row of B that precedes them.
  function mergeRows(a, b) {
    const merged = a.map((r) => ({path: r.path, name: r.name, depth: r.depth, group: r.group,
                                  side: [r, null]}));
    const at = new Map(merged.map((r, i) => [r.path, i]));
    const inserts = new Map();
    let anchor = -1;
    for (const r of b) {
      const i = at.get(r.path);
      if (i !== undefined) {
        merged[i].side[1] = r;
        merged[i].name = r.name || merged[i].name;
        merged[i].group = merged[i].group || r.group;
        anchor = i;
        continue;
      }
      if (!inserts.has(anchor)) inserts.set(anchor, []);
      inserts.get(anchor).push({path: r.path, name: r.name, depth: r.depth, group: r.group,
                                side: [null, r]});
    }
    const out = [...(inserts.get(-1) || [])];
    merged.forEach((r, i) => {
      out.push(r);
      out.push(...(inserts.get(i) || []));
    });
    return out;
  }

  function assignParents(list) {
    const stack = [];
    for (let i = 0; i < list.length; ++i) {
      const r = list[i];
      while (stack.length && list[stack[stack.length - 1]].depth >= r.depth) stack.pop();
      r.parent = stack.length ? stack[stack.length - 1] : -1;
      r.hasChildren = false;
      if (r.parent >= 0) list[r.parent].hasChildren = true;
      stack.push(i);
    }
  }

  function runEnd(run) {
    let end = run.horizon || 0;
    for (const r of run.rows) end = Math.max(end, r.end || 0, r.start || 0);
    return end;
  }

  function computeVisible() {
    visible = [];
    for (let i = 0; i < rows.length; ++i) {
      visible.push(i);
      if (collapsed[i]) {
        const d = rows[i].depth;
        while (i + 1 < rows.length && rows[i + 1].depth > d) ++i;
      }
    }
  }

  // ---------- page skeleton ----------
  app.innerHTML = '';
  const el = (tag, attrs = {}, html = '') => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (html) e.innerHTML = html;
    return e;
  };
  app.append(...header());
  app.append(el('h2', {}, COMPARE ? 'Timeline: A and B from their starts' : 'Timeline'));
  const toolbar = el('div', {class: 'toolbar'});
  toolbar.innerHTML =
      '<button id="fit" title="Show the whole run">Fit</button>' +
      '<button id="expand">Expand all</button><button id="collapse">Collapse groups</button>' +
      '<label><input type="checkbox" id="crit" checked> highlight critical path</label>' +
      `<span class="legend">${legend()}</span>` +
      '<span class="muted">click: details &middot; double-click a bar: zoom to it &middot; ' +
      'ctrl + wheel: zoom &middot; shift + wheel: pan</span>';
  app.append(toolbar);
  const gantt = el('div', {class: 'gantt', id: 'gantt'});
  const canvas = el('canvas', {id: 'gantt-canvas'});
  const scroller = el('div', {class: 'scroller'});
  const spacer = el('div', {class: 'spacer'});
  scroller.append(spacer);
  gantt.append(canvas, scroller);
  app.append(gantt);

  app.append(el('h2', {}, 'Progress'));
  const chartBox = el('div', {class: 'chart'});
  const chart = el('canvas', {id: 'progress-canvas'});
  chartBox.append(chart);
  const details = el('div', {class: 'details', id: 'details'},
                     '<span class="muted">Click a node in the timeline or a table for its ' +
                         'progress curve, times and events.</span>');
  app.append(chartBox, details);
  app.append(...(COMPARE ? compareTables() : bottleneckTables()));
  const tooltip = el('div', {class: 'tooltip', id: 'tooltip'});
  tooltip.hidden = true;
  document.body.append(tooltip);

  function statusBadge(status) { return `<span class="badge ${esc(status)}">${esc(status)}</span>`; }

  function runLine(run, tag) {
    const flow = run.rootNodeName || run.rootNodeId || '-';
    const duration = run.duration != null ? fmtDur(run.duration)
                                          : `${fmtDur(run.horizon)} until the log stops (no end)`;
    return `<div class="summary">${tag ? `<b>${tag}</b>` : ''}<span>${statusBadge(run.status)}` +
           ` flow <b>${esc(flow)}</b></span><span class="muted">${esc(run.executionId)}</span>` +
           `<span>started ${esc(fmtIso(run.startTime))} UTC</span><span>duration <b>${
               esc(duration)}</b></span><span>${run.eventCount} events</span><span>${
               run.rows.length} nodes</span><span>progress ${run.progress}%</span>` +
           (run.parentExecutionId ? `<span class="muted">child run of ${
                                        esc(run.parentExecutionId)}</span>`
                                  : '') +
           '</div>';
  }

  function header() {
    const out = [el('h1', {}, esc(DATA.title))];
    if (COMPARE) {
      out.push(el('div', {class: 'headline'}, esc(compareHeadline())));
      out.push(el('div', {}, runLine(RUNS[0], 'A') + runLine(RUNS[1], 'B')));
    } else {
      const run = RUNS[0];
      out.push(el('div', {}, runLine(run, '')));
      const path = run.criticalPath.map((i) => run.rows[i]).filter((r) => r.depth === 0);
      if (path.length) {
        const names = path.slice(0, 14).map((r) => `<span class="crit">${esc(label(r))}</span>`);
        out.push(el('div', {class: 'critical-line'},
                    `critical path: ${names.join(' &rarr; ')}${path.length > 14 ? ' &hellip;' : ''}` +
                        ` <span class="muted">(top level; highlighted below)</span>`));
      }
    }
    const diagnostics = RUNS.flatMap((r, k) => r.diagnostics.map(
        (d) => (COMPARE ? `${'AB'[k]}: ` : '') + d));
    if (diagnostics.length) {
      const d = el('details', {class: 'diagnostics'});
      d.innerHTML = `<summary>${diagnostics.length} diagnostics of the log</summary><ul>${
          diagnostics.slice(0, 200).map((t) => `<li>${esc(t)}</li>`).join('')}</ul>`;
      out.push(d);
    }
    return out;
  }

  function compareHeadline() {
    const c = DATA.comparison;
    let text;
    if (c.delta != null) {
      const pct = c.durationA > 0 ? ` (${c.delta >= 0 ? '+' : ''}${
                                        Math.round((100 * c.delta) / c.durationA)}%)`
                                  : '';
      text = c.delta > 0   ? `B took ${fmtDur(c.delta)} longer than A${pct}.`
             : c.delta < 0 ? `B took ${fmtDur(-c.delta)} less than A${pct}.`
                           : 'B took exactly as long as A.';
    } else {
      text = 'Not both runs have ended: no run durations to compare.';
    }
    const biggest = c.nodes.find((n) => n.delta != null && n.delta !== 0);
    if (biggest) {
      text += ` Biggest change: node '${biggest.path}' ${fmtSigned(biggest.delta)}` +
              (biggest.ratio != null ? ` (${fmtRatio(biggest.ratio)}).` : '.');
    }
    if (!c.sameFlow) text += ' The runs are of different flows.';
    return text;
  }

  function legend() {
    const items = [['completed', 'completed'], ['error', 'error'], ['skipped', 'skipped'],
                   ['executing', 'open (no end yet)']];
    let html = items.map(([s, t]) => `<span><i class="${s}"></i>${t}</span>`).join('');
    html += '<span><i class="crit-swatch"></i>critical path</span>';
    if (COMPARE) html += '<span>upper bar: A, lower bar: B (lighter)</span>';
    return html;
  }

  // ---------- tables ----------
  function table(id, head, nums, bodyRows, onPick) {
    const wrap = el('div');
    const t = el('table', {class: 'data', id});
    t.innerHTML = `<thead><tr>${head.map((h, k) => `<th class="${nums[k] ? 'num' : ''}">${h}</th>`)
                                    .join('')}</tr></thead>`;
    const body = el('tbody');
    t.append(body);
    wrap.append(t);
    const fill = (n) => {
      body.innerHTML = bodyRows.slice(0, n).map((r) => r.html).join('');
      for (const bar of body.querySelectorAll('[data-width]')) bar.style.width = `${bar.dataset.width}px`;
      [...body.children].forEach((tr, k) => tr.addEventListener('click', () => onPick(bodyRows[k])));
    };
    fill(TABLE_ROWS);
    if (bodyRows.length > TABLE_ROWS) {
      const more = el('button', {class: 'more'}, `Show all ${bodyRows.length} rows`);
      more.addEventListener('click', () => {
        fill(bodyRows.length);
        more.remove();
      });
      wrap.append(more);
    }
    return wrap;
  }

  function td(text, cls = '') { return `<td class="${cls}">${text}</td>`; }

  function bottleneckTables() {
    const run = RUNS[0];
    const maxShare = Math.max(1e-9, ...run.rows.map((r) => r.share || 0));
    const body = run.bottleneckOrder.map((i) => {
      const r = run.rows[i];
      const name = `${'&nbsp;'.repeat(2 * r.depth)}${esc(label(r))}` +
                   (r.name && r.name !== r.path ? ` <span class="muted">(${esc(r.path)})</span>` : '');
      // Its width is set by fill(): a style attribute would break a page's CSP.
      const bar = r.share ? `<span class="share" data-width="${
                                Math.max(1, Math.round((60 * r.share) / maxShare))}"></span>`
                          : '';
      return {
        row: byPath.get(r.path),
        html: `<tr class="${r.crit ? 'crit' : ''}" data-path="${esc(r.path)}">${td(name, 'name')}${
            td(r.group ? 'group' : 'leaf')}${td(esc(r.state))}${
            td(fmtDur(r.total) + (r.open ? ' (open)' : ''), 'num')}${td(fmtDur(r.self), 'num')}${
            td(fmtPct(r.share) + bar, 'num')}${td(fmtDur(r.slack), 'num')}${
            td(r.crit ? '&#9733;' : '')}</tr>`,
      };
    });
    const out = [el('h2', {}, `Bottlenecks <span class="muted">(run ${
                                  fmtDur(run.runDuration)}, covered by top-level nodes ${
                                  fmtDur(run.covered)}, outside them ${fmtDur(run.runSelf)})</span>`),
                 table('bottlenecks', ['Node', 'Kind', 'State', 'Total', 'Self', 'Share', 'Slack',
                                       'Critical'],
                       [0, 0, 0, 1, 1, 1, 1, 0], body, (b) => select(b.row, true))];
    if (run.stalls.length) {
      const stalls = run.stalls.map((s) => ({
        row: byPath.get(s.nodeId),
        html: `<tr>${td(esc(s.nodeId), 'name')}${td(fmtAt(s.start), 'num')}${
            td(fmtDur(s.gap), 'num')}${td(esc(s.between))}</tr>`,
      }));
      out.push(el('h2', {}, 'Longest stalls <span class="muted">(time between two events of ' +
                                'one node)</span>'),
               table('stalls', ['Node', 'From', 'Gap', 'Between'], [0, 1, 1, 0], stalls,
                     (s) => s.row !== undefined && select(s.row, true)));
    }
    return out;
  }

  function compareTables() {
    const body = DATA.comparison.nodes.map((n) => {
      const cls = n.delta > 0 ? 'slower' : n.delta < 0 ? 'faster' : '';
      const name = esc(n.name && n.name !== n.path ? n.name : n.path) +
                   (n.name && n.name !== n.path ? ` <span class="muted">(${esc(n.path)})</span>` : '');
      return {
        row: byPath.get(n.path),
        html: `<tr data-path="${esc(n.path)}">${td(name, 'name')}${td(n.group ? 'group' : 'leaf')}${
            td(fmtDur(n.a), 'num')}${td(fmtDur(n.b), 'num')}${td(fmtSigned(n.delta), `num ${cls}`)}${
            td(fmtRatio(n.ratio), 'num')}${td(esc(n.stateA || '-'))}${td(esc(n.stateB || '-'))}</tr>`,
      };
    });
    return [el('h2', {}, 'Changes, biggest first <span class="muted">(leaves, then groups)</span>'),
            table('deltas', ['Node', 'Kind', 'A', 'B', 'Delta', 'Ratio', 'State A', 'State B'],
                  [0, 0, 1, 1, 1, 1, 0, 0], body, (b) => b.row !== undefined && select(b.row, true))];
  }

  // ---------- the Gantt canvas ----------
  const ctx = canvas.getContext('2d');
  const chartCtx = chart.getContext('2d');
  let width = 0;
  let height = 0;
  const stripes = makeStripes();
  let lastDrawMs = 0;
  let barsDrawn = 0;  // in the last frame, and of those the open (striped) ones
  let openDrawn = 0;

  function makeStripes() {
    const c = document.createElement('canvas');
    c.width = c.height = 8;
    const g = c.getContext('2d');
    g.fillStyle = STATE_COLOR.executing;
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = 'rgba(255,255,255,0.45)';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(-2, 10);
    g.lineTo(10, -2);
    g.stroke();
    return ctx.createPattern(c, 'repeat');
  }

  const barLeft = () => LABEL_W + 8;
  const barRight = () => width - DELTA_W - PAD_R;
  const tx = (t) => barLeft() + ((t - view.from) / (view.to - view.from)) * (barRight() - barLeft());
  const xt = (x) => view.from + ((x - barLeft()) / (barRight() - barLeft())) * (view.to - view.from);

  function layout() {
    const dpr = window.devicePixelRatio || 1;
    const wanted = AXIS_H + visible.length * ROW_H + 2;
    const cap = Math.max(300, Math.round(window.innerHeight * 0.62));
    height = Math.min(Math.max(wanted, 90), cap);
    gantt.style.height = `${height}px`;
    spacer.style.height = `${AXIS_H + visible.length * ROW_H}px`;
    width = scroller.clientWidth || gantt.clientWidth;
    for (const [c, h] of [[canvas, height], [chart, 190]]) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${h}px`;
      c.getContext('2d').setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    draw();
    drawChart();
  }

  const axisLabel = (t) => (Math.abs(t) < 1e-9 ? '0' : `+${fmtDur(t)}`);

  function niceStep(span, pixels) {
    const raw = span / Math.max(1, pixels / 110);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function drawGrid(g, top, bottom) {
    const step = niceStep(view.to - view.from, barRight() - barLeft());
    g.strokeStyle = '#eef1f4';
    g.lineWidth = 1;
    g.beginPath();
    for (let t = Math.ceil(view.from / step) * step; t <= view.to + 1e-9; t += step) {
      const x = Math.round(tx(t)) + 0.5;
      g.moveTo(x, top);
      g.lineTo(x, bottom);
    }
    g.stroke();
    return step;
  }

  function fitText(g, text, max) {
    if (g.measureText(text).width <= max) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (g.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid; else hi = mid - 1;
    }
    return lo > 0 ? `${text.slice(0, lo)}…` : '';
  }

  function draw() {
    const t = performance.now();
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
    ctx.textBaseline = 'middle';
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_H));
    const last = Math.min(visible.length, Math.ceil((top + height - AXIS_H) / ROW_H) + 1);
    for (let k = first; k < last; ++k) {
      const y = AXIS_H + k * ROW_H - top;
      const i = visible[k];
      ctx.fillStyle = i === selected ? '#fff4e6' : i === hover ? '#eef5fd' : k % 2 ? '#fafbfc' : '#fff';
      ctx.fillRect(0, y, width, ROW_H);
    }
    drawGrid(ctx, AXIS_H, height);
    const drawn = [];
    let critDrawn = 0;
    barsDrawn = openDrawn = 0;
    for (let k = first; k < last; ++k) {
      const i = visible[k];
      const y = AXIS_H + k * ROW_H - top;
      drawLabel(rows[i], i, y);
      if (drawBars(rows[i], y)) ++critDrawn;
      drawn.push(rows[i].path);
    }
    ctx.strokeStyle = '#d8dee4';
    ctx.beginPath();
    ctx.moveTo(LABEL_W + 0.5, 0);
    ctx.lineTo(LABEL_W + 0.5, height);
    ctx.stroke();
    drawHorizonLines(ctx, AXIS_H, height);
    drawAxis();
    lastDrawMs = performance.now() - t;
    report(drawn, critDrawn);
  }

  // Where an incomplete run's log stops: open bars end there.
  function drawHorizonLines(g, top, bottom) {
    RUNS.forEach((run) => {
      if (run.duration != null) return;
      const x = Math.round(tx(run.horizon)) + 0.5;
      g.save();
      g.setLineDash([4, 3]);
      g.strokeStyle = STATE_COLOR.executing;
      g.beginPath();
      g.moveTo(x, top);
      g.lineTo(x, bottom);
      g.stroke();
      g.restore();
    });
  }

  function drawAxis() {
    ctx.fillStyle = '#f6f8fa';
    ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = '#d8dee4';
    ctx.beginPath();
    ctx.moveTo(0, AXIS_H - 0.5);
    ctx.lineTo(width, AXIS_H - 0.5);
    ctx.stroke();
    ctx.fillStyle = '#656d76';
    ctx.font = '600 12px system-ui, "DejaVu Sans", sans-serif';
    ctx.fillText(COMPARE ? 'node (A above, B below)' : 'node', 10, AXIS_H / 2);
    if (COMPARE) {
      ctx.textAlign = 'right';
      ctx.fillText('delta', width - PAD_R / 2, AXIS_H / 2);
      ctx.textAlign = 'left';
    }
    ctx.font = '11px system-ui, "DejaVu Sans", sans-serif';
    const step = niceStep(view.to - view.from, barRight() - barLeft());
    ctx.textAlign = 'center';
    for (let t = Math.ceil(view.from / step) * step; t <= view.to + 1e-9; t += step) {
      const x = tx(t);
      ctx.fillRect(Math.round(x), AXIS_H - 5, 1, 5);
      ctx.fillText(axisLabel(t), Math.min(Math.max(x, barLeft() + 24), width - 30), AXIS_H / 2 - 1);
    }
    ctx.textAlign = 'left';
  }

  function drawLabel(r, i, y) {
    const x = 8 + r.depth * INDENT;
    const mid = y + ROW_H / 2;
    const side = r.side[0] || r.side[1];
    if (highlightCritical && r.side.some((s) => s && s.crit)) {
      ctx.fillStyle = ACCENT;
      ctx.fillRect(0, y + 2, 3, ROW_H - 4);
    }
    if (r.hasChildren) {
      ctx.fillStyle = '#57606a';
      ctx.beginPath();
      if (collapsed[i]) {
        ctx.moveTo(x, mid - 5);
        ctx.lineTo(x + 7, mid);
        ctx.lineTo(x, mid + 5);
      } else {
        ctx.moveTo(x - 1, mid - 3);
        ctx.lineTo(x + 8, mid - 3);
        ctx.lineTo(x + 3.5, mid + 3);
      }
      ctx.fill();
    }
    ctx.fillStyle = STATE_COLOR[side.state] || STATE_COLOR.pending;
    ctx.beginPath();
    ctx.arc(x + 15, mid, 3.5, 0, 2 * Math.PI);
    ctx.fill();
    const child = r.side.some((s) => s && s.childRun);
    let text = (child ? '↳ ' : '') + (r.name || side.id);
    if (child) text += '  [child run]';
    ctx.fillStyle = '#1f2328';
    ctx.font = r.hasChildren ? '600 12px system-ui, "DejaVu Sans", sans-serif'
                             : '12px system-ui, "DejaVu Sans", sans-serif';
    ctx.fillText(fitText(ctx, text, LABEL_W - x - 26), x + 23, mid);
    ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
  }

  // Returns whether a bar on the critical path was drawn.
  function drawBars(r, y) {
    let crit = false;
    if (!COMPARE) {
      crit = drawBar(r.side[0], RUNS[0], y + 4, ROW_H - 8, 1, true);
    } else {
      const h = (ROW_H - 6) / 2;
      crit = drawBar(r.side[0], RUNS[0], y + 3, h, 1, false);
      crit = drawBar(r.side[1], RUNS[1], y + 3 + h + 1, h, 0.5, false) || crit;
      drawDelta(r, y);
    }
    return crit;
  }

  function drawDelta(r, y) {
    const [a, b] = r.side;
    const da = a && a.start != null && a.end != null ? a.end - a.start : null;
    const db = b && b.start != null && b.end != null ? b.end - b.start : null;
    let text = !a ? 'only in B' : !b ? 'only in A' : '-';
    let color = '#656d76';
    if (da != null && db != null) {
      text = fmtSigned(db - da);
      color = db > da ? STATE_COLOR.error : db < da ? STATE_COLOR.completed : color;
    }
    ctx.fillStyle = color;
    ctx.textAlign = 'right';
    ctx.fillText(text, width - PAD_R / 2, y + ROW_H / 2);
    ctx.textAlign = 'left';
  }

  function drawBar(s, run, y, h, alpha, withText) {
    if (!s) return false;
    const left = barLeft();
    const right = barRight();
    if (s.start == null) {
      if (s.end != null && s.state === 'skipped') {  // ended without running
        const x = tx(s.end);
        if (x >= left && x <= right) {
          ctx.fillStyle = STATE_COLOR.skipped;
          ctx.fillRect(x - 1, y, 2, h);
        }
      }
      return false;
    }
    const open = s.end == null;
    const end = open ? Math.max(run.horizon, s.start) : s.end;
    let x1 = tx(s.start);
    let x2 = Math.max(tx(end), x1 + 2);
    if (x2 < left || x1 > right) return false;
    x1 = Math.max(x1, left);
    x2 = Math.min(x2, right);
    ++barsDrawn;
    if (open) ++openDrawn;
    ctx.globalAlpha = alpha;
    const group = s.group || s.childRun;
    const by = group ? y + h * 0.2 : y;
    const bh = group ? h * 0.6 : h;
    ctx.fillStyle = open && s.state === 'executing' ? stripes : STATE_COLOR[s.state] || STATE_COLOR.pending;
    ctx.fillRect(x1, by, x2 - x1, bh);
    if (group) {  // a summary bar: caps at both ends
      ctx.fillRect(x1, y, 2, h);
      ctx.fillRect(x2 - 2, y, 2, h);
    }
    ctx.globalAlpha = 1;
    const crit = highlightCritical && s.crit;
    if (crit) {
      ctx.strokeStyle = ACCENT;
      ctx.lineWidth = 2;
      ctx.strokeRect(x1 - 1, y - 1, x2 - x1 + 2, h + 2);
      ctx.lineWidth = 1;
    }
    if (withText) {
      const text = open ? `${fmtDur(end - s.start)}+ (open)` : fmtDur(s.end - s.start);
      // Right of the bar, else left of it, else inside a leaf's bar.
      const w = ctx.measureText(text).width;
      ctx.fillStyle = '#57606a';
      if (x2 + 6 + w < right + PAD_R) ctx.fillText(text, x2 + 5, y + h / 2);
      else if (x1 - w - 6 > left) ctx.fillText(text, x1 - w - 5, y + h / 2);
      else if (!group && x2 - x1 > w + 10) {
        ctx.fillStyle = '#fff';
        ctx.fillText(text, x2 - w - 5, y + h / 2);
      }
    }
    return crit;
  }

  // What the browser test reads: the rows drawn in this frame and how long it took.
  const rendered = document.getElementById('rendered') || el('div');
  function report(drawn, critDrawn) {
    rendered.dataset.mode = DATA.mode;
    rendered.dataset.rows = rows.length;
    rendered.dataset.visibleRows = visible.length;
    rendered.dataset.drawn = drawn.length;
    rendered.dataset.critDrawn = critDrawn;
    rendered.dataset.bars = barsDrawn;
    rendered.dataset.openBars = openDrawn;
    rendered.dataset.status = RUNS.map((run) => run.status).join(' ');
    rendered.dataset.progress = RUNS.map((run) => run.progress).join(' ');
    rendered.dataset.renderMs = lastDrawMs.toFixed(2);
    rendered.textContent = drawn.join('\n');
  }

  // ---------- the progress chart ----------
  function nodeCurve(s, run) {
    if (!s || s.start == null) return [];
    const pts = [[s.start, 0]];
    for (const e of s.ev) if (e[2] != null) pts.push([e[0], e[2]]);
    if (s.state === 'completed' && pts[pts.length - 1][1] !== 100 && s.end != null) pts.push([s.end, 100]);
    const last = s.end != null ? s.end : run.horizon;
    pts.push([last, pts[pts.length - 1][1]]);
    return pts;
  }

  function drawChart() {
    const g = chartCtx;
    const H = 190;
    const top = 24;
    const bottom = H - 22;
    g.clearRect(0, 0, width, H);
    g.font = '11px system-ui, "DejaVu Sans", sans-serif';
    g.textBaseline = 'middle';
    const step = drawGrid(g, top, bottom);
    const ty = (p) => bottom - (p / 100) * (bottom - top);
    g.fillStyle = '#656d76';
    g.textAlign = 'right';
    for (const p of [0, 50, 100]) {
      g.fillText(`${p}%`, LABEL_W, ty(p));
      g.fillStyle = '#eef1f4';
      g.fillRect(barLeft(), Math.round(ty(p)), barRight() - barLeft(), 1);
      g.fillStyle = '#656d76';
    }
    g.textAlign = 'center';
    for (let t = Math.ceil(view.from / step) * step; t <= view.to + 1e-9; t += step) {
      g.fillText(axisLabel(t), Math.min(Math.max(tx(t), barLeft() + 24), width - 30), H - 10);
    }
    g.textAlign = 'left';
    const legendItems = [];
    g.save();
    g.beginPath();
    g.rect(barLeft(), 0, barRight() - barLeft() + 1, H);
    g.clip();
    RUNS.forEach((run, k) => {
      const pts = run.curve.slice();
      if (pts.length) pts.push([run.duration != null ? run.duration : run.horizon, pts[pts.length - 1][1]]);
      stepLine(g, pts, tx, ty, RUN_COLOR[k], 2, true);
      legendItems.push([RUN_COLOR[k], COMPARE ? `${'AB'[k]}: overall progress` : 'overall progress']);
    });
    if (selected >= 0) {
      rows[selected].side.forEach((s, k) => {
        if (!s) return;
        stepLine(g, nodeCurve(s, RUNS[k]), tx, ty, k ? '#f59f00' : ACCENT, 2, false);
        legendItems.push([k ? '#f59f00' : ACCENT, `${COMPARE ? `${'AB'[k]}: ` : ''}${label(rows[selected])}`]);
      });
    }
    g.restore();
    let lx = barLeft();
    for (const [color, text] of legendItems) {
      g.fillStyle = color;
      g.fillRect(lx, 8, 12, 3);
      g.fillStyle = '#1f2328';
      const shown = fitText(g, text, 260);
      g.fillText(shown, lx + 16, 10);
      lx += 16 + g.measureText(shown).width + 18;
    }
    g.fillStyle = '#656d76';
    g.fillText(selected >= 0 ? '' : 'click a node for its own progress', LABEL_W - 200, 10);
  }

  function stepLine(g, pts, fx, fy, color, lineWidth, fill) {
    if (!pts.length) return;
    g.beginPath();
    g.moveTo(fx(pts[0][0]), fy(pts[0][1]));
    for (let i = 1; i < pts.length; ++i) {
      g.lineTo(fx(pts[i][0]), fy(pts[i - 1][1]));
      g.lineTo(fx(pts[i][0]), fy(pts[i][1]));
    }
    g.strokeStyle = color;
    g.lineWidth = lineWidth;
    g.stroke();
    if (fill) {
      g.lineTo(fx(pts[pts.length - 1][0]), fy(0));
      g.lineTo(fx(pts[0][0]), fy(0));
      g.closePath();
      g.globalAlpha = 0.08;
      g.fillStyle = color;
      g.fill();
      g.globalAlpha = 1;
    }
    g.lineWidth = 1;
  }

  // ---------- details, tooltip ----------
  function eventLine(e) {
    let text = `${fmtAt(e[0]).padStart(11)}  ${e[1]}`;
    if (e[1] === 'progress' && e[2] != null) text += ` ${+e[2].toFixed(2)}%`;
    if (e[3]) text += `  ${e[3]}`;
    return text;
  }

  function sideFacts(s) {
    const facts = [['state', esc(s.state)], ['type', esc(s.type || '-')], ['start', fmtAt(s.start)],
                   ['end', s.end == null && s.start != null ? 'open (no end in the log)' : fmtAt(s.end)],
                   ['duration', fmtDur(s.start != null && s.end != null ? s.end - s.start : null)]];
    if (s.progress != null) facts.push(['progress', `${+s.progress.toFixed(2)}%`]);
    if (s.total !== undefined) {
      facts.push(['total / self', `${fmtDur(s.total)} / ${fmtDur(s.self)}`],
                 ['share of run', fmtPct(s.share)], ['slack', fmtDur(s.slack)]);
      if (s.crit) facts.push(['critical path', '<b>yes</b>']);
    }
    if (s.childRun) facts.push(['child run', esc(s.childRun)]);
    return facts;
  }

  function showDetails(i) {
    const r = rows[i];
    let html = `<h3>${esc(label(r))} <span class="muted">${esc(r.path)}</span></h3>`;
    r.side.forEach((s, k) => {
      if (!s) {
        if (COMPARE) html += `<p class="muted">not in ${'AB'[k]}</p>`;
        return;
      }
      html += '<div class="side">';
      if (COMPARE) html += `<b>${'AB'[k]}</b>`;
      html += `<dl>${sideFacts(s).map(([a, b]) => `<dt>${a}</dt><dd>${b}</dd>`).join('')}</dl>`;
      if (s.error) html += `<div class="err">${esc(s.error)}</div>`;
      html += `<div class="muted">${s.ev.length + (s.evOmitted || 0)} events</div><ul class="events">${
          s.ev.map((e, n) => `<li>${esc(eventLine(e))}</li>${
              s.evOmitted && n === s.ev.length / 2 - 1 ? `<li>… ${s.evOmitted} more …</li>` : ''}`)
              .join('')}</ul></div>`;
    });
    details.innerHTML = html;
  }

  function tooltipHtml(i) {
    const r = rows[i];
    let html = `<b>${esc(label(r))}</b> <span class="k">${esc(r.path)}</span>`;
    r.side.forEach((s, k) => {
      if (!s) {
        if (COMPARE) html += `<div class="k">not in ${'AB'[k]}</div>`;
        return;
      }
      html += '<div>' + (COMPARE ? `<b>${'AB'[k]}</b> ` : '') +
              sideFacts(s).map(([a, b]) => `<span class="k">${a}</span> ${b}`).join(' &middot; ') +
              '</div>';
      if (s.error) html += `<div class="err">${esc(s.error.slice(0, 400))}</div>`;
      const n = s.ev.length + (s.evOmitted || 0);
      const shown = s.ev.length <= 10 ? s.ev : [...s.ev.slice(0, 5), null, ...s.ev.slice(-5)];
      html += `<div class="ev">${n} events:\n${
          shown.map((e) => (e ? esc(eventLine(e)) : `   … ${n - 10} more`)).join('\n')}</div>`;
    });
    return html;
  }

  function placeTooltip(ev) {
    const pad = 14;
    const w = tooltip.offsetWidth;
    const h = tooltip.offsetHeight;
    let x = ev.clientX + pad;
    let y = ev.clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - pad);
    if (y + h > window.innerHeight - 4) y = Math.max(4, ev.clientY - h - pad);
    tooltip.style.left = `${x}px`;
    tooltip.style.top = `${y}px`;
  }

  // ---------- interaction ----------
  function rowAt(ev) {
    const rect = scroller.getBoundingClientRect();
    const y = ev.clientY - rect.top;
    if (y < AXIS_H) return {k: -1, x: ev.clientX - rect.left};
    const k = Math.floor((y + scroller.scrollTop - AXIS_H) / ROW_H);
    return {k: k >= 0 && k < visible.length ? k : -1, x: ev.clientX - rect.left};
  }

  // The row's span (both runs' in compare mode) with a margin on each side.
  function zoomTo(i) {
    let from = Infinity;
    let to = -Infinity;
    rows[i].side.forEach((s, k) => {
      if (!s || s.start == null) return;
      from = Math.min(from, s.start);
      to = Math.max(to, s.end != null ? s.end : RUNS[k].horizon);
    });
    if (!(to >= from)) return;
    const margin = Math.max((to - from) * 0.15, horizon * 1e-5);
    view = {from: Math.max(0, from - margin), to: Math.min(horizon, to + margin)};
    draw();
    drawChart();
  }

  function toggle(i) {
    collapsed[i] ^= 1;
    computeVisible();
    layout();
  }

  function select(i, reveal) {
    if (i === undefined || i < 0) return;
    selected = i;
    if (reveal) {
      for (let p = rows[i].parent; p >= 0; p = rows[p].parent) collapsed[p] = 0;
      computeVisible();
      layout();
      const k = visible.indexOf(i);
      scroller.scrollTop = Math.max(0, k * ROW_H - (height - AXIS_H) / 2);
      gantt.scrollIntoView({block: 'nearest'});
    }
    draw();
    drawChart();
    showDetails(i);
  }

  scroller.addEventListener('scroll', () => draw(), {passive: true});
  scroller.addEventListener('mousemove', (ev) => {
    const {k} = rowAt(ev);
    const i = k >= 0 ? visible[k] : -1;
    if (i !== hover) {
      hover = i;
      draw();
      if (i >= 0) tooltip.innerHTML = tooltipHtml(i);
    }
    tooltip.hidden = i < 0;
    if (i >= 0) placeTooltip(ev);
  });
  scroller.addEventListener('mouseleave', () => {
    hover = -1;
    tooltip.hidden = true;
    draw();
  });
  scroller.addEventListener('click', (ev) => {
    const {k, x} = rowAt(ev);
    if (k < 0) return;
    const i = visible[k];
    const tx0 = 8 + rows[i].depth * INDENT;
    if (rows[i].hasChildren && x >= tx0 - 4 && x <= tx0 + 11) toggle(i);
    else select(i, false);
  });
  scroller.addEventListener('dblclick', (ev) => {
    const {k, x} = rowAt(ev);
    if (k < 0) return;
    if (x >= LABEL_W) zoomTo(visible[k]);
    else if (rows[visible[k]].hasChildren) toggle(visible[k]);
  });
  scroller.addEventListener('wheel', (ev) => {
    if (!ev.ctrlKey && !ev.shiftKey) return;
    ev.preventDefault();
    const span = view.to - view.from;
    if (ev.ctrlKey) {
      const at = Math.min(Math.max(xt(rowAt(ev).x), view.from), view.to);
      const factor = Math.exp(Math.sign(ev.deltaY) * 0.2);
      const next = Math.min(horizon, Math.max(horizon / 1e6, span * factor));
      view = {from: at - ((at - view.from) / span) * next, to: 0};
      view.from = Math.min(Math.max(0, view.from), horizon - next);
      view.to = view.from + next;
    } else {
      const shift = (Math.sign(ev.deltaY || ev.deltaX) * span) / 10;
      view.from = Math.min(Math.max(0, view.from + shift), horizon - span);
      view.to = view.from + span;
    }
    draw();
    drawChart();
  }, {passive: false});
  toolbar.querySelector('#fit').addEventListener('click', () => {
    view = {from: 0, to: horizon};
    draw();
    drawChart();
  });
  toolbar.querySelector('#expand').addEventListener('click', () => {
    collapsed.fill(0);
    computeVisible();
    layout();
  });
  toolbar.querySelector('#collapse').addEventListener('click', () => {
    rows.forEach((r, i) => { collapsed[i] = r.hasChildren ? 1 : 0; });
    computeVisible();
    layout();
  });
  toolbar.querySelector('#crit').addEventListener('change', (ev) => {
    highlightCritical = ev.target.checked;
    draw();
  });
  window.addEventListener('resize', layout);

  if (keep) restore(keep);
  computeVisible();
  layout();
  if (keep) {
    scroller.scrollTop = keep.scrollTop;
    if (byPath.has(keep.selected)) select(byPath.get(keep.selected), false);
  }
  rendered.dataset.initMs = (performance.now() - started).toFixed(1);

  // What the user set, by path (rows may come and go between two data blobs);
  // a view that showed the whole run goes on showing all of it.
  function state() {
    return {
      collapsed: new Set(rows.filter((r, i) => collapsed[i]).map((r) => r.path)),
      selected: selected >= 0 ? rows[selected].path : null,
      view: view.from === 0 && view.to === horizon ? null : {...view},
      scrollTop: scroller.scrollTop,
      highlightCritical,
    };
  }

  function restore(was) {
    rows.forEach((r, i) => { collapsed[i] = was.collapsed.has(r.path) ? 1 : 0; });
    if (was.view) view = {from: Math.min(was.view.from, horizon), to: Math.min(was.view.to, horizon)};
    if (!(view.to > view.from)) view = {from: 0, to: horizon};
    highlightCritical = was.highlightCritical;
    toolbar.querySelector('#crit').checked = highlightCritical;
  }

  function destroy() {
    window.removeEventListener('resize', layout);
    tooltip.remove();
  }

  if (keep) return {state, destroy};

  // `report.html#node=PATH` opens with that node selected.
  if (location.hash.startsWith('#node=')) {
    const i = byPath.get(decodeURIComponent(location.hash.slice(6)));
    select(i, true);
    if (i !== undefined && rows[i].parent >= 0) zoomTo(rows[i].parent);
  }

  // `report.html#bench`: scrolls through every row once and records the
  // slowest frame (the browser test's check that 10,000 rows stay fast).
  if (location.hash === '#bench') {
    let worst = 0;
    const steps = 60;
    const range = Math.max(0, visible.length * ROW_H - (height - AXIS_H));
    for (let n = 0; n <= steps; ++n) {
      scroller.scrollTop = (range * n) / steps;
      draw();
      worst = Math.max(worst, lastDrawMs);
    }
    rendered.dataset.benchFrames = steps + 1;
    rendered.dataset.benchWorstMs = worst.toFixed(2);
    scroller.scrollTop = 0;
    draw();
  }
  return {state, destroy};
}

// The entry points. render(container, data) draws a report and returns a view
// whose update(data) draws newer data of the same run(s) in its place, keeping
// what the user set (and the page's scroll); destroy() empties the container.
window.extraceReport = {
  format: extraceReportFormat,
  render(container, data) {
    let current = extraceReportView(container, data, null);
    return {
      update(next) {
        const keep = current.state();
        const x = window.scrollX;
        const y = window.scrollY;
        current.destroy();
        current = extraceReportView(container, next, keep);
        window.scrollTo(x, y);
      },
      destroy() {
        current.destroy();
        container.innerHTML = '';
      },
    };
  },
};

// `extrace report`'s page: its data is in the page.
if (document.getElementById('extrace-data')) {
  extraceReportView(document.getElementById('app'),
                    JSON.parse(document.getElementById('extrace-data').textContent), null);
}
