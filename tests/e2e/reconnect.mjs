// The server restarts under a page, which rejoins by itself (docs/protocol.md, "Reconnecting").
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/reconnect.mjs
//
// 1. Alice and Bob join an open room and receive the composite; Alice's page asks for an ICE
//    restart and keeps decoding over the new ICE generation as the same participant;
// 2. the server is stopped (SIGTERM): both pages are told (bye "server-shutdown"), show
//    "Reconnecting…", and their camera and microphone are stopped (the camera light goes off);
// 3. the server starts again on the same port: both pages join again by themselves (a fresh
//    join: the restarted server knows no resume token), open camera and microphone again,
//    receive the composite again and say "Connection back".
//
// Exit code 0 on success, 1 on failure (with browser console and server stderr printed).

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
  stopServer,
  waitFor,
} from './harness.mjs';

const ROOM = 'e2e-reconnect';
const CONFIG = '[auth]\nopen_rooms=true';

async function open(context, baseUrl, name) {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  return { name, page };
}

// Waits until `who` decodes frames beyond `after` and lists both participants.
async function waitForVideo(who, after, what) {
  return waitFor(`${who.name} to ${what}`, async () => {
    const s = await roomStats(who.page);
    return { ...s, ok: s.framesDecoded > after && (s.participants || []).length === 2 };
  }, { timeoutMs: 20000, describe: describeRoom });
}

const tracks = (who) => who.page.evaluate(() => window.mixmeet.localTracks());
const toasts = (who) => who.page.evaluate(() => window.mixmeet.notifications().map((n) => n.text));
const pill = (who) => who.page.evaluate(() => document.getElementById('status-pill')?.textContent || '');

await runTest(
  'reconnect',
  async (resources) => {
    const root = sourceRoot();
    const bin = serverBinary(root);
    const { baseUrl, port } = await startServer(resources, { bin, root, extraConfig: CONFIG });
    const alice = await open(await launchBrowser(resources, 'alice'), baseUrl, 'Alice');
    const bob = await open(await launchBrowser(resources, 'bob'), baseUrl, 'Bob');
    for (const who of [alice, bob]) {
      const s = await waitForVideo(who, 0, 'receive the composite');
      log(`${who.name}: ${describeRoom(s)}`);
    }
    const before = await tracks(alice);
    if (!before.video || before.video.readyState !== 'live') fail(`Alice's camera is not live: ${JSON.stringify(before)}`);

    // ---- 1b. an ICE restart on the same PeerConnection (docs/protocol.md, "ICE restart"):
    // the page asks, the server re-offers with new ICE credentials, Chromium answers with its
    // own and starts a new ICE generation; the same participant keeps decoding.
    const ufrag = (sdp) => ((sdp || '').match(/a=ice-ufrag:(\S+)/) || [])[1] || null;
    const descriptions = () => alice.page.evaluate(() => window.mixmeet.descriptions());
    const first = await descriptions();
    const idBefore = (await alice.page.evaluate(() => window.mixmeet.state())).participantId;
    const pairBefore = (await roomStats(alice.page)).selectedPairId;
    if (!(await alice.page.evaluate(() => window.mixmeet.iceRestart()))) fail('Alice could not send ice-restart');
    const restartAt = Date.now();
    const restarted = await waitFor('Alice to answer the restart offer with new credentials', async () => {
      const d = await descriptions();
      return { ok: ufrag(d.offer) !== ufrag(first.offer) && ufrag(d.answer) !== ufrag(first.answer), d: { offer: ufrag(d.offer), answer: ufrag(d.answer) } };
    }, { timeoutMs: 10000, describe: (x) => JSON.stringify(x && x.d) });
    log(`ICE restart: server ufrag ${ufrag(first.offer)} -> ${restarted.d.offer}, page ${ufrag(first.answer)} -> ${restarted.d.answer}`);
    // The new generation carries the media: Chromium selected a pair of it (a pair of new
    // candidates: its checks with the new credentials succeeded against the server's libnice),
    // frames decoded beyond what came before, the same participant, no rejoin.
    const framesAtRestart = (await roomStats(alice.page)).framesDecoded;
    const after = await waitFor('Alice to decode over the new ICE generation', async () => {
      const s = await roomStats(alice.page);
      return { ...s, ok: s.iceConnectionState !== 'failed' && s.selectedPairId && s.selectedPairId !== pairBefore && s.framesDecoded > framesAtRestart + 10 };
    }, { timeoutMs: 30000, describe: (x) => `${describeRoom(x)} ice=${x && x.iceConnectionState} pair=${x && x.selectedPairId} (was ${pairBefore}) frames since the restart=${x && x.framesDecoded - framesAtRestart}` });
    const stateAfter = await alice.page.evaluate(() => window.mixmeet.state());
    if (stateAfter.participantId !== idBefore || stateAfter.reconnecting || stateAfter.timings.resumed !== undefined) {
      fail(`the ICE restart changed the participant: ${JSON.stringify({ idBefore, id: stateAfter.participantId, reconnecting: stateAfter.reconnecting })}`);
    }
    log(`ICE restart: decoding over pair ${after.selectedPairId} (was ${pairBefore}) ${Date.now() - restartAt} ms after asking, still ${idBefore}`);

    // ---- 2. the server stops: told, "Reconnecting…", camera and microphone off
    const stoppedAt = Date.now();
    await stopServer(resources.server);
    log(`server stopped in ${Date.now() - stoppedAt} ms`);
    for (const who of [alice, bob]) {
      const r = await waitFor(`${who.name} to reconnect with the camera off`, async () => {
        const [state, local, text] = await Promise.all([
          who.page.evaluate(() => window.mixmeet.state()),
          tracks(who),
          pill(who),
        ]);
        const off = !local.video && !local.audio;
        return { ok: state.reconnecting && !state.ended && off, state: { reconnecting: state.reconnecting, ended: state.ended, bye: state.byeReason }, local, text };
      }, { timeoutMs: 10000, describe: (x) => JSON.stringify(x) });
      log(`${who.name}: pill "${r.text}", camera and microphone stopped while away`);
    }

    // ---- 3. the server is back on the same port: the pages join again by themselves
    await startServer(resources, { bin, root, extraConfig: CONFIG, port });
    const restartedAt = Date.now();
    for (const who of [alice, bob]) {
      const s = await waitForVideo(who, 0, 'receive the composite again');
      log(`${who.name}: back ${Date.now() - restartedAt} ms after the restart: ${describeRoom(s)}`);
      const local = await tracks(who);
      if (!local.video || local.video.readyState !== 'live') fail(`${who.name}'s camera did not come back: ${JSON.stringify(local)}`);
      await waitFor(`${who.name} to say the connection is back`, async () => {
        const list = await toasts(who);
        return { list, ok: list.some((t) => /connection back/i.test(t)) };
      }, { timeoutMs: 10000, describe: (r) => JSON.stringify(r && r.list) });
      const state = await who.page.evaluate(() => window.mixmeet.state());
      if (state.reconnecting || state.ended) fail(`${who.name} is not back: ${JSON.stringify({ reconnecting: state.reconnecting, ended: state.ended })}`);
    }
    log('both pages rejoined by themselves and receive the composite again');
  },
  { timeoutMs: 120000 },
);
