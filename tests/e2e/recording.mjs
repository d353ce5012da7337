// Recording a meeting from the page, end to end in real browsers (docs/recording.md).
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/recording.mjs
//
//  1. Alice (host) and Bob register; Alice creates a meeting, both join and see the composite;
//  2. only Alice has a Record button; she clicks it: both pages show the Recording indicator;
//  3. ~3 s later she clicks Stop recording: the indicator goes on both pages;
//  4. on Alice's and Bob's profile the meeting's history row links the recording; the file
//     downloads (200), answers a Range request (206), and plays in a <video> (time advances);
//  5. Carol, who was not in the meeting, gets 403 for the file.
//
// Exit code 0 on success, 1 on failure (with browser consoles and server output printed).

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

const stamp = Date.now().toString(36);
const person = (name) => ({
  email: `${name}.${stamp}@example.org`,
  username: `${name}_${stamp}`,
  displayName: `${name[0].toUpperCase()}${name.slice(1)} Example`,
  password: 'correct horse battery',
});
const ALICE = person('alice');
const BOB = person('bob');
const CAROL = person('carol');

async function register(page, baseUrl, who) {
  await page.goto(`${baseUrl}/register.html`);
  await page.fill('#email', who.email);
  await page.fill('#username', who.username);
  await page.fill('#display-name', who.displayName);
  await page.fill('#password', who.password);
  await page.fill('#password2', who.password);
  await Promise.all([page.waitForURL(`${baseUrl}/`, { timeout: 10000 }), page.click('#register-button')]);
  log(`${who.displayName}: registered`);
}

async function inCall(page, label, names) {
  await waitFor(
    `${label} to be in the call with [${names}] and decode the composite`,
    async () => {
      const s = await roomStats(page);
      return { ...s, ok: names.every((n) => (s.participants || []).includes(n)) && s.framesDecoded > 0 };
    },
    { timeoutMs: 30000, describe: describeRoom },
  );
}

const indicatorShown = (page) => page.locator('#recording-indicator').isVisible();

