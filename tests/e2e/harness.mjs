// Shared pieces of the browser end-to-end tests: start a real mixmeet server on a free port,
// launch Debian's headless Chromium with fake camera and microphone, poll with deadlines,
// and clean everything up however the test ends.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.MIXMEET_CHROMIUM || '/usr/bin/chromium';

// Flags from docs "Browser tests on this machine" (/work/shared/design.md).
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--use-fake-device-for-media-stream=fps=30',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const started = Date.now();
export function log(message) {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${t}s] ${message}`);
}

export class TestFailure extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls `probe` until it returns a truthy value or `timeoutMs` passes. `describe(last)`
// explains the last observed value in the failure message.
export async function waitFor(what, probe, { timeoutMs = 20000, intervalMs = 100, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last && last.ok !== false) return last;
    if (Date.now() > deadline) {
      const detail = describe ? describe(last) : JSON.stringify(last);
      fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${detail}`);
    }
    await sleep(intervalMs);
  }
}

// Keeps the last `max` lines of a stream for the failure report.
class Tail {
  constructor(max = 200) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }

  push(chunk) {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop();
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
    return parts;
  }

  text() {
    return [...this.lines, this.partial].filter((l) => l !== '').join('\n');
  }
}

// Everything the test created, released in reverse order by cleanup().
export class Resources {
  constructor() {
    this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mixmeet-e2e-'));
    this.server = null; // {child, stdout: Tail, stderr: Tail}
    this.contexts = [];
    this.consoleLogs = []; // [label, line]
    this.cspViolations = []; // [label, description]: every test fails on any
    this.cleaned = false;
  }

  async cleanup() {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const context of this.contexts.reverse()) {
      await Promise.race([context.close().catch(() => {}), sleep(5000)]);
    }
    if (this.server) await stopServer(this.server);
    if (!process.env.MIXMEET_KEEP_TMP) {
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
    }
  }

  printDiagnostics() {
    if (this.consoleLogs.length) {
      console.log('\n---- browser console (last 150 lines) ----');
      for (const [label, line] of this.consoleLogs.slice(-150)) console.log(`${label}: ${line}`);
    }
    if (this.server) {
      console.log('\n---- server stdout (tail) ----');
      console.log(this.server.stdout.text() || '(empty)');
      console.log('\n---- server stderr (tail) ----');
      console.log(this.server.stderr.text() || '(empty)');
    }
  }
}

export function sourceRoot() {
  const root = process.env.MIXMEET_SOURCE_ROOT
    ? path.resolve(process.env.MIXMEET_SOURCE_ROOT)
    : path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  if (!fs.existsSync(path.join(root, 'web', 'room.html'))) {
    fail(`MIXMEET_SOURCE_ROOT=${root} does not hold web/room.html`);
  }
  return root;
}

export function serverBinary(root) {
  const bin = path.resolve(process.env.MIXMEET_BIN || path.join(root, 'build', 'src', 'mixmeet'));
  if (!fs.existsSync(bin)) {
    fail(`server binary ${bin} not found: build it (ninja -C build) or set MIXMEET_BIN`);
  }
  return bin;
}

