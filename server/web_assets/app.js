// extrace serve's pages, the common part: collects script errors and failed
// requests into #errors, the helpers every page uses (fetching the JSON API,
// building elements, formatting times, status badges, SVG sparklines) and the
// router: each *_page.js registers the paths it draws, and once every script
// has loaded the page of location.pathname is drawn into #app. Links are real
// URLs (shareable); a page may change its query with history.pushState and
// draw again. Plain JS, no libraries, no network beyond this server.
'use strict';
window.extrace = (() => {
  const errors = document.getElementById('errors');

  // Everything that went wrong, for the user and the browser test.
  function reportError(text) {
    errors.hidden = false;
    errors.dataset.count = (+errors.dataset.count || 0) + 1;
    errors.textContent += `${text}\n`;
  }
  window.addEventListener('error', (ev) => {
    reportError(`script error: ${ev.message} (${ev.filename}:${ev.lineno}:${ev.colno})`);
  });
  document.addEventListener('securitypolicyviolation', (ev) => {
    reportError(`blocked by the page's CSP (${ev.violatedDirective}): ${ev.blockedURI || 'inline'}`);
  });
  window.addEventListener('unhandledrejection', (ev) => {
    reportError(`script error: ${ev.reason && ev.reason.stack ? ev.reason.stack : ev.reason}`);
  });

  // GET a JSON document of the API; a failed request is reported and thrown.
  async function getJson(url) {
    let res;
    try {
      res = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
    } catch (e) {
      reportError(`GET ${url}: ${e.message}`);
      throw e;
    }
    if (res.status === 401) {
      location.reload();  // the server's own page asks for the token
      throw new Error('token needed');
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        const body = JSON.parse(text);
        message = `${body.code}: ${body.error}`;
      } catch (e) { /* not JSON: the text as it is */ }
      reportError(`GET ${url}: ${res.status} ${message}`);
      throw new Error(message);
    }
    return JSON.parse(text);
  }

  // An element with attributes and children (strings become text, never markup).
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c != null) e.append(c);
    return e;
  }

  // The report's formatting (report.js loads after this file).
  const fmtDur = (ms) => window.extraceReport.format.fmtDur(ms);
  const fmtIso = (ms) => window.extraceReport.format.fmtIso(ms);

  const badge = (status) => el('span', {class: `badge ${status || 'pending'}`}, status || '-');

  const runHref = (id) => `/runs/${encodeURIComponent(id)}`;
  const flowHref = (flow) => `/flows/${encodeURIComponent(flow)}`;
  const compareHref = (a, b) => `/compare?${new URLSearchParams({a, b})}`;

  // A sparkline of durations (null: no duration, left as a gap), newest last,
  // scaled from the lowest to the highest.
  // `statuses`, when given, colours each point's dot by its run's status.
  function sparkline(values, {width = 120, height = 24, statuses = null, title = ''} = {}) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('class', 'sparkline');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    if (title) {
      const t = document.createElementNS(NS, 'title');
      t.textContent = title;
      svg.append(t);
    }
    const known = values.filter((v) => v != null);
    if (!known.length) return svg;
    // From the lowest to the highest value: the changes show, not the size.
    const min = Math.min(...known);
    const span = Math.max(...known) - min;
    const step = values.length > 1 ? (width - 6) / (values.length - 1) : 0;
    const x = (i) => 3 + i * step;
    const y = (v) => (span > 0 ? height - 3 - ((v - min) / span) * (height - 6) : height / 2);
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v == null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    path.setAttribute('class', 'line');
    svg.append(path);
    values.forEach((v, i) => {
      if (v == null || (!statuses && i !== values.length - 1)) return;
      const dot = document.createElementNS(NS, 'circle');
      dot.setAttribute('cx', x(i).toFixed(1));
      dot.setAttribute('cy', y(v).toFixed(1));
      dot.setAttribute('r', statuses ? 1.8 : 2.2);
      dot.setAttribute('class', `dot ${statuses ? statuses[i] : 'last'}`);
      svg.append(dot);
    });
    return svg;
  }

  // Calls fn `ms` after the first of a burst of calls, once for the burst (a
  // steady stream of calls still gets fn every `ms`, unlike a debounce).
  function coalesce(fn, ms) {
    let timer = 0;
    return () => {
      if (!timer) timer = setTimeout(() => {
        timer = 0;
        fn();
      }, ms);
    };
  }

  // What the browser test reads about the page (the report adds its own).
  const rendered = document.getElementById('rendered');
  function setRendered(values) {
    for (const [k, v] of Object.entries(values)) rendered.dataset[k] = v;
  }

  function crumbs(...items) {
    const box = document.getElementById('crumbs');
    box.replaceChildren(...items.map((item) => el('span', {}, ' / ', item)));
  }

  // ---------- the router ----------
  const pages = [];
  let leave = null;  // the drawn page's clean-up (streams to close)

  // `pattern` matches location.pathname; draw(app, match) may return a clean-up.
  function page(pattern, draw) { pages.push({pattern, draw}); }

  async function route() {
    if (leave) leave();
    leave = null;
    const app = document.getElementById('app');
    const path = location.pathname;
    for (const {pattern, draw} of pages) {
      const match = path.match(pattern);
      if (!match) continue;
      app.replaceChildren();
      setRendered({page: '', loads: 0});
      try {
        leave = (await draw(app, match.slice(1).map(decodeURIComponent))) || null;
      } catch (e) {
        app.append(el('p', {class: 'muted'}, `Could not load this page: ${e.message}`));
        setRendered({page: 'failed'});
      }
      return;
    }
    app.replaceChildren(el('p', {}, 'No such page. ', el('a', {href: '/'}, 'The runs')));
  }

  // Goes to `url` of this site without a reload (the page draws again).
  function navigate(url, replace = false) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    route();
  }

  window.addEventListener('popstate', route);
  window.addEventListener('DOMContentLoaded', route);

  return {reportError, getJson, el, fmtDur, fmtIso, badge, runHref, flowHref, compareHref,
          sparkline, coalesce, setRendered, crumbs, page, navigate};
})();
