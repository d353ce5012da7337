// Media through a TURN server: Debian's coturn on 127.0.0.1 (a temporary config, one static
// user), the server configured with it (`[ice] turn_servers`), and a Chromium forced to relay
// candidates only (`testRelayOnly=1`: iceTransportPolicy 'relay').
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/turn.mjs
//
// 1. start turnserver (long-term credentials mixmeet/secret, loopback peers allowed since the
//    server's candidates are on 127.0.0.1) and wait for it to listen;
// 2. start mixmeet with turn_servers=turn://mixmeet:secret@127.0.0.1:PORT and open rooms;
// 3. the page must get the TURN server in the welcome's iceServers (turn:127.0.0.1:PORT with
//    the username and credential), connect with a relay candidate as its side of the selected
//    ICE pair, and decode the composite; turnserver's log shows the allocation for the user and
//    a permission for a peer.
//
// Exit code 0 on success, 1 on failure, 77 (skipped) when turnserver is not installed
// (scripts/setup.sh --tests installs coturn).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import {
  describeRoom,
  fail,
  launchBrowser,
  log,
  roomStats,
  runTest,
  serverBinary,
  sourceRoot,
  startServer,
  waitFor,
} from './harness.mjs';

const TURNSERVER = ['/usr/bin/turnserver', '/usr/sbin/turnserver'].find((p) => fs.existsSync(p));
if (!TURNSERVER) {
  console.log('SKIP turn: turnserver (coturn) is not installed; scripts/setup.sh --tests installs it');
  process.exit(77);
}

// A free TCP port on 127.0.0.1 (turnserver listens on UDP and TCP on it).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts turnserver on `port`; resolves once it is up. Killed on exit.
async function startTurn(resources, port) {
  const dir = path.join(resources.tmpDir, 'turn');
  fs.mkdirSync(dir);
  const args = [
    '-n', // no config file: everything is on the command line
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--min-port=49152',
    '--max-port=65535',
    '--lt-cred-mech',
    '--user=mixmeet:secret',
    '--realm=mixmeet.test',
    `--userdb=${path.join(dir, 'turndb')}`,
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    `--log-file=${path.join(dir, 'turn.log')}`,
    '--simple-log',
    '--verbose',
  ];
  const child = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  process.on('exit', () => child.kill('SIGKILL'));
  const logFile = path.join(dir, 'turn.log');
  // Its log file, where it writes each session (stdout is block-buffered in a pipe).
  const turnLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  resources.turn = { child, output: () => output + turnLog(), log: turnLog };
  await waitFor(
    `turnserver to listen on 127.0.0.1:${port}`,
    async () => ({ ok: /Total General servers/.test(turnLog()) || child.exitCode !== null }),
    { timeoutMs: 10000 },
  );
  if (child.exitCode !== null) fail(`turnserver exited (${child.exitCode}):\n${output}`);
  return child;
}

await runTest('turn', async (resources) => {
  const root = sourceRoot();
  const bin = serverBinary(root);
  const turnPort = await freePort();
  const turn = await startTurn(resources, turnPort);
  log(`turnserver listening on 127.0.0.1:${turnPort}`);

  try {
    const { baseUrl } = await startServer(resources, {
      bin,
      root,
      // Appended to the harness's [ice] group.
      extraConfig: `turn_servers=turn://mixmeet:secret@127.0.0.1:${turnPort}\n[auth]\nopen_rooms=true`,
    });
    log(`server listening at ${baseUrl}`);

    const browser = await launchBrowser(resources, 'relay');
    const page = browser.pages()[0] || (await browser.newPage());
    const url = `${baseUrl}/room.html?room=turn-room&name=Rita&testRelayOnly=1`;
    const response = await page.goto(url);
    if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);

    const stats = await waitFor(
      'the relay-only page to decode the composite over a relay candidate',
      async () => {
        const s = await roomStats(page);
        return { ...s, ok: s.framesDecoded > 10 && s.localCandidateType === 'relay' };
      },
      { timeoutMs: 40000, describe: (s) => `${describeRoom(s)}, local candidate ${s.localCandidateType}` },
    );
    log(`receiving through TURN: ${describeRoom(stats)}, local candidate ${stats.localCandidateType}`);

    const servers = stats.state.iceServers || [];
    const entry = servers.find((s) => (s.urls || []).includes(`turn:127.0.0.1:${turnPort}`));
    if (!entry) fail(`the welcome's iceServers lack turn:127.0.0.1:${turnPort}: ${JSON.stringify(servers)}`);
    if (entry.username !== 'mixmeet' || entry.credential !== 'secret') {
      fail(`TURN credentials not handed to the page: ${JSON.stringify(entry)}`);
    }
    // coturn's side: an allocation for the static user, and a permission for the server's
    // address (media relayed to it).
    const turnLog = resources.turn.log();
    if (!/username=<mixmeet>/.test(turnLog) || !/ALLOCATE processed, success/.test(turnLog)) {
      fail(`turnserver logged no allocation for user mixmeet:\n${turnLog.slice(-3000)}`);
    }
    if (!/CREATE_PERMISSION processed, success|CHANNEL_BIND processed, success/.test(turnLog)) {
      fail(`turnserver logged no permission for a peer:\n${turnLog.slice(-3000)}`);
    }
    log('turnserver: allocation and permission for user mixmeet');
  } finally {
    turn.kill('SIGTERM');
  }
});
