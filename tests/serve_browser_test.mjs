// extrace serve's pages in headless Chromium (ctest label `browser`, `make
// test-browser`): starts a real `extrace serve` on a free port over a fresh
// store, posts runs over HTTP (POST /v1/events) and drives Debian's chromium
// with puppeteer-core (tests/browser/package.json, installed by the ctest
// fixture serve_browser_npm_ci). Checks the runs page, a run that grows live
// without a reload until its end, the compare view opened from the list, the
// flow page, and that no page had a script error, a CSP violation or a failed
// request. Screenshots stay in the working folder (build/tests/) to look at.
//
// Environment: EXTRACE_CLI (the extrace binary), EXTRACE_NODE_MODULES (where
// puppeteer-core is installed), EXTRACE_CHROMIUM (else chromium on $PATH).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';

const CLI = process.env.EXTRACE_CLI;
const NODE_MODULES = process.env.EXTRACE_NODE_MODULES;
assert.ok(CLI, 'EXTRACE_CLI: the extrace binary (ctest sets it)');
assert.ok(NODE_MODULES, 'EXTRACE_NODE_MODULES: where `npm ci` put puppeteer-core (ctest sets it)');
const puppeteer = createRequire(path.join(NODE_MODULES, 'index.js'))('puppeteer-core');

const WIDTH = 1400;
const HEIGHT = 900;
const WAIT_MS = 20000;

function findChromium() {
  if (process.env.EXTRACE_CHROMIUM) return process.env.EXTRACE_CHROMIUM;
  for (const dir of (process.env.PATH || '/usr/bin:/bin').split(':')) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch { /* next */ }
    }
  }
  throw new Error('no chromium on PATH: `make test-browser` installs it (or set EXTRACE_CHROMIUM)');
}

// ---------- the runs posted ----------
// Flow `etl`: groups `extract` and `transform` with leaves, group `load` whose
// work is a child run (nodes `write`, `index`), and a leaf `notify`.
const NODES = [
  {id: 'etl', name: 'ETL flow', type: 'group'},
  {id: 'extract', name: 'Extract', type: 'group', parentId: 'etl'},
  {id: 'fetch-a', name: 'Fetch A', type: 'task', parentId: 'extract'},
  {id: 'fetch-b', name: 'Fetch B', type: 'task', parentId: 'extract', weight: 2},
  {id: 'transform', name: 'Transform', type: 'group', parentId: 'etl'},
  {id: 'clean', name: 'Clean', type: 'task', parentId: 'transform'},
  {id: 'join', name: 'Join', type: 'task', parentId: 'transform'},
  {id: 'load', name: 'Load', type: 'group', parentId: 'etl'},
  {id: 'notify', name: 'Notify', type: 'task', parentId: 'etl'},
];
const CHILD_NODES = [
  {id: 'load-run', name: 'Load run', type: 'group'},
  {id: 'write', name: 'Write rows', type: 'task', parentId: 'load-run'},
  {id: 'index', name: 'Build index', type: 'task', parentId: 'load-run'},
];