// Starts `bin serve --config TMP` and resolves with the base URL it prints once ready.
// port: 0 picks a free one; a restart passes the first run's port (and keeps its data).
export async function startServer(resources, { bin, root, timeoutMs = 15000, extraConfig = '', port = 0 }) {
  const dataDir = path.join(resources.tmpDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const configPath = path.join(resources.tmpDir, 'mixmeet.ini');
  fs.writeFileSync(
    configPath,
    [
      '[server]',
      'address=127.0.0.1',
      `port=${port}`,
      `web_dir=${path.join(root, 'web')}`,
      `pipelines_dir=${path.join(root, 'pipelines')}`,
      `data_dir=${dataDir}`,
      '[video]',
      'width=640',
      'height=360',
      'framerate=30',
      '[ice]',
      'addresses=127.0.0.1',
      extraConfig,
      // MIXMEET_E2E_WORKERS=N: the rooms run in N media worker processes (docs/workers.md).
      process.env.MIXMEET_E2E_WORKERS ? `[workers]\ncount=${process.env.MIXMEET_E2E_WORKERS}` : '',
      '',
    ].join('\n'),
  );

  const child = spawn(bin, ['serve', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  // lineListeners: called with every complete output line (stdout and stderr).
  const server = { child, stdout: new Tail(), stderr: new Tail(), exited: null, lineListeners: [] };
  resources.server = server;
  const toListeners = (lines) => {
    for (const line of lines) for (const listener of server.lineListeners) listener(line);
  };
  // Last resort if the test process dies without running cleanup().
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk) => toListeners(server.stderr.push(chunk)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TestFailure(`server did not print "listening on" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk) => {
      const lines = server.stdout.push(chunk);
      toListeners(lines);
      for (const line of lines) {
        const match = /mixmeet: listening on (https?:\/\/[^\s/]+:(\d+))\/?/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve({ baseUrl: match[1], port: Number(match[2]) });
        }
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new TestFailure(`could not start ${bin}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      server.exited = { code, signal };
      clearTimeout(timer);
      reject(new TestFailure(`server exited early (code ${code}, signal ${signal})`));
    });
  });
}

// SIGTERM, then SIGKILL after 5 s; resolves once the server exited.
// Sends `signal` to the server and its descendants (its media workers, docs/workers.md): a
// SIGSTOP of the server alone leaves the rooms' media flowing from the workers.
export function signalServerTree(server, signal) {
  const pids = [server.child.pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = fs.readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8');
      pids.push(...children.split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // Gone meanwhile, or no children file: nothing below it.
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Exited meanwhile.
    }
  }
}