// What the page's own session gets for a recording URL: status and Content-Range of a whole
// GET and of a Range request, and whether a <video> plays it.
const probeRecording = (page, url) =>
  page.evaluate(async (href) => {
    const whole = await fetch(href);
    const size = (await whole.arrayBuffer()).byteLength;
    const part = await fetch(href, { headers: { Range: 'bytes=0-99' } });
    const partBytes = (await part.arrayBuffer()).byteLength;
    let played = 0;
    let videoWidth = 0;
    if (whole.ok) {
      const video = document.createElement('video');
      video.muted = true;
      video.src = href;
      document.body.append(video);
      await video.play().catch(() => {});
      // Until it has played 0.3 s (or 5 s passed): a condition, not a fixed wait.
      const until = Date.now() + 5000;
      while (video.currentTime <= 0.3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      played = video.currentTime;
      videoWidth = video.videoWidth;
      video.remove();
    }
    return {
      status: whole.status,
      size,
      partStatus: part.status,
      partBytes,
      contentRange: part.headers.get('content-range'),
      played,
      videoWidth,
    };
  }, url);

await runTest(
  'recording',
  async (resources) => {
    const root = sourceRoot();
    const bin = serverBinary(root);
    const { baseUrl } = await startServer(resources, { bin, root, extraConfig: '[recording]\nmin_free_mb=0' });
    const [browserA, browserB] = await Promise.all([launchBrowser(resources, 'alice'), launchBrowser(resources, 'bob')]);
    const alicePage = browserA.pages()[0] || (await browserA.newPage());
    const bobPage = browserB.pages()[0] || (await browserB.newPage());
    await register(alicePage, baseUrl, ALICE);
    await register(bobPage, baseUrl, BOB);

    // ---- 1. a meeting, both in it
    await alicePage.fill('#new-title-input', 'Recorded standup');
    await alicePage.click('#new-button');
    await alicePage.locator('#new-result').waitFor({ state: 'visible', timeout: 10000 });
    const meetingId = (await alicePage.locator('#new-meeting-id').textContent()).trim();
    await alicePage.goto(`${baseUrl}/m/${meetingId}`);
    await bobPage.goto(`${baseUrl}/m/${meetingId}`);
    for (const page of [alicePage, bobPage]) {
      await page.locator('#prejoin').waitFor({ state: 'visible', timeout: 10000 });
      await page.click('#prejoin-button');
    }
    const names = [ALICE.displayName, BOB.displayName];
    await Promise.all([inCall(alicePage, 'Alice', names), inCall(bobPage, 'Bob', names)]);

    // ---- 2. only the host records; everyone sees it
    if (await bobPage.locator('#record-button').isVisible()) fail('Bob (not the host) has a Record button');
    await alicePage.locator('#record-button:not([disabled])').waitFor({ state: 'visible', timeout: 10000 });
    await alicePage.click('#record-button');
    await waitFor('both pages to show the recording indicator', async () => (await indicatorShown(alicePage)) && (await indicatorShown(bobPage)));
    log('Alice clicked Record: both pages show "Recording"');
    await alicePage.waitForTimeout(3000);

    // ---- 3. stop
    await alicePage.click('#record-button');
    await waitFor('the indicator to go on both pages', async () => !(await indicatorShown(alicePage)) && !(await indicatorShown(bobPage)));
    log('Alice stopped the recording: the indicator is gone on both pages');

    // ---- 3b. an audio-only recording: the box, the indicator's text on the guest's page too
    await alicePage.check('#record-audio-only');
    await alicePage.click('#record-button');
    const audioText = async (page) => ((await page.locator('#recording-indicator').textContent()) || '').trim();
    await waitFor('both pages to show "Recording audio"', async () => {
      const texts = [await audioText(alicePage), await audioText(bobPage)];
      return { ok: (await indicatorShown(bobPage)) && texts.every((t) => /recording audio/i.test(t)), texts };
    }, { describe: (st) => JSON.stringify(st.texts) });
    log('Alice recorded audio only: both pages show "Recording audio"');
    await alicePage.waitForTimeout(2500);
    await alicePage.click('#record-button');
    await waitFor('the indicator to go on both pages', async () => !(await indicatorShown(alicePage)) && !(await indicatorShown(bobPage)));

    // ---- 4. the profile's history links it; participants download, seek and play it
    await alicePage.click('#leave-button');
    await bobPage.click('#leave-button');
    let url = null;
    for (const [label, page] of [['Alice', alicePage], ['Bob', bobPage]]) {
      await page.goto(`${baseUrl}/profile.html`);
      const links = page.locator(`#history-body tr[data-meeting-id="${meetingId}"] a.recording-link`);
      await links.first().waitFor({ state: 'visible', timeout: 10000 });
      const hrefs = await links.evaluateAll((as) =>
        as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent, download: a.getAttribute('download') })),
      );
      if (hrefs.length !== 2) fail(`${label}: the history row links ${hrefs.length} recordings, not 2: ${JSON.stringify(hrefs)}`);
      const probes = [];
      for (const { href, text } of hrefs) {
        const probe = await probeRecording(page, href);
        probes.push(probe);
        log(`${label}: profile links "${text}" -> ${href}: ${JSON.stringify(probe)}`);
        if (probe.status !== 200 || probe.size < 5000) fail(`${label}: GET ${href} gave ${probe.status}, ${probe.size} bytes`);
        if (probe.partStatus !== 206 || probe.partBytes !== 100 || probe.contentRange !== `bytes 0-99/${probe.size}`) {
          fail(`${label}: a Range request gave ${probe.partStatus}, ${probe.partBytes} bytes, Content-Range ${probe.contentRange}`);
        }
        if (!(probe.played > 0.3)) fail(`${label}: the recording did not play in a <video> (currentTime ${probe.played})`);
      }
      // One with a picture (the composite), one sound only (the full mix).
      const widths = probes.map((p) => p.videoWidth).sort((a, b) => a - b);
      if (!(widths[0] === 0 && widths[1] > 0)) fail(`${label}: expected one audio-only and one video recording, video widths ${widths}`);
      const audio = hrefs[probes.findIndex((p) => p.videoWidth === 0)];
      if (!/^Audio recording/.test(audio.text) || !audio.download.endsWith('.audio.webm')) {
        fail(`${label}: the audio-only recording is listed as "${audio.text}" (download ${audio.download})`);
      }
      url = hrefs.find((h, i) => probes[i].videoWidth > 0).href;
    }

    // ---- 5. someone else gets 403
    const browserC = await launchBrowser(resources, 'carol');
    const carolPage = browserC.pages()[0] || (await browserC.newPage());
    await register(carolPage, baseUrl, CAROL);
    const status = await carolPage.evaluate(async (href) => (await fetch(href)).status, url);
    if (status !== 403) fail(`Carol (not in the meeting) got ${status} for ${url}, not 403`);
    log(`Carol: ${url} -> 403`);
  },
  { timeoutMs: 150000 },
);