// Writes a run's events in stages: each stage() call returns the lines added
// since the last one. `k` stretches every step (B is slower than A).
function runWriter(id, childId, t0, k) {
  let seq = 0;
  let childSeq = 0;
  let t = t0;
  let lines = [];
  const ev = (type, nodeId, data, child = false) => {
    const e = {executionId: child ? childId : id, seq: child ? ++childSeq : ++seq,
               timestamp: Math.round(t), type};
    if (nodeId) e.nodeId = nodeId;
    if (data) e.data = data;
    lines.push(JSON.stringify(e));
  };
  const step = (ms) => { t += ms * k; };
  const state = (nodeId, s, child = false) => ev('state-change', nodeId, {state: s}, child);
  const progress = (nodeId, p, child = false) =>
      ev('progress', nodeId, {progress: p, message: `${p}% done`}, child);
  const stages = [
    () => {
      ev('started', null, {rootNodeId: 'etl', config: {source: 's3://bucket/in'}, nodes: NODES});
      step(5); state('fetch-a', 'executing');
      step(40); progress('fetch-a', 30);
    },
    () => {
      step(60); progress('fetch-a', 80);
      step(30); state('fetch-a', 'completed');
      step(2); state('fetch-b', 'executing');
      step(80); progress('fetch-b', 50);
      step(90); state('fetch-b', 'completed');
      step(3); state('clean', 'executing');
      step(120); state('clean', 'completed');
      step(1); state('join', 'executing');
      step(70); state('join', 'completed');
      step(2); state('load', 'executing');
      step(3);
      ev('started', null, {rootNodeId: 'load-run', parentExecutionId: id, parentNodeId: 'load',
                           nodes: CHILD_NODES}, true);
      step(2); state('write', 'executing', true);
      step(50); progress('write', 40, true);
    },
    () => {
      step(90); state('write', 'completed', true);
      step(1); state('index', 'executing', true);
      step(60); state('index', 'completed', true);
      step(1); ev('completed', null, null, true);
      step(2); state('load', 'completed');
      step(2); state('notify', 'executing');
      step(25); state('notify', 'completed');
      step(1); ev('completed', null, null);
    },
  ];
  return {
    stage(n) {
      lines = [];
      stages[n]();
      return lines;
    },
    all() { return [0, 1, 2].flatMap((n) => this.stage(n)); },
  };
}

// ---------- the server ----------
let server;
let base;
let workDir;

