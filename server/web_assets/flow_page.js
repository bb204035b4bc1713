// The flow page (`/flows/FLOW[?last=N]`): the flow's history (GET
// /v1/flows/FLOW/history: its runs as a bar chart and a table, and each node's
// percentiles with a sparkline of its durations over those runs) and the
// latest run judged against its baseline (GET /v1/flows/FLOW/regressions).
'use strict';
(() => {
  const {el, getJson, fmtDur, fmtIso, badge, runHref, compareHref, sparkline, setRendered, crumbs,
         page, navigate} = window.extrace;

  const NS = 'http://www.w3.org/2000/svg';

  function svgEl(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  // One bar per run, oldest left, coloured by status; each bar links to its run.
  function durationChart(runs) {
    const slot = Math.min(40, 1200 / Math.max(1, runs.length));
    const width = Math.max(300, slot * runs.length);
    const height = 120;
    const svg = svgEl('svg', {class: 'runs-chart', width, height, viewBox: `0 0 ${width} ${height}`});
    const max = Math.max(1e-9, ...runs.map((r) => r.duration || 0));
    runs.forEach((r, i) => {
      const h = r.duration != null ? Math.max(2, (r.duration / max) * (height - 16)) : 4;
      const link = svgEl('a', {href: runHref(r.executionId)});
      const bar = svgEl('rect', {x: (i * slot + slot * 0.15).toFixed(1), y: (height - h).toFixed(1),
                                 width: Math.max(1, slot * 0.7).toFixed(1), height: h.toFixed(1),
                                 class: `bar ${r.status}`});
      const title = svgEl('title', {});
      title.textContent = `${r.executionId}\n${fmtIso(r.startTime)} UTC\n${r.status}, ${
          r.duration != null ? fmtDur(r.duration) : 'no end'}`;
      bar.append(title);
      link.append(bar);
      svg.append(link);
    });
    const label = svgEl('text', {x: 4, y: 11, class: 'label'});
    label.textContent = `max ${fmtDur(max)}`;
    svg.append(label);
    return svg;
  }

  function table(id, head, numeric, rows) {
    return el('table', {class: 'data', id},
              el('thead', {}, el('tr', {}, head.map((h, k) => el('th', {class: numeric[k] ? 'num' : ''}, h)))),
              el('tbody', {}, rows));
  }
  const td = (content, cls = '') => el('td', {class: cls}, content);

  function runsTable(runs) {
    const newestFirst = runs.map((r, i) => ({r, prev: runs[i - 1]})).reverse();
    return table('history-runs', ['Status', 'Run', 'Started (UTC)', 'Duration', ''],
                 [0, 0, 0, 1, 0],
                 newestFirst.map(({r, prev}) => el('tr', {'data-id': r.executionId},
                   td(badge(r.status)), td(el('a', {href: runHref(r.executionId)}, r.executionId), 'id'),
                   td(fmtIso(r.startTime)), td(fmtDur(r.duration), 'num'),
                   td(prev ? el('a', {href: compareHref(prev.executionId, r.executionId)},
                                'compare with the run before') : ''))));
  }

  function nodesTable(history) {
    const statuses = history.runs.map((r) => r.status);
    return table('history-nodes', ['Node', 'Kind', 'Runs', 'Failures', 'p50', 'p95', 'Max', 'Latest',
                                   'Latest rank', 'Durations (oldest first)'],
                 [0, 0, 1, 1, 1, 1, 1, 1, 1, 0],
                 history.nodes.map((n) => {
                   const name = el('td', {class: 'name'}, n.nodeName && n.nodeName !== n.nodeId
                                       ? [n.nodeName, ' ', el('span', {class: 'muted'}, `(${n.nodeId})`)]
                                       : n.nodeId);
                   name.style.paddingLeft = `${8 + 14 * n.depth}px`;
                   const slow = n.latestRank != null && n.latestRank >= 90;
                   return el('tr', {'data-node': n.nodeId},
                     name, td(n.group ? 'group' : 'leaf'), td(String(n.runs), 'num'),
                     td(String(n.failures), n.failures ? 'num slower' : 'num'), td(fmtDur(n.p50), 'num'),
                     td(fmtDur(n.p95), 'num'), td(fmtDur(n.max), 'num'),
                     td([fmtDur(n.latest), n.latestState && n.latestState !== 'completed'
                                               ? el('span', {class: 'muted'}, ` ${n.latestState}`) : ''],
                        'num'),
                     td(n.latestRank != null ? String(n.latestRank) : '-', slow ? 'num slower' : 'num'),
                     td(sparkline(n.durations, {width: 160, statuses,
                                                title: `${n.nodeId}: durations over the runs`})));
                 }));
  }

  const STATUS_TEXT = {
    'regressed': 'slower than its baseline',
    'ok': 'no node slower than its baseline',
    'not-enough-runs': 'not enough earlier completed runs to judge it',
  };

  function regressionsPart(doc) {
    const out = [el('h2', {}, 'Latest run against its baseline')];
    out.push(el('div', {class: 'summary', id: 'regression-status'},
                el('span', {class: `badge ${doc.status}`}, doc.status),
                doc.run ? el('span', {}, 'run ', el('a', {href: runHref(doc.run)}, doc.run), ' ',
                             badge(doc.runStatus))
                        : el('span', {class: 'muted'}, 'no run'),
                el('span', {}, STATUS_TEXT[doc.status] || ''),
                el('span', {class: 'muted'}, `basis ${doc.basis || '-'}, threshold ${doc.threshold}x, ${
                    (doc.baselineRuns || []).length} baseline runs, ${doc.judgedNodes} nodes judged`)));
    if (!doc.regressions.length) return out;
    out.push(table('regressions', ['Node', 'Kind', 'Baseline', 'Latest', 'Ratio', 'Added', 'Explains'],
                   [0, 0, 1, 1, 1, 1, 0],
                   doc.regressions.map((g) => el('tr', {'data-node': g.nodeId},
                     td(g.nodeName && g.nodeName !== g.nodeId ? `${g.nodeName} (${g.nodeId})` : g.nodeId,
                        'name'),
                     td(g.group ? 'group' : 'leaf'), td(fmtDur(g.baseline), 'num'),
                     td(fmtDur(g.latest), 'num slower'),
                     td(g.ratio != null ? `${g.ratio.toFixed(2)}x` : '-', 'num'),
                     td(g.added != null ? `+${fmtDur(g.added)}` : '-', 'num'),
                     td((g.explains || []).join(', '))))));
    return out;
  }

  page(/^\/flows\/([^/]+)$/, async (app, [flow]) => {
    const query = new URLSearchParams(location.search);
    const last = query.get('last') || '50';
    const enc = encodeURIComponent(flow);
    crumbs(el('a', {href: `/flows/${enc}`}, flow));
    document.title = `extrace: flow ${flow}`;
    const [history, regressions] = await Promise.all([
      getJson(`/v1/flows/${enc}/history?${new URLSearchParams({last})}`),
      getJson(`/v1/flows/${enc}/regressions`)]);

    const lastInput = el('input', {name: 'last', type: 'number', min: '1', value: last});
    const form = el('form', {class: 'filters'}, el('label', {}, el('span', {}, 'last runs'), lastInput),
                    el('button', {type: 'submit'}, 'Show'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      navigate(`/flows/${enc}?${new URLSearchParams({last: lastInput.value || '50'})}`);
    });
    const s = history.summary;
    app.append(
        el('h1', {}, `Flow ${flow}`),
        el('div', {class: 'links'}, el('a', {href: `/?${new URLSearchParams({flow})}`}, 'its runs'),
           el('a', {href: `/v1/flows/${enc}/history?${new URLSearchParams({last})}`}, 'history JSON'),
           el('a', {href: `/v1/flows/${enc}/regressions`}, 'regressions JSON')),
        form,
        el('div', {class: 'summary'}, el('span', {}, `${s.runs} runs`),
           el('span', {}, `${s.completed} completed`), el('span', {}, `${s.failed} failed`),
           el('span', {}, `${s.incomplete} incomplete`),
           el('span', {}, `p50 ${fmtDur(s.p50)}, p95 ${fmtDur(s.p95)}, max ${fmtDur(s.max)}`)),
        ...regressionsPart(regressions),
        el('h2', {}, `Durations of the last ${history.runs.length} runs `,
           el('span', {class: 'muted'}, '(oldest left; a bar opens its run)')),
        el('div', {class: 'chart-box'}, durationChart(history.runs)),
        el('h2', {}, 'Nodes ', el('span', {class: 'muted'},
                                   '(percentiles over the completed runs; latest rank 100: slowest)')),
        nodesTable(history),
        el('h2', {}, 'Runs, newest first'),
        runsTable(history.runs));
    setRendered({page: 'flow', runs: history.runs.length, nodes: history.nodes.length,
                 regressions: regressions.regressions.length, regressionStatus: regressions.status});
    return null;
  });
})();