export async function stopServer(server) {
  const { child } = server;
  if (server.exited || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    log('server ignored SIGTERM for 5 s: SIGKILL');
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

// One Chromium per participant, each with its own fresh profile directory.
export async function launchBrowser(resources, label, extraArgs = []) {
  const profile = path.join(resources.tmpDir, `profile-${label}`);
  fs.mkdirSync(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
    // Our own handlers clean up (and print diagnostics) on signals; Playwright's would exit
    // with 130 first.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  resources.contexts.push(context);
  // The server's Content-Security-Policy forbids inline script and style: report every
  // violation on the console (as "CSP violation: ...") so runTest can fail on it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on('page', (page) => watchPage(resources, label, page));
  for (const page of context.pages()) watchPage(resources, label, page);
  return context;
}

function watchPage(resources, label, page) {
  page.on('console', (msg) => {
    resources.consoleLogs.push([label, `[${msg.type()}] ${msg.text()}`]);
    if (msg.text().startsWith('CSP violation:')) resources.cspViolations.push([label, msg.text()]);
  });
  page.on('pageerror', (err) => resources.consoleLogs.push([label, `[pageerror] ${err.message}`]));
}

// Runs `body(resources)` with an overall deadline, SIGINT/SIGTERM handling, diagnostics on
// failure, cleanup in every case, and the process exit code (0 pass, 1 fail).
export async function runTest(name, body, { timeoutMs = 90000 } = {}) {
  timeoutMs = Number(process.env.MIXMEET_E2E_TIMEOUT_MS) || timeoutMs;
  const resources = new Resources();
  let finished = false;

  const finish = async (ok, error) => {
    if (finished) return;
    finished = true;
    if (!ok) {
      console.log(`\nFAIL ${name}: ${error instanceof TestFailure ? error.message : error?.stack || error}`);
    }
    if (!ok || process.env.MIXMEET_E2E_VERBOSE) resources.printDiagnostics();
    try {
      await Promise.race([resources.cleanup(), sleep(15000)]);
    } catch (err) {
      console.log(`cleanup failed: ${err.message}`);
    }
    if (ok) console.log(`\nPASS ${name}`);
    process.exit(ok ? 0 : 1);
  };

  const timer = setTimeout(
    () => finish(false, new TestFailure(`overall timeout of ${timeoutMs / 1000} s exceeded`)),
    timeoutMs,
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => finish(false, new TestFailure(`interrupted by ${signal}`)));
  }

  try {
    await body(resources);
    clearTimeout(timer);
    if (resources.cspViolations.length) {
      fail(`Content-Security-Policy violations:\n  - ${resources.cspViolations.map(([l, v]) => `${l}: ${v}`).join('\n  - ')}`);
    }
    await finish(true);
  } catch (err) {
    clearTimeout(timer);
    await finish(false, err);
  }
}

// ---------------------------------------------------------------- shared steps

// Resolves with the first server output line (stdout or stderr) matching `regex`, printed
// from now on or already among the lines kept for the report.
export function serverLine(resources, regex, { timeoutMs = 10000, what = `a server line matching ${regex}` } = {}) {
  const server = resources.server;
  const seen = [...server.stdout.lines, ...server.stderr.lines].find((line) => regex.test(line));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const listener = (line) => {
      if (!regex.test(line)) return;
      clearTimeout(timer);
      server.lineListeners.splice(server.lineListeners.indexOf(listener), 1);
      resolve(line);
    };
    const timer = setTimeout(() => {
      server.lineListeners.splice(server.lineListeners.indexOf(listener), 1);
      reject(new TestFailure(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    server.lineListeners.push(listener);
  });
}

// The room page's own view of itself: window.mixmeet.stats() and state(), plus the DOM roster.
export async function roomStats(page) {
  try {
    return await page.evaluate(async () => {
      if (!window.mixmeet) return { error: 'window.mixmeet not defined (page script failed?)' };
      const stats = await window.mixmeet.stats();
      const state = window.mixmeet.state();
      const domRoster = [...document.querySelectorAll('#roster li')].map((li) => li.textContent);
      return { ...stats, now: performance.now(), errors: state.errors, domRoster, state };
    });
  } catch (err) {
    return { error: `evaluate failed: ${err.message}` };
  }
}

export function describeRoom(s) {
  if (!s) return 'no stats';
  if (s.error) return s.error;
  return (
    `pc=${s.connectionState} ice=${s.iceConnectionState} signaling=${s.signaling} ` +
    `frames=${s.framesDecoded} (${s.frameWidth}x${s.frameHeight}, element ${s.videoWidth}x${s.videoHeight}) ` +
    `videoPackets=${s.videoPacketsReceived} audioPackets=${s.audioPacketsReceived} ` +
    `luma=${s.pictureLuma} roster=[${(s.participants || []).join(', ')}]` +
    ` chat=${(s.chatMessages || []).length}` +
    (s.errors && s.errors.length ? ` errors=${JSON.stringify(s.errors)}` : '')
  );
}

// ---------------------------------------------------------------- shared steps

// Signed out, the start page (the dashboard) sends the browser to the login page, which
// refuses a wrong password in the page.
export async function checkStartPage(context, baseUrl) {
  const page = await context.newPage();
  try {
    const response = await page.goto(`${baseUrl}/`);
    if (!response || !response.ok()) fail(`GET / answered ${response && response.status()}`);
    await page.waitForURL(/\/login\.html\?next=%2F$/, { timeout: 10000 });
    log(`start page: signed out, redirected to ${page.url().slice(baseUrl.length)}`);
    for (const selector of ['#login-form', '#login', '#password', '#login-button']) {
      if (!(await page.locator(selector).isVisible())) fail(`login page: ${selector} not visible`);
    }
    await page.click('#login-button');
    const error = page.locator('.form-error');
    await error.waitFor({ state: 'visible', timeout: 3000 });
    log(`login page: empty form refused with "${await error.textContent()}"`);
    await page.fill('#login', 'nobody-here');
    await page.fill('#password', 'not-the-password');
    await page.click('#login-button');
    await waitFor(
      'the login page to show the server’s bad-credentials message',
      async () => /wrong|invalid|incorrect/i.test((await error.textContent()) || ''),
      // An unknown account still costs one Argon2id hash (docs/security.md): seconds on a
      // saturated machine.
      { timeoutMs: 20000, describe: () => 'no such message' },
    );
    if (!page.url().includes('/login.html')) fail(`login page navigated after a failed login: ${page.url()}`);
    log(`login page: unknown account refused with "${await error.textContent()}"`);
  } finally {
    await page.close();
  }
}
