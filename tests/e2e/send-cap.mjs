// A page that ignores send-hint is capped by the server's REMB anyway.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/send-cap.mjs
//
// With `[video] max_tiles=1`, Alice takes the only tile; Bob joins off stage, so his send-hint
// asks for the minimum (30 kbps). Bob's page ignores send-hint (test hook
// `testIgnoreSendHint=1`): no maxBitrate, no scaling. The server's REMB (hint + 50 kbps for
// audio, draft-alvestrand-rmcat-remb-03) must bring the video his Chromium sends (getStats
// outbound-rtp bytesSent) down to that cap within ~5 s, where Chromium starts at ~300 kbps.
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

const ROOM = 'send-cap';
// The off-stage hint (media/SendHints.h) plus the REMB's allowance for audio (Endpoint.h).
const OFF_STAGE_BPS = 30000;
const REMB_AUDIO_BPS = 50000;
const CAP_BPS = OFF_STAGE_BPS + REMB_AUDIO_BPS;

async function openRoom(context, baseUrl, name, extra = '') {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}${extra}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return page;
}

// REMB packets the server has sent into the room (GET /api/stats, from this machine).
async function rembsSent(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/api/stats?room=${ROOM}`);
    const body = await response.json();
    return body.rooms.length ? body.rooms[0].rembsSent : 0;
  } catch (err) {
    return `unknown (${err.message})`;
  }
}

// Bob's video send rate over the next `ms`, bps (RTP payload bytes, as getStats counts them).
async function sendRate(page, ms) {
  const before = await roomStats(page);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await roomStats(page);
  return ((after.videoBytesSent - before.videoBytesSent) * 8 * 1000) / ms;
}

await runTest('send-cap', async (resources) => {
  const root = sourceRoot();
  const bin = serverBinary(root);
  const { baseUrl } = await startServer(resources, {
    bin,
    root,
    extraConfig: '[auth]\nopen_rooms=true\n[video]\nmax_tiles=1',
  });
  log(`server listening at ${baseUrl}`);

  const alicePage = await openRoom(await launchBrowser(resources, 'alice'), baseUrl, 'Alice');
  await waitFor(
    'Alice to send video',
    async () => {
      const s = await roomStats(alicePage);
      return { ...s, ok: s.videoFramesEncoded > 0 };
    },
    { timeoutMs: 30000, describe: describeRoom },
  );
  const bobPage = await openRoom(
    await launchBrowser(resources, 'bob'),
    baseUrl,
    'Bob',
    '&testIgnoreSendHint=1',
  );
  const started = await waitFor(
    'Bob to send video and to have his off-stage send-hint',
    async () => {
      const s = await roomStats(bobPage);
      return {
        ...s,
        ok: s.videoFramesEncoded > 0 && s.sendHint && s.sendHint.maxBitrate === OFF_STAGE_BPS,
      };
    },
    { timeoutMs: 30000, describe: describeRoom },
  );
  const startedAt = Date.now();
  log(`Bob: sending, hint ${JSON.stringify(started.sendHint)} (ignored by his page)`);
  const first = await sendRate(bobPage, 1000);
  log(`Bob: first second of video at ${Math.round(first / 1000)} kbps`);

  // Within ~5 s (generous on a loaded machine: 10 s) a whole second at or below the cap, with
  // 25 % for rate-control overshoot.
  let rate = first;
  while (rate > CAP_BPS * 1.25) {
    if (Date.now() - startedAt > 10000) {
      fail(`Bob still sends ${Math.round(rate / 1000)} kbps of video ${Date.now() - startedAt} ms ` +
        `after joining off stage; the REMB cap is ${CAP_BPS / 1000} kbps ` +
        `(${await rembsSent(baseUrl)} REMBs sent in the room)`);
    }
    rate = await sendRate(bobPage, 1000);
    log(`Bob: ${Math.round(rate / 1000)} kbps at ${Date.now() - startedAt} ms, ` +
      `${await rembsSent(baseUrl)} REMBs sent in the room`);
  }
  log(`Bob: capped to ${Math.round(rate / 1000)} kbps (cap ${CAP_BPS / 1000} kbps) ` +
    `${Date.now() - startedAt} ms after he began sending`);
  // It stays there.
  const later = await sendRate(bobPage, 2000);
  log(`Bob: ${Math.round(later / 1000)} kbps over the next 2 s`);
  const rembs = await rembsSent(baseUrl);
  if (!(rembs > 0)) fail(`the server reports ${rembs} REMBs sent, yet Bob was capped`);
  if (later > CAP_BPS * 1.25) fail(`Bob went back up to ${Math.round(later / 1000)} kbps`);
  // The page really ignored the hint (the test hook works): it never set a send scale.
  const sendScale = await bobPage.evaluate(() => window.mixmeet.state().sendScale);
  if (sendScale !== undefined) fail(`Bob's page applied the send hint (scale ${sendScale})`);
});
