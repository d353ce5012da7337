// Two real browsers meet through a real mixmeet server.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/two-browsers.mjs
//
// 1. start the server on a free port with a 640x360 composite and `[auth] open_rooms=true`
//    (plain rooms without accounts: room.html?room=...&name=...);
// 2. (the start page and accounts are covered by index-page.mjs and accounts.mjs);
// 3. Alice and Bob (two headless Chromiums with fake camera and microphone) open the room
//    page and each must receive the composite: frames decoded at 640 px wide, audio packets
//    arriving, and both names in the roster;
// 4. Bob's mute button flips his track, and his muted microphone sends Opus DTX (the server
//    asks for it), a few packets a second instead of 50;
// 5. Alice clicks Leave (she sees "You left" with Rejoin): Bob's roster drops to one and his
//    video keeps decoding;
// 6. SIGTERM: Bob's page is told the server is restarting and tries to reconnect.
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
  waitFor,
} from './harness.mjs';

const ROOM = 'e2e-room';
const WIDTH = 640;
const HEIGHT = 360;
// The fake cameras show a bright green picture; an all-black composite stays near 0.
const MIN_LUMA = 10;

async function openRoom(context, baseUrl, name) {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return { name, page, firstFrameSeenMs: null, firstPictureSeenMs: null };
}

// Waits until `who` shows the composite, hears audio and lists everyone in `names`.
async function waitForMedia(who, names) {
  const stats = await waitFor(
    `${who.name} to receive a non-black ${WIDTH}x${HEIGHT} composite, audio and roster [${names}]`,
    async () => {
      const s = await roomStats(who.page);
      if (s.framesDecoded > 0 && who.firstFrameSeenMs === null) {
        who.firstFrameSeenMs = Math.round(s.now);
        log(`${who.name}: first frame decoded (${describeRoom(s)})`);
      }
      if (s.pictureLuma > MIN_LUMA && who.firstPictureSeenMs === null) {
        who.firstPictureSeenMs = Math.round(s.now);
        log(`${who.name}: composite shows a picture, mean luma ${s.pictureLuma}`);
      }
      const rosterOk =
        names.every((n) => (s.participants || []).includes(n)) &&
        names.every((n) => (s.domRoster || []).some((text) => text.startsWith(n)));
      const ok =
        s.framesDecoded > 0 &&
        s.videoWidth === WIDTH &&
        s.videoHeight === HEIGHT &&
        s.audioPacketsReceived > 0 &&
        s.pictureLuma > MIN_LUMA &&
        rosterOk;
      return { ...s, ok };
    },
    { timeoutMs: 30000, describe: describeRoom },
  );
  log(`${who.name}: receiving — ${describeRoom(stats)}`);
  return stats;
}

async function reportTimings(who) {
  // Read the page's own timings again: the paint callback may fire after the poll that
  // first saw a decoded frame.
  const t = (await roomStats(who.page)).timings || {};
  log(
    `${who.name}: time to first frame ${who.firstFrameSeenMs} ms after page load, ` +
      `first non-black picture ${who.firstPictureSeenMs} ms ` +
      `(polled getStats; first frame painted at ${t.firstFrame ?? '?'} ms; ` +
      `socket open ${t.socketOpen ?? '?'}, welcome ${t.welcome ?? '?'}, offer ${t.offer ?? '?'}, ` +
      `answer sent ${t.answerSent ?? '?'}, ICE connected ${t.iceConnected ?? '?'} ms)`,
  );
}