function startServer(db) {
  return new Promise((resolve, reject) => {
    server = spawn(CLI, ['--db', db, 'serve', '--listen', '127.0.0.1:0'],
                   {stdio: ['ignore', 'pipe', 'pipe']});
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line in 20 s:\n${text}`)),
                             WAIT_MS);
    // "extrace serve: listening on http://127.0.0.1:PORT/ (store ...)", on
    // standard output (it was standard error once: either is read).
    const read = (chunk) => {
      process.stderr.write(chunk);
      text += chunk;
      const m = text.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m && !base) {
        clearTimeout(timer);
        base = m[1];
        resolve();
      }
    };
    server.stdout.on('data', read);
    server.stderr.on('data', read);
    server.on('exit', (code) => {
      clearTimeout(timer);
      if (!base) reject(new Error(`extrace serve exited with ${code}:\n${text}`));
    });
  });
}

async function post(lines) {
  const res = await fetch(`${base}/v1/events`, {
    method: 'POST', headers: {'Content-Type': 'application/x-ndjson'}, body: `${lines.join('\n')}\n`});
  const body = await res.text();
  assert.equal(res.status, 200, `POST /v1/events: ${body}`);
  assert.equal(JSON.parse(body).stored, lines.length, body);
}

// ---------- the browser ----------
let browser;
const problems = [];  // script errors, CSP violations, failed requests: none expected

async function newPage() {
  const page = await browser.newPage();
  await page.setViewport({width: WIDTH, height: HEIGHT});
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // An EventSource the page closed is aborted: that is no failure.
    if (!(r.url().includes('/stream') && r.failure()?.errorText === 'net::ERR_ABORTED'))
      problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return page;
}

const rendered = (page) => page.$eval('#rendered', (e) => ({...e.dataset, text: e.textContent}));

async function waitRendered(page, what, predicate) {
  try {
    await page.waitForFunction(predicate, {timeout: WAIT_MS, polling: 50});
  } catch (e) {
    throw new Error(`waiting for ${what}: ${e.message}; #rendered is ${
        JSON.stringify(await rendered(page))}; errors: ${await errorsText(page)}`);
  }
  return rendered(page);
}

const errorsText = (page) => page.$eval('#errors', (e) => e.textContent);

async function checkNoErrors(page) {
  assert.equal(await errorsText(page), '', '#errors');
  assert.deepEqual(problems, []);
}

// A real PNG of the window's size, with more in it than a blank page.
async function screenshot(page, name) {
  const file = path.resolve(`serve_browser_${name}.png`);
  await page.screenshot({path: file});
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG', file);
  assert.equal(bytes.readUInt32BE(16), WIDTH, `${file}: width`);
  assert.equal(bytes.readUInt32BE(20), HEIGHT, `${file}: height`);
  assert.ok(bytes.length > 20000, `${file}: ${bytes.length} bytes, a blank page is a few KB`);
  console.log(`screenshot ${file} (${bytes.length} bytes)`);
  return file;
}

// How many different colours the Gantt canvas has: a drawn chart has many.
const ganttColours = (page) => page.$eval('#gantt-canvas', (c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
});

// ---------- the test ----------
const now = Date.now();
const runA = runWriter('run-a', 'run-a-load', now - 3_600_000, 1);
const runB = runWriter('run-b', 'run-b-load', now - 1_800_000, 1.7);
const live = runWriter('run-live', 'run-live-load', now - 2_000, 1);

describe('extrace serve in the browser', () => {
  before(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'serve-browser-'));
    await startServer(path.join(workDir, 't.db'));
    await post(runA.all());
    await post(runB.all());
    browser = await puppeteer.launch({
      executablePath: findChromium(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', `--window-size=${WIDTH},${HEIGHT}`],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.on('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (workDir) rmSync(workDir, {recursive: true, force: true});
  });

  it('lists the runs newest first, and a new run appears without a reload', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    let r = await waitRendered(page, 'the runs page',
                               () => document.getElementById('rendered').dataset.page === 'runs');
    assert.equal(r.runs, '4');  // A, B and their child runs
    const ids = await page.$$eval('#runs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
    assert.deepEqual(ids, ['run-b-load', 'run-b', 'run-a-load', 'run-a']);
    const badges = await page.$$eval('#runs tbody .badge', (bs) => bs.map((b) => b.textContent));
    assert.deepEqual(badges, ['completed', 'completed', 'completed', 'completed']);
    assert.ok(await page.$('#flows tr[data-flow="etl"] svg.sparkline path'), 'the etl sparkline');

    await page.evaluate(() => { window.notReloaded = true; });
    await post(live.stage(0));
    r = await waitRendered(page, 'the new run in the list',
                           () => document.getElementById('rendered').dataset.runs === '5');
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    const first = await page.$eval('#runs tbody tr', (tr) => tr.dataset.id);
    assert.equal(first, 'run-live');
    assert.equal(await page.$eval('#runs tbody tr .badge', (b) => b.textContent), 'incomplete');
    await screenshot(page, 'runs');
    await checkNoErrors(page);
    await page.close();
  });

  it('draws a running run and grows it live until its end', async () => {
    const page = await newPage();
    await page.goto(`${base}/runs/run-live`);
    const r0 = await waitRendered(page, 'the live run drawn', () => {
      const d = document.getElementById('rendered').dataset;
      return d.mode === 'run' && d.live === 'open' && +d.drawn > 0;
    });
    await page.evaluate(() => { window.notReloaded = true; });
    assert.equal(r0.status, 'incomplete');
    assert.equal(r0.rows, String(NODES.length - 1));  // the root's children, nested
    assert.equal(r0.bars, '2');  // fetch-a and its group extract, both open
    assert.equal(r0.openBars, '2');
    assert.ok((await ganttColours(page)) > 20, 'the Gantt canvas has content');
    await screenshot(page, 'live_start');

    // The stream replays the run's events from the first: one update. Then the
    // user collapses group `transform` (4th row: its triangle) ...
    await waitRendered(page, 'the update after the replay',
                       () => +document.getElementById('rendered').dataset.refreshes >= 1);
    const box = await page.$eval('#gantt .scroller', (e) => {
      const r = e.getBoundingClientRect();
      return {left: r.left, top: r.top};
    });
    await page.mouse.click(box.left + 12, box.top + 26 + 3 * 22 + 11);
    await waitRendered(page, 'transform collapsed',
                       () => document.getElementById('rendered').dataset.visibleRows === '6');

    await post(live.stage(1));
    const r1 = await waitRendered(page, 'the child run\'s rows and the new bars', () =>
        document.getElementById('rendered').textContent.split('\n').includes('load/write'));
    assert.equal(r1.live, 'open');
    // ... and it stays collapsed through the updates.
    assert.equal(r1.visibleRows, String(+r1.rows - 2));
    assert.ok(!r1.text.split('\n').includes('clean'), r1.text);
    assert.equal(r1.status, 'incomplete');
    assert.equal(r1.rows, String(NODES.length - 1 + CHILD_NODES.length));
    assert.ok(+r1.bars > +r0.bars, `bars ${r0.bars} -> ${r1.bars}`);
    assert.ok(+r1.openBars >= 2, `open bars: load, the child run, write: ${r1.openBars}`);
    assert.ok(+r1.progress > +r0.progress, `progress ${r0.progress} -> ${r1.progress}`);
    await screenshot(page, 'live_running');

    await post(live.stage(2));
    const r2 = await waitRendered(page, 'the run\'s end', () =>
        document.getElementById('rendered').dataset.live === 'ended');
    assert.equal(r2.status, 'completed');
    assert.equal(r2.progress, '100');
    assert.equal(r2.openBars, '0');
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    assert.ok(+r2.refreshes >= 2, `refreshes: ${r2.refreshes}`);
    await screenshot(page, 'live_ended');
    await checkNoErrors(page);
    await page.close();
  });

  it('compares two runs picked in the list', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await waitRendered(page, 'the runs page',
                       () => document.getElementById('rendered').dataset.page === 'runs');
    assert.equal(await page.$eval('#compare', (b) => b.disabled), true);
    await page.click('input.pick[data-id="run-b"]');
    await page.click('input.pick[data-id="run-a"]');
    assert.equal(await page.$eval('#compare', (b) => b.disabled), false);
    await Promise.all([page.waitForNavigation(), page.click('#compare')]);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/compare');
    assert.equal(url.searchParams.get('a'), 'run-a');  // the older one
    assert.equal(url.searchParams.get('b'), 'run-b');
    const r = await waitRendered(page, 'the compare view',
                                 () => document.getElementById('rendered').dataset.mode === 'compare');
    assert.equal(r.rows, String(NODES.length - 1 + CHILD_NODES.length));
    assert.ok(await page.$('table#deltas tbody tr'), 'the table of changes');
    const headline = await page.$eval('.headline', (e) => e.textContent);
    assert.match(headline, /B took .* longer than A/);
    assert.ok((await ganttColours(page)) > 20, 'the Gantt canvas has content');
    await screenshot(page, 'compare');
    await checkNoErrors(page);
    await page.close();
  });

  it('shows a flow\'s history and its latest regressions', async () => {
    const page = await newPage();
    await page.goto(`${base}/flows/etl`);
    const r = await waitRendered(page, 'the flow page',
                                 () => document.getElementById('rendered').dataset.page === 'flow');
    assert.equal(r.runs, '3');
    assert.ok(+r.nodes >= NODES.length - 1, `nodes: ${r.nodes}`);
    assert.ok(['ok', 'regressed', 'not-enough-runs'].includes(r.regressionStatus));
    assert.equal(await page.$$eval('#history-runs tbody tr', (t) => t.length), 3);
    assert.ok(await page.$('#history-nodes tr[data-node="fetch-b"] svg.sparkline path'));
    assert.equal(await page.$$eval('svg.runs-chart rect.bar', (b) => b.length), 3);
    await screenshot(page, 'flow');
    await checkNoErrors(page);
    await page.close();
  });
});
