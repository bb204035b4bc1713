// The runs page (`/`): the filter form (its values are the URL's query, the
// same parameters as GET /v1/runs), the flows with a sparkline of their recent
// durations, and the runs newest first; tick two runs and Compare opens
// /compare?a=OLDER&b=NEWER. New runs (GET /v1/stream) redraw the lists, and so
// does a timer while a listed run is still going.
'use strict';
(() => {
  const {el, getJson, fmtDur, fmtIso, badge, runHref, flowHref, compareHref, sparkline, coalesce,
         setRendered, crumbs, page, navigate} = window.extrace;

  const DEFAULT_LIMIT = '100';
  const OPEN_RUNS_POLL_MS = 5000;
  const FILTERS = [
    {name: 'flow', label: 'flow', hint: 'root node id'},
    {name: 'status', label: 'status', choices: ['completed', 'error', 'incomplete']},
    {name: 'since', label: 'since', hint: 'ISO 8601 or epoch ms'},
    {name: 'until', label: 'until', hint: 'ISO 8601 or epoch ms'},
    {name: 'node', label: 'node', hint: 'node id'},
    {name: 'state', label: 'node state',
     choices: ['pending', 'executing', 'completed', 'error', 'skipped']},
    {name: 'error', label: 'error text', hint: 'part of an error message'},
    {name: 'slowerThan', label: 'slower than (ms)', hint: 'ms', type: 'number'},
    {name: 'limit', label: 'limit', hint: DEFAULT_LIMIT, type: 'number'},
  ];

  function filterForm(query, flows) {
    const fields = FILTERS.map((f) => {
      const value = query.get(f.name) || '';
      const input = f.choices
          ? el('select', {name: f.name}, el('option', {value: ''}, 'any'),
               f.choices.map((c) => el('option', {value: c, selected: c === value}, c)))
          : el('input', {name: f.name, value, placeholder: f.hint, type: f.type || 'text',
                         min: f.type === 'number' ? '0' : null,
                         list: f.name === 'flow' ? 'flow-names' : null});
      return el('label', {}, el('span', {}, f.label), input);
    });
    const form = el('form', {class: 'filters', id: 'filters'}, fields,
                    el('datalist', {id: 'flow-names'}, flows.map((f) => el('option', {value: f.flow}))),
                    el('button', {type: 'submit'}, 'Filter'),
                    el('a', {href: '/', class: 'button'}, 'Clear'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (String(v).trim()) next.set(k, String(v).trim());
      const text = next.toString();
      navigate(text ? `/?${text}` : '/');
    });
    return form;
  }

  function flowsTable(flows) {
    if (!flows.length) return el('p', {class: 'muted'}, 'No runs recorded yet.');
    const body = flows.map((f) => {
      const last = f.lastRun;
      return el('tr', {'data-flow': f.flow},
                el('td', {}, el('a', {href: flowHref(f.flow)}, f.flow)),
                el('td', {class: 'num'}, String(f.runs)),
                el('td', {class: 'num'}, String(f.completed)),
                el('td', {class: 'num'}, String(f.error)),
                el('td', {class: 'num'}, String(f.incomplete)),
                el('td', {}, last ? [badge(last.status), ' ',
                                     el('a', {href: runHref(last.executionId)}, fmtIso(last.startTime))]
                                  : '-'),
                el('td', {}, sparkline(f.recentDurationsMs || [], {
                  title: `recent durations of ${f.flow}, newest last`})));
    });
    return el('table', {class: 'data', id: 'flows'},
              el('thead', {}, el('tr', {}, ['Flow', 'Runs', 'Completed', 'Error', 'Incomplete',
                                            'Last run', 'Recent durations']
                                               .map((h, k) => el('th', {class: k && k < 5 ? 'num' : ''}, h)))),
              el('tbody', {}, body));
  }

  function runsTable(runs, picked, onPick) {
    const body = runs.map((r) => {
      const box = el('input', {type: 'checkbox', class: 'pick', 'data-id': r.executionId,
                               checked: picked.has(r.executionId),
                               title: 'pick two runs to compare'});
      box.addEventListener('change', () => onPick(r.executionId, box.checked));
      const flow = r.rootNodeId;
      return el('tr', {'data-id': r.executionId, class: picked.has(r.executionId) ? 'picked' : null},
                el('td', {}, box),
                el('td', {}, badge(r.status)),
                el('td', {class: 'id'}, el('a', {href: runHref(r.executionId)}, r.executionId)),
                el('td', {}, flow ? el('a', {href: flowHref(flow)}, flow) : '-'),
                el('td', {}, fmtIso(r.startTime)),
                el('td', {class: 'num'}, r.duration != null ? fmtDur(r.duration)
                                                            : el('span', {class: 'muted'}, 'open')),
                el('td', {class: 'num'}, String(r.eventCount)),
                el('td', {class: 'id'}, r.parentExecutionId
                                            ? el('a', {href: runHref(r.parentExecutionId)},
                                                 r.parentExecutionId)
                                            : ''));
    });
    return el('table', {class: 'data', id: 'runs'},
              el('thead', {}, el('tr', {}, ['', 'Status', 'Run', 'Flow', 'Started (UTC)', 'Duration',
                                            'Events', 'Parent run']
                                               .map((h, k) => el('th', {class: k === 5 || k === 6 ? 'num' : ''}, h)))),
              el('tbody', {}, body));
  }

  page(/^\/$/, async (app) => {
    const query = new URLSearchParams(location.search);
    crumbs();
    document.title = 'extrace: runs';
    const api = new URLSearchParams();
    for (const f of FILTERS) if (query.get(f.name)) api.set(f.name, query.get(f.name));
    if (!api.has('limit')) api.set('limit', DEFAULT_LIMIT);

    const picked = new Set();
    const compare = el('button', {id: 'compare', type: 'button', disabled: true}, 'Compare');
    const pickedNote = el('span', {class: 'muted'}, 'tick two runs to compare them');
    compare.addEventListener('click', () => {
      const [a, b] = [...picked].map((id) => lastRuns.find((r) => r.executionId === id))
                         .sort((x, y) => (x.startTime || 0) - (y.startTime || 0));
      location.href = compareHref(a.executionId, b.executionId);
    });
    const onPick = (id, on) => {
      if (on) picked.add(id); else picked.delete(id);
      compare.disabled = picked.size !== 2;
      pickedNote.textContent = picked.size === 2 ? 'A: the older, B: the newer'
                                                 : `${picked.size} picked: tick two runs to compare them`;
      for (const tr of app.querySelectorAll('#runs tbody tr'))
        tr.classList.toggle('picked', picked.has(tr.dataset.id));
    };

    const formBox = el('div');
    const flowsBox = el('div');
    const runsBox = el('div');
    const heading = el('h2', {}, 'Runs');
    app.append(formBox, el('h2', {}, 'Flows'), flowsBox, heading,
               el('div', {class: 'toolbar'}, compare, pickedNote), runsBox);

    let lastRuns = [];
    let loads = 0;
    let pollTimer = 0;
    let closed = false;
    async function load() {
      const [runs, flows] = await Promise.all([getJson(`/v1/runs?${api}`), getJson('/v1/flows')]);
      if (closed) return;
      lastRuns = runs;
      for (const id of [...picked]) if (!runs.some((r) => r.executionId === id)) onPick(id, false);
      if (!formBox.firstChild) formBox.append(filterForm(query, flows.flows));
      const shownFlows = query.get('flow') ? flows.flows.filter((f) => f.flow === query.get('flow'))
                                           : flows.flows;
      flowsBox.replaceChildren(flowsTable(shownFlows));
      heading.textContent = `Runs, newest first (${runs.length}${
          runs.length === +api.get('limit') ? ', limit reached' : ''})`;
      runsBox.replaceChildren(runs.length ? runsTable(runs, picked, onPick)
                                          : el('p', {class: 'muted'}, 'No run matches.'));
      setRendered({page: 'runs', runs: runs.length, flows: shownFlows.length, loads: ++loads});
      clearTimeout(pollTimer);
      if (runs.some((r) => r.status === 'incomplete')) pollTimer = setTimeout(refresh, OPEN_RUNS_POLL_MS);
    }
    const refresh = coalesce(() => load().catch(() => {}), 300);
    await load();

    const stream = new EventSource(`/v1/stream${query.get('flow') ? `?${new URLSearchParams({flow: query.get('flow')})}` : ''}`);
    stream.addEventListener('run', refresh);
    return () => {
      closed = true;
      clearTimeout(pollTimer);
      stream.close();
    };
  });
})();
