// The lobby, the camera switched off and on in a call, leaving and rejoining.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/lobby.mjs
//
// 1. Bob joins an open room directly (camera on: the composite has a picture);
// 2. Alice opens the same room with the lobby (lobby=1): the lobby lists a camera and a
//    microphone, shows her mirrored preview and a moving mic level, and says nothing about
//    connecting; she turns the camera off there (its track stops) and joins;
// 3. in the call her camera sender sends nothing (track null, still sendrecv), the self-view
//    says the camera is off, and she receives the composite;
// 4. camera on: a new live track is sent (frames encoded), the mirrored self-view shows it
//    and both composites keep decoding; camera off again stops the track;
// 5. Leave asks nothing and shows "You left" with Rejoin on the same URL, camera and mic
//    stopped; Bob is told Alice left; Rejoin joins again without reloading (new composite
//    frames, roster of two, Bob told Alice joined);
// 6. picking another microphone in the call replaces the sent track on the same connection.
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

const ROOM = 'e2e-lobby';
const dialogs = []; // any alert/confirm/prompt/beforeunload the pages open (there must be none)

async function open(context, baseUrl, name, extra = '') {
  const page = context.pages()[0] || (await context.newPage());
  page.on('dialog', (dialog) => {
    dialogs.push(`${name}: ${dialog.type()} "${dialog.message()}"`);
    dialog.dismiss().catch(() => {});
  });
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}${extra}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return page;
}

const tracks = (page) => page.evaluate(() => window.mixmeet.localTracks());
const senders = (page) => page.evaluate(() => window.mixmeet.senderTracks());
const videoSender = async (page) => (await senders(page)).find((s) => s.kind === 'video');
const mirrored = (page, selector) =>
  page.evaluate((sel) => {
    const t = getComputedStyle(document.querySelector(sel)).transform;
    return t.startsWith('matrix(-1');
  }, selector);

// Frames decoded grows by `more` from now on.
async function keepsDecoding(page, who, more = 15) {
  const base = (await roomStats(page)).framesDecoded;
  return waitFor(
    `${who} to decode ${more} more composite frames`,
    async () => {
      const s = await roomStats(page);
      return { ...s, ok: Boolean(s.framesDecoded >= base + more && s.connectionState === 'connected') };
    },
    { timeoutMs: 10000, describe: describeRoom },
  );
}

async function notified(page, who, regex) {
  return waitFor(
    `${who} to be notified ${regex}`,
    async () => {
      const list = await page.evaluate(() => window.mixmeet.notifications());
      return { list, ok: Boolean(list.some((n) => regex.test(n.text))) };
    },
    { timeoutMs: 10000, describe: (r) => JSON.stringify(r && r.list) },
  );
}

