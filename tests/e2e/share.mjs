// Screen sharing from the real page (docs/protocol.md, "Screen sharing").
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/share.mjs
//
// 1. Alice and Bob (headless Chromiums, fake camera and microphone) join an open room.
// 2. Alice clicks "Share". Headless Chromium gets its screen from getDisplayMedia with
//    --auto-select-desktop-capture-source when it can; if getDisplayMedia fails there (no
//    capture picker headless), the page is reloaded with the test hook ?testShareCanvas=1,
//    which shares a canvas's captureStream (a blue picture) instead: the log says which.
// 3. Bob sees "Alice is presenting", Alice presenting in his roster, and his received
//    composite switches to the presentation layout: the layout message's screen rectangle,
//    and in the canvas case the pixels in its centre are blue.
// 4. Alice clicks "Stop share": Bob's composite is back on the grid.
// 5. Alice shares again and her screen track ends (the browser's own "Stop sharing"): the page
//    sends share-stop and Bob's composite is back on the grid.

import { describeRoom, fail, launchBrowser, log, roomStats, runTest, serverBinary, sourceRoot, startServer, waitFor } from './harness.mjs';

const ROOM = 'e2e-share';
const DISPLAY_ARGS = ['--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'];

async function openRoom(context, baseUrl, name, extra = '') {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}${extra}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return page;
}

async function waitJoined(page, who, count) {
  return waitFor(
    `${who} to receive the composite with ${count} in the roster`,
    async () => {
      const s = await roomStats(page);
      return { ...s, ok: s.framesDecoded > 0 && s.videoWidth === 640 && (s.participants || []).length === count };
    },
    { timeoutMs: 30000, describe: describeRoom },
  );
}

// Mean RGB of the received picture in the rectangle `r` (composite pixels), or null.
async function pictureRgb(page, r) {
  return page.evaluate((rect) => {
    const video = document.getElementById('remote-video');
    if (!video.videoWidth) return null;
    const c = Object.assign(document.createElement('canvas'), { width: rect.width, height: rect.height });
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(video, rect.x, rect.y, rect.width, rect.height, 0, 0, rect.width, rect.height);
    const { data } = g.getImageData(0, 0, rect.width, rect.height);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let k = 0; k < 3; k += 1) sum[k] += data[i + k];
    return sum.map((v) => Math.round(v / (data.length / 4)));
  }, r);
}

const shareView = async (page) => (await page.evaluate(() => window.mixmeet.state())).shareView || {};

async function waitPresentation(bob, aliceId, canvas) {
  return waitFor(
    "Bob's composite to show Alice's screen in the presentation layout",
    async () => {
      const view = await shareView(bob);
      if (view.layout !== 'presentation' || view.presenter !== aliceId || !view.screen) return { view, ok: false };
      const s = view.screen;
      const centre = { x: s.x + s.width / 2 - 20, y: s.y + s.height / 2 - 20, width: 40, height: 40 };
      const rgb = await pictureRgb(bob, centre);
      // The canvas is #0040ff; a real capture only has to be a picture.
      const ok = rgb && (canvas ? rgb[2] > 150 && rgb[0] < 90 : rgb.some((v) => v > 10));
      return { view, rgb, ok };
    },
    { timeoutMs: 15000, describe: (r) => JSON.stringify(r) },
  );
}

async function waitGrid(bob, why) {
  return waitFor(
    `Bob's composite back on the grid (${why})`,
    async () => {
      const view = await shareView(bob);
      const state = await bob.evaluate(() => window.mixmeet.state());
      return {
        view,
        presenter: state.presenter,
        bobSharing: state.sharing,
        ok: view.layout === 'grid' && !view.presenter && !state.presenter,
      };
    },
    { timeoutMs: 10000, describe: (r) => JSON.stringify(r) },
  );
}

