// The run page (`/runs/ID`, ID also `latest` or a prefix) and the compare page
// (`/compare?a=&b=`): the HTML report's view (report.js) drawn from
// GET /v1/runs/ID/report or /v1/compare/report. A run that is still going
// follows its event stream (and those of its child runs): new events, at most
// every REFRESH_MS, fetch the report again and update the view in place;
// the stream's `end` makes the last update. #rendered says `data-live`:
// "open" while following, "ended" once the run has ended.
'use strict';
(() => {
  const {el, getJson, runHref, flowHref, compareHref, coalesce, setRendered, crumbs, page} =
      window.extrace;

  const REFRESH_MS = 200;

  function links(run) {
    const id = encodeURIComponent(run.executionId);
    return el('div', {class: 'links'},
              run.rootNodeId ? el('a', {href: flowHref(run.rootNodeId)}, 'flow history') : null,
              run.parentExecutionId ? el('a', {href: runHref(run.parentExecutionId)}, 'parent run')
                                    : null,
              el('a', {href: `/v1/runs/${id}`}, 'trace JSON'),
              el('a', {href: `/v1/runs/${id}/events`}, 'events (JSON Lines)'),
              el('a', {href: `/v1/runs/${id}/bottlenecks`}, 'bottlenecks JSON'));
  }

  // Follows a run's stream and those of the child runs it announces; calls
  // onChange for each batch of news and onEnd once the run itself ended.
  function follow(executionId, onChange, onEnd) {
    const streams = new Map();
    const open = (id, isRoot) => {
      if (streams.has(id)) return;
      const es = new EventSource(`/v1/runs/${encodeURIComponent(id)}/stream`);
      streams.set(id, es);
      es.onmessage = onChange;
      es.addEventListener('child-run', (ev) => {
        open(JSON.parse(ev.data).executionId, false);
        onChange();
      });
      es.addEventListener('end', () => {
        es.close();
        if (isRoot) onEnd();
        else onChange();
      });
      // Closed by the server without an `end` (a reconnect after the run ended
      // gets 204): the run is over as far as the stream can tell.
      es.onerror = () => {
        if (es.readyState !== EventSource.CLOSED) return;  // reconnecting
        if (isRoot) onEnd();
        else onChange();
      };
    };
    open(executionId, true);
    return () => { for (const es of streams.values()) es.close(); };
  }

  async function drawReport(app, url, live) {
    const box = el('div', {class: 'report'});
    let data = await getJson(url);
    const run = data.runs[0];
    if (data.mode === 'run') {
      crumbs(el('a', {href: flowHref(run.rootNodeId || '')}, run.rootNodeId || '-'),
             el('a', {href: runHref(run.executionId)}, run.executionId));
      document.title = `extrace: ${data.title}`;
      app.append(links(run));
    } else {
      crumbs(el('span', {}, 'compare'));
      document.title = `extrace: ${data.title}`;
    }
    app.append(box);
    const view = window.extraceReport.render(box, data);
    const ongoing = data.runs.some((r) => r.status === 'incomplete');
    setRendered({page: data.mode, live: ongoing && live ? 'open' : ongoing ? 'no' : 'ended',
                 refreshes: 0});
    if (!ongoing || !live) return null;

    let refreshes = 0;
    let stopped = false;
    let ended = false;
    // One fetch at a time; news during it make one more. The promise resolves
    // once the newest data asked for is drawn.
    let pending = null;
    let again = false;
    function refresh() {
      if (pending) {
        again = true;
        return pending;
      }
      pending = (async () => {
        try {
          do {
            again = false;
            data = await getJson(url);
            if (stopped) return;
            view.update(data);
            setRendered({refreshes: ++refreshes});
          } while (again);
        } catch (e) { /* reported in #errors; the next news tries again */ }
      })().finally(() => { pending = null; });
      return pending;
    }
    const soon = coalesce(refresh, REFRESH_MS);
    const stop = follow(run.executionId, soon, async () => {
      if (ended) return;
      ended = true;
      await refresh();
      stop();
      setRendered({live: 'ended'});
    });
    return () => {
      stopped = true;
      stop();
    };
  }

  page(/^\/runs\/([^/]+)$/, (app, [id]) =>
       drawReport(app, `/v1/runs/${encodeURIComponent(id)}/report`, true));

  page(/^\/compare$/, (app) => {
    const query = new URLSearchParams(location.search);
    const a = query.get('a');
    const b = query.get('b');
    if (!a || !b) {
      app.append(el('p', {}, 'Pick two runs on ', el('a', {href: '/'}, 'the runs page'),
                    ' to compare them.'));
      setRendered({page: 'compare-none'});
      return null;
    }
    app.append(el('div', {class: 'links'},
                  el('a', {href: runHref(a)}, 'run A'), el('a', {href: runHref(b)}, 'run B'),
                  el('a', {href: compareHref(b, a)}, 'swap A and B'),
                  el('a', {href: `/v1/compare?${new URLSearchParams({a, b})}`}, 'compare JSON')));
    return drawReport(app, `/v1/compare/report?${new URLSearchParams({a, b})}`, false);
  });
})();