await runTest(
  'lobby',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, {
      bin: serverBinary(root),
      root,
      extraConfig: '[auth]\nopen_rooms=true',
    });
    log(`server listening at ${baseUrl}`);
    const [bobBrowser, aliceBrowser] = await Promise.all([
      launchBrowser(resources, 'bob'),
      launchBrowser(resources, 'alice'),
    ]);

    // ---- 1. Bob, straight in
    const bob = await open(bobBrowser, baseUrl, 'Bob');

    // ---- 2. Alice's lobby
    const alice = await open(aliceBrowser, baseUrl, 'Alice', '&lobby=1');
    await alice.locator('#prejoin').waitFor({ state: 'visible', timeout: 5000 });
    const lobby = await waitFor(
      'the lobby to list devices, preview the camera and show a mic level',
      async () => {
        const r = await alice.evaluate(() => ({
          cameras: document.querySelectorAll('#camera-select option').length,
          mics: document.querySelectorAll('#mic-select option').length,
          cameraEnabled: !document.getElementById('camera-select').disabled,
          previewWidth: document.getElementById('lobby-video').videoWidth,
          level: Number(document.getElementById('mic-level').dataset.rms || 0),
          pillShown: !document.getElementById('status-pill').hidden,
          text: document.body.innerText,
        }));
        return { ...r, ok: Boolean(r.cameras > 0 && r.mics > 0 && r.cameraEnabled && r.previewWidth > 0 && r.level > 0) };
      },
      { timeoutMs: 10000, describe: (r) => JSON.stringify({ ...r, text: undefined }) },
    );
    if (lobby.pillShown || /connecting/i.test(lobby.text)) fail('the lobby says it is connecting before anything connects');
    if (!(await mirrored(alice, '#lobby-video'))) fail('the lobby preview is not mirrored');
    log(`Alice: lobby lists ${lobby.cameras} camera(s), ${lobby.mics} mic(s); mirrored preview ${lobby.previewWidth} px wide; mic RMS ${lobby.level}`);

    await alice.click('#lobby-cam');
    await waitFor('the lobby camera to stop', async () => {
      const t = await tracks(alice);
      const note = await alice.locator('#lobby-video-note').textContent();
      return { t, note, ok: Boolean(t.video === null && t.audio && t.audio.readyState === 'live' && /off/i.test(note)) };
    }, { timeoutMs: 5000 });
    log('Alice: camera off in the lobby (no video track, the preview says so)');
    await alice.click('#prejoin-button');

    // ---- 3. in the call with the camera off
    const joined = await waitFor(
      'Alice to join with her camera off and receive the composite',
      async () => {
        const s = await roomStats(alice);
        const v = await videoSender(alice).catch(() => null);
        return { ...s, v, ok: Boolean(s.framesDecoded > 5 && s.pictureLuma > 10 && (s.participants || []).length === 2 && v && v.track === null) };
      },
      { timeoutMs: 20000, describe: (s) => `${describeRoom(s)} sender=${JSON.stringify(s && s.v)}` },
    );
    if (joined.v.direction !== 'sendrecv') fail(`the camera-off sender is ${joined.v.direction}, not sendrecv (no renegotiation possible)`);
    const offView = await alice.evaluate(() => ({
      video: !document.getElementById('local-video').hidden,
      note: document.getElementById('local-note').hidden ? null : document.getElementById('local-note').textContent,
      pressed: document.getElementById('cam-button').getAttribute('aria-pressed'),
    }));
    if (offView.video || !/camera is off/i.test(offView.note || '') || offView.pressed !== 'true') {
      fail(`self-view with the camera off: ${JSON.stringify(offView)}`);
    }
    log(`Alice: in the call, camera sender idle (sendrecv, no track), self-view says "${offView.note}"`);

    // ---- 4. camera on, off
    await alice.click('#cam-button');
    const on = await waitFor(
      "Alice's camera to come on and be sent",
      async () => {
        const t = await tracks(alice);
        const v = await videoSender(alice);
        const s = await roomStats(alice);
        return { t, v, encoded: s.videoFramesEncoded, ok: Boolean(t.video && t.video.readyState === 'live' && v && v.track && v.track.id === t.video.id && s.videoFramesEncoded > 10) };
      },
      { timeoutMs: 10000, describe: (r) => JSON.stringify(r) },
    );
    const selfView = await alice.evaluate(() => ({
      shown: !document.getElementById('local-video').hidden,
      width: document.getElementById('local-video').videoWidth,
      note: !document.getElementById('local-note').hidden,
    }));
    if (!selfView.shown || selfView.width === 0 || selfView.note) fail(`self-view with the camera on: ${JSON.stringify(selfView)}`);
    if (!(await mirrored(alice, '#local-video'))) fail('the self-view is not mirrored');
    const [aliceAfter] = await Promise.all([keepsDecoding(alice, 'Alice'), keepsDecoding(bob, 'Bob')]);
    log(`Alice: camera on (${on.encoded} frames encoded, mirrored self-view ${selfView.width} px); composites decode (${describeRoom(aliceAfter)})`);

    await alice.click('#cam-button');
    await waitFor('camera off to stop the track and the sender', async () => {
      const t = await tracks(alice);
      const v = await videoSender(alice);
      return { t, v, ok: Boolean(t.video === null && v && v.track === null) };
    }, { timeoutMs: 5000, describe: (r) => JSON.stringify(r) });
    log('Alice: camera off again (track stopped, sender idle)');

    // ---- 5. leave and rejoin
    const urlBefore = alice.url();
    await alice.click('#leave-button');
    await alice.locator('#left').waitFor({ state: 'visible', timeout: 5000 });
    if (alice.url() !== urlBefore) fail(`leaving navigated to ${alice.url()}`);
    if (dialogs.length) fail(`leaving asked something: ${dialogs.join('; ')}`);
    if (!(await alice.locator('#rejoin-button').isVisible())) fail('no Rejoin button after leaving');
    const leftTracks = await tracks(alice);
    if (leftTracks.audio || leftTracks.video) fail(`devices still captured after leaving: ${JSON.stringify(leftTracks)}`);
    await waitFor("Bob's roster to drop to one", async () => {
      const s = await roomStats(bob);
      return { ...s, ok: Boolean((s.participants || []).length === 1) };
    }, { timeoutMs: 10000, describe: describeRoom });
    await notified(bob, 'Bob', /^Alice left/);
    log('Alice: left without a question, "You left" with Rejoin shown; Bob told "Alice left"');

    const framesBefore = (await roomStats(alice)).framesDecoded;
    await alice.click('#rejoin-button');
    const back = await waitFor(
      'Alice to rejoin without reloading',
      async () => {
        const s = await roomStats(alice);
        const inCall = await alice.locator('#room-main').isVisible();
        return { ...s, inCall, ok: Boolean(inCall && s.signaling === 'joined' && s.framesDecoded > 5 && s.pictureLuma > 10 && (s.participants || []).length === 2) };
      },
      { timeoutMs: 15000, describe: (s) => `${describeRoom(s)} inCall=${s && s.inCall}` },
    );
    if (alice.url() !== urlBefore) fail(`rejoining navigated to ${alice.url()}`);
    const rejoinTracks = await tracks(alice);
    if (!rejoinTracks.audio || rejoinTracks.video) fail(`after rejoining the microphone should be on and the camera still off: ${JSON.stringify(rejoinTracks)}`);
    await notified(bob, 'Bob', /^Alice joined/);
    const loads = await alice.evaluate(() => performance.getEntriesByType('navigation').length);
    log(`Alice: rejoined in place (${loads} page load, frames ${framesBefore} → ${back.framesDecoded} on a new connection); Bob told "Alice joined"`);

    // ---- 6. another microphone during the call: replaceTrack, same connection
    await alice.click('#devices-panel summary');
    const options = await alice.evaluate(() =>
      [...document.querySelectorAll('#call-mic-select option')].map((o) => ({ value: o.value, label: o.textContent })),
    );
    const current = (await tracks(alice)).audio;
    const other = options.find((o) => o.label !== current.label);
    if (!other) {
      log(`only one microphone (${options.length} listed): device switching not exercised`);
    } else {
      const before = await roomStats(alice);
      await alice.selectOption('#call-mic-select', other.value);
      const switched = await waitFor(`Alice's microphone to become "${other.label}"`, async () => {
        const t = await tracks(alice);
        const audio = (await senders(alice)).find((x) => x.kind === 'audio');
        const s = await roomStats(alice);
        return {
          t, audio, sent: s.audioPacketsSent, state: s.connectionState,
          ok: Boolean(t.audio && t.audio.label === other.label && audio && audio.track && audio.track.id === t.audio.id &&
            s.audioPacketsSent > before.audioPacketsSent + 25 && s.connectionState === 'connected'),
        };
      }, { timeoutMs: 10000, describe: (r) => JSON.stringify(r) });
      if (switched.t.audio.id === current.id) fail('the microphone track did not change');
      log(`Alice: microphone switched in the call ("${current.label}" → "${other.label}"), sent on the same connection`);
    }
  },
  { timeoutMs: 60000 },
);