await runTest(
  'share',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, { bin: serverBinary(root), root, extraConfig: '[auth]\nopen_rooms=true' });
    const aliceBrowser = await launchBrowser(resources, 'alice', DISPLAY_ARGS);
    const bobBrowser = await launchBrowser(resources, 'bob', DISPLAY_ARGS);
    let alice = await openRoom(aliceBrowser, baseUrl, 'Alice');
    const bob = await openRoom(bobBrowser, baseUrl, 'Bob');
    await waitJoined(alice, 'Alice', 2);
    await waitJoined(bob, 'Bob', 2);

    // Can this headless Chromium capture a screen at all?
    const probe = await alice.evaluate(async () => {
      try {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        const track = stream.getVideoTracks()[0];
        const label = track.label;
        track.stop();
        return { ok: true, label };
      } catch (err) {
        return { ok: false, error: `${err.name}: ${err.message}` };
      }
    });
    const canvas = !probe.ok;
    if (canvas) {
      log(`getDisplayMedia does not work here (${probe.error}): using the test hook ?testShareCanvas=1`);
      alice = await openRoom(aliceBrowser, baseUrl, 'Alice', '&testShareCanvas=1');
      await waitJoined(alice, 'Alice', 2);
    } else {
      log(`getDisplayMedia works headless (${probe.label})`);
    }
    const aliceId = (await alice.evaluate(() => window.mixmeet.state())).participantId;

    // 2-3: share from the button.
    const before = await alice.evaluate(() => document.querySelector('#share-button .label').textContent);
    if (before !== 'Share') fail(`the share button says "${before}"`);
    await alice.click('#share-button');
    const shown = await waitPresentation(bob, aliceId, canvas);
    log(`Bob sees Alice's screen at ${JSON.stringify(shown.view.screen)}, centre rgb ${shown.rgb}`);
    const label = await alice.evaluate(() => document.querySelector('#share-button .label').textContent);
    if (label !== 'Stop share') fail(`while sharing the button says "${label}"`);
    await waitFor(
      'Bob to be told Alice presents (toast and roster badge)',
      async () => {
        const r = await bob.evaluate(() => ({
          toasts: window.mixmeet.notifications().map((n) => n.text),
          roster: [...document.querySelectorAll('#roster li')].map((li) => li.textContent),
        }));
        return { ...r, ok: r.toasts.includes('Alice is presenting') && r.roster.some((t) => t.startsWith('Alice') && t.includes('presenting')) };
      },
      { timeoutMs: 5000, describe: (r) => JSON.stringify(r) },
    );

    // 4: stop from the button.
    await alice.click('#share-button');
    await waitGrid(bob, 'Stop sharing button');
    const senders = await alice.evaluate(() => window.mixmeet.senderTracks());
    if (senders[2] && senders[2].track) fail(`Alice still sends a screen track: ${JSON.stringify(senders)}`);

    // 5: the browser's own "Stop sharing" ends the track.
    await alice.click('#share-button');
    await waitPresentation(bob, aliceId, canvas);
    await alice.evaluate(() => {
      const screen = window.mixmeet.senderTracks();
      if (!screen[2] || !screen[2].track) throw new Error('no screen track');
      const t = window.mixmeet.screenTrackForTests();
      t.dispatchEvent(new Event('ended'));
    });
    await waitGrid(bob, "the track's ended event");
    const state = await alice.evaluate(() => window.mixmeet.state());
    if (state.sharing) fail('Alice still thinks she is sharing');
    log('share, stop, share again and the browser ending the track all work');

    // 6: the test hook's canvas (blue) when the real capture was used above, so the pixels of
    // the screen area are checked either way.
    if (!canvas) {
      alice = await openRoom(aliceBrowser, baseUrl, 'Alice', '&testShareCanvas=1');
      await waitJoined(alice, 'Alice', 2);
      await waitGrid(bob, 'Alice rejoined');
    }
    const aliceNow = (await alice.evaluate(() => window.mixmeet.state())).participantId;
    await alice.click('#share-button');
    const blue = await waitPresentation(bob, aliceNow, true);
    log(`Bob sees the canvas screen, centre rgb ${blue.rgb}`);

    // 7: Bob shares too and takes over: Alice's page is told and stops sending its screen.
    const bobId = (await bob.evaluate(() => window.mixmeet.state())).participantId;
    await bob.click('#share-button');
    await waitFor(
      "Bob's share to take over from Alice's",
      async () => {
        const a = await alice.evaluate(() => ({
          state: window.mixmeet.state(),
          toasts: window.mixmeet.notifications().map((n) => n.text),
          senders: window.mixmeet.senderTracks(),
        }));
        const view = await shareView(alice);
        const ok =
          !a.state.sharing &&
          a.state.presenter === bobId &&
          view.presenter === bobId &&
          a.toasts.includes('Bob is presenting') &&
          !(a.senders[2] && a.senders[2].track);
        return { sharing: a.state.sharing, presenter: a.state.presenter, view, toasts: a.toasts, ok };
      },
      { timeoutMs: 10000, describe: (r) => JSON.stringify(r) },
    );
    log('Bob took over; Alice stopped sending her screen');
    await bob.click('#share-button');
    await waitGrid(bob, 'Bob stopped');
    const errors = [
      ...(await bob.evaluate(() => window.mixmeet.state())).errors,
      ...(await alice.evaluate(() => window.mixmeet.state())).errors,
    ];
    if (errors.length) fail(`errors on the pages: ${JSON.stringify(errors)}`);
  },
  { timeoutMs: 120000 },
);