await runTest('two-browsers', async (resources) => {
  const root = sourceRoot();
  const bin = serverBinary(root);

  log(`starting ${bin}`);
  const { baseUrl } = await startServer(resources, { bin, root, extraConfig: '[auth]\nopen_rooms=true' });
  log(`server listening at ${baseUrl}`);

  const aliceBrowser = await launchBrowser(resources, 'alice');
  const bobBrowser = await launchBrowser(resources, 'bob');
  log('launched two headless Chromiums');

  const alice = await openRoom(aliceBrowser, baseUrl, 'Alice');
  const bob = await openRoom(bobBrowser, baseUrl, 'Bob');

  const [aliceStats, bobStats] = await Promise.all([
    waitForMedia(alice, ['Alice', 'Bob']),
    waitForMedia(bob, ['Alice', 'Bob']),
  ]);
  await reportTimings(alice);
  await reportTimings(bob);
  if (aliceStats.videoCodec || bobStats.videoCodec) {
    log(`codecs: ${aliceStats.videoCodec} / ${aliceStats.audioCodec}`);
  }
  if (process.env.MIXMEET_SCREENSHOT) {
    const both = process.env.MIXMEET_SCREENSHOT.replace(/(\.png)?$/, '-both.png');
    await alice.page.screenshot({ path: both });
    log(`screenshot of Alice's page with both present: ${both}`);
  }

  // The mute and camera toggles flip the local tracks and the buttons' pressed state.
  const toggles = await bob.page.evaluate(async () => {
    const read = () => ({
      mic: document.getElementById('mic-button').getAttribute('aria-pressed'),
      cam: document.getElementById('cam-button').getAttribute('aria-pressed'),
      state: window.mixmeet.state(),
    });
    document.getElementById('mic-button').click();
    document.getElementById('cam-button').click();
    const off = read();
    document.getElementById('mic-button').click();
    document.getElementById('cam-button').click();
    return { off, on: read() };
  });
  if (
    toggles.off.mic !== 'true' ||
    toggles.off.cam !== 'true' ||
    !toggles.off.state.micMuted ||
    !toggles.off.state.cameraOff ||
    toggles.on.mic !== 'false' ||
    toggles.on.state.cameraOff
  ) {
    fail(`mute/camera toggles misbehave: ${JSON.stringify(toggles)}`);
  }
  log('Bob: mute and camera-off toggles flip and flip back');

  // A muted microphone costs (almost) nothing: the server's offer asks for Opus DTX
  // (usedtx=1), so Chrome sends about 2.5 audio packets a second instead of 50 while Bob is
  // muted, and 50 again once he unmutes.
  const audioSendRate = (page, wanted) => {
    let prev = null;
    let rate = null; // over the last whole second measured
    return async () => {
      const s = await roomStats(page);
      const now = Date.now();
      if (!prev) prev = { at: now, sent: s.audioPacketsSent };
      if (now - prev.at < 1000) return { rate, ok: false };
      rate = ((s.audioPacketsSent - prev.sent) * 1000) / (now - prev.at);
      prev = { at: now, sent: s.audioPacketsSent };
      return { rate, ok: wanted(rate) };
    };
  };
  const describeRate = (r) => `${r && r.rate !== null ? r.rate.toFixed(1) : '?'} packets/s`;
  await bob.page.click('#mic-button');
  const muted = await waitFor("Bob's muted microphone to send DTX (< 10 packets/s)",
    audioSendRate(bob.page, (rate) => rate < 10), { timeoutMs: 10000, describe: describeRate });
  await bob.page.click('#mic-button');
  const unmuted = await waitFor("Bob's unmuted microphone to send 50 packets/s again",
    audioSendRate(bob.page, (rate) => rate > 35), { timeoutMs: 10000, describe: describeRate });
  log(`Bob: muted sends ${muted.rate.toFixed(1)} audio packets/s (DTX), unmuted ${unmuted.rate.toFixed(1)}`);

  // Senders send what is shown: two tiles of 320x180 in the 640x360 composite, so the camera
  // (640x480 fake device) must be scaled down to fit the hinted tile.
  const hinted = await waitFor(
    "Alice's camera to be sent at the hinted tile size",
    async () => {
      const s = await roomStats(alice.page);
      const ok =
        s.sendHint &&
        s.sentFrameWidth > 0 &&
        s.sentFrameWidth <= s.sendHint.width &&
        s.sentFrameHeight <= s.sendHint.height;
      return { ...s, ok };
    },
    { timeoutMs: 15000, describe: (s) => JSON.stringify({ hint: s && s.sendHint, w: s && s.sentFrameWidth, h: s && s.sentFrameHeight }) },
  );
  log(`Alice: sends ${hinted.sentFrameWidth}x${hinted.sentFrameHeight} for a ${hinted.sendHint.width}x${hinted.sendHint.height} tile`);

  // Data saver: Bob picks the low tier and receives a quarter-size composite; Alice does not.
  await bob.page.evaluate(() => window.mixmeet.setQuality('low'));
  await waitFor(
    'Bob to receive the low tier (160x90)',
    async () => {
      const s = await roomStats(bob.page);
      return { ...s, ok: s.frameWidth === 160 && s.quality && s.quality.tier === 'low' };
    },
    { timeoutMs: 15000, describe: describeRoom },
  );
  const aliceStill = await roomStats(alice.page);
  if (aliceStill.frameWidth !== 640) fail(`Alice's picture changed: ${aliceStill.frameWidth}`);
  await bob.page.evaluate(() => window.mixmeet.setQuality('auto'));
  await waitFor(
    'Bob to return to the full composite',
    async () => {
      const s = await roomStats(bob.page);
      return { ...s, ok: s.frameWidth === 640 };
    },
    { timeoutMs: 15000, describe: describeRoom },
  );
  log('Bob: data saver gave 160x90, auto gave 640x360 back');

  log('Alice: clicking Leave');
  await alice.page.click('#leave-button');
  await alice.page.locator('#left').waitFor({ state: 'visible', timeout: 10000 });
  log('Alice: "You left" shown, with Rejoin');

  const afterLeave = await waitFor(
    "Bob's roster to drop to one participant",
    async () => {
      const s = await roomStats(bob.page);
      const ok =
        s.participants &&
        s.participants.length === 1 &&
        s.participants[0] === 'Bob' &&
        s.domRoster.length === 1;
      return { ...s, ok };
    },
    { timeoutMs: 10000, describe: describeRoom },
  );
  log(`Bob: roster is now [${afterLeave.participants}]`);

  const base = afterLeave.framesDecoded;
  const baseAt = afterLeave.now;
  const still = await waitFor(
    'Bob to keep decoding frames after Alice left',
    async () => {
      const s = await roomStats(bob.page);
      return { ...s, ok: s.framesDecoded >= base + 30 && s.connectionState === 'connected' };
    },
    { timeoutMs: 10000, describe: (s) => `${describeRoom(s)} (was ${base} when Alice left)` },
  );
  log(
    `time to first frame: Alice ${alice.firstFrameSeenMs} ms, Bob ${bob.firstFrameSeenMs} ms ` +
      '(from page load to framesDecoded > 0); first non-black picture: ' +
      `Alice ${alice.firstPictureSeenMs} ms, Bob ${bob.firstPictureSeenMs} ms`,
  );
  const fps = ((still.framesDecoded - base) * 1000) / (still.now - baseAt);
  log(
    `Bob: still decoding (${base} → ${still.framesDecoded} frames, ${fps.toFixed(1)} fps), ` +
      describeRoom(still),
  );
  if (still.videoWidth !== WIDTH) fail(`Bob's video is ${still.videoWidth} wide after the leave`);

  if (process.env.MIXMEET_SCREENSHOT) {
    await bob.page.screenshot({ path: process.env.MIXMEET_SCREENSHOT });
    log(`screenshot of Bob's page: ${process.env.MIXMEET_SCREENSHOT}`);
  }

  // Stopping the server: Bob's page is told (bye "server-shutdown") and tries to get back in
  // (docs/protocol.md, "Reconnecting"; tests/e2e/reconnect.mjs restarts the server).
  log('stopping the server with SIGTERM');
  resources.server.child.kill('SIGTERM');
  const away = await waitFor(
    "Bob's page to say it is reconnecting",
    async () => {
      const state = await bob.page.evaluate(() => window.mixmeet.state());
      const toasts = await bob.page.evaluate(() => window.mixmeet.notifications().map((n) => n.text));
      return { ...state, toasts, ok: state.reconnecting && !state.ended && toasts.some((t) => /restarting|reconnecting/i.test(t)) };
    },
    { timeoutMs: 10000, describe: (s) => JSON.stringify({ reconnecting: s.reconnecting, ended: s.ended, toasts: s.toasts }) },
  );
  log(`Bob: told "${away.toasts.at(-1)}", reconnecting (close code ${away.closeCode})`);
});
