// The room page as a user lives in it: chat scrolling and the unread badge, the rate-limit
// message said once, the security note, the phone layout, the unknown-meeting page.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/room-ui.mjs
//
// 1. Alice and Bob join an open room; Alice closes her chat; Bob sends 8 tall messages:
//    Alice's chat button shows a badge of 8; opening the chat clears it and shows the newest
//    message at the bottom of the list, with the input in view above the control bar;
// 2. Bob sends 6 more at once: the server refuses those over his burst, and his page says so
//    once (one banner message, not one per line, and not "not sent" twice in it);
// 3. the security note says the media is decrypted and mixed on the server;
// 4. at phone width (390x844) nothing overflows sideways, the controls stay in view, the chat
//    starts closed and opens over the video with its input above the control bar;
// 5. the server stops answering for a while (SIGSTOP, SIGCONT): Alice is notified that the
//    connection was lost, then that it is back;
// 6. /m/zzz-zzzz-zzz (no such meeting) shows the sign-in page's card (same class, width,
//    colours, brand), centred.
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
  signalServerTree,
  sourceRoot,
  startServer,
  waitFor,
} from './harness.mjs';

const ROOM = 'e2e-room-ui';

async function open(context, baseUrl, name) {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  return page;
}

// Where the chat list is scrolled and whether the input sits in view above the controls.
const chatGeometry = (page) =>
  page.evaluate(() => {
    const list = document.getElementById('chat-list');
    const input = document.getElementById('chat-input').getBoundingClientRect();
    const controls = document.getElementById('controls').getBoundingClientRect();
    const last = list.lastElementChild ? list.lastElementChild.getBoundingClientRect() : null;
    const box = list.getBoundingClientRect();
    return {
      open: !document.getElementById('chat-panel').hidden,
      scrollable: list.scrollHeight > list.clientHeight + 4,
      atEnd: list.scrollHeight - list.scrollTop - list.clientHeight <= 4,
      lastVisible: !!last && last.bottom <= box.bottom + 1 && last.bottom > box.top + 20,
      listHeight: Math.round(box.height),
      inputBottom: Math.round(input.bottom),
      inputTop: Math.round(input.top),
      controlsTop: Math.round(controls.top),
      panels: [...document.querySelectorAll('.sidebar > *')].filter((e) => !e.hidden).map((e) => `${e.id || e.className}:${Math.round(e.getBoundingClientRect().height)}`).join(' '),
      viewportHeight: window.innerHeight,
      badge: document.getElementById('chat-badge').hidden ? null : document.getElementById('chat-badge').textContent,
    };
  });

function inputInView(g) {
  return g.inputTop >= 0 && g.inputBottom <= g.controlsTop && g.controlsTop < g.viewportHeight;
}

await runTest(
  'room-ui',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, {
      bin: serverBinary(root),
      root,
      extraConfig: '[auth]\nopen_rooms=true',
    });
    const [aliceBrowser, bobBrowser] = await Promise.all([
      launchBrowser(resources, 'alice'),
      launchBrowser(resources, 'bob'),
    ]);
    const alice = await open(aliceBrowser, baseUrl, 'Alice');
    const bob = await open(bobBrowser, baseUrl, 'Bob');
    for (const [page, who] of [[alice, 'Alice'], [bob, 'Bob']]) {
      await waitFor(`${who} to join with chat enabled`, async () => {
        const s = await roomStats(page);
        return { ...s, ok: Boolean(s.signaling === 'joined' && (s.participants || []).length === 2 && (await page.locator('#chat-input').isEnabled())) };
      }, { timeoutMs: 15000, describe: describeRoom });
    }
    log('Alice and Bob joined');

    // ---- 1. unread badge, then the chat opens at its newest message
    await alice.click('#chat-button');
    if ((await chatGeometry(alice)).open) fail('the chat button did not close the chat');
    const sent = await bob.evaluate(() => {
      const problems = [];
      for (let i = 1; i <= 8; i++) {
        const p = window.mixmeet.sendChat(`message ${i}\nsecond line\nthird line\nfourth line`);
        if (p) problems.push(p);
      }
      return problems;
    });
    if (sent.length) fail(`Bob could not send: ${sent}`);
    const badge = await waitFor('Alice to see 8 unread on her chat button', async () => {
      const g = await chatGeometry(alice);
      return { ...g, ok: Boolean(g.badge === '8') };
    }, { timeoutMs: 10000, describe: (g) => JSON.stringify(g) });
    log(`Alice: chat closed, badge shows ${badge.badge}`);
    await alice.click('#chat-button');
    const opened = await waitFor('the chat to open at its newest message', async () => {
      const g = await chatGeometry(alice);
      return { ...g, ok: Boolean(g.open && g.badge === null && g.atEnd && g.lastVisible) };
    }, { timeoutMs: 3000, describe: (g) => JSON.stringify(g) });
    if (!opened.scrollable) fail(`the 8 messages do not fill the chat list, so the scroll test proves nothing: ${JSON.stringify(opened)}`);
    if (opened.listHeight < 160) fail(`the chat list is only ${opened.listHeight} px high at 1280x800: ${JSON.stringify(opened)}`);
    if (!inputInView(opened)) fail(`the chat input is not in view above the control bar: ${JSON.stringify(opened)}`);
    log(`Alice: chat opened scrolled to the newest message, badge cleared, input above the controls (${opened.inputBottom} <= ${opened.controlsTop})`);

    // ---- 2. a burst over the chat budget: one message about it
    const burst = await bob.evaluate(() => {
      const problems = [];
      for (let i = 9; i <= 14; i++) {
        const p = window.mixmeet.sendChat(`message ${i}`);
        if (p) problems.push(p);
      }
      return problems;
    });
    if (burst.length) fail(`Bob's burst was refused in the page: ${burst}`);
    const refused = await waitFor('Bob to be told his burst was too fast', async () => {
      const s = await roomStats(bob);
      const banner = await bob.locator('#error-text').textContent();
      return { errors: s.errors, banner, ok: Boolean(s.errors.some((e) => /too fast/i.test(e))) };
    }, { timeoutMs: 10000, describe: (r) => JSON.stringify(r) });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let every refusal arrive
    const errors = (await roomStats(bob)).errors;
    const tooFast = errors.filter((e) => /too fast|rate/i.test(e));
    if (tooFast.length !== 1) fail(`the rate-limit message was shown ${tooFast.length} times: ${JSON.stringify(errors)}`);
    if ((tooFast[0].match(/not sent/gi) || []).length > 1) fail(`the rate-limit message repeats itself: "${tooFast[0]}"`);
    log(`Bob: burst refused once: "${refused.banner}"`);

    // ---- 3. the security note
    await alice.click('#security-info summary');
    const note = await alice.locator('#security-info .popover-body').innerText();
    if (!/decrypt/i.test(note) || !/mix/i.test(note) || !/not end-to-end/i.test(note) || !/DTLS-SRTP/.test(note)) {
      fail(`the security note does not say how media is handled: "${note}"`);
    }
    await alice.click('#security-info summary');
    log('Alice: the security note says the server decrypts and mixes (DTLS-SRTP, not end-to-end)');

    // ---- 4. phone width
    await alice.setViewportSize({ width: 390, height: 844 });
    const phone = await waitFor('the phone layout', async () => {
      const r = await alice.evaluate(() => {
        const controls = document.getElementById('controls').getBoundingClientRect();
        const buttons = [...document.querySelectorAll('#controls button')].map((b) => b.getBoundingClientRect());
        return {
          scrollWidth: document.documentElement.scrollWidth,
          width: window.innerWidth,
          controlsBottom: Math.round(controls.bottom),
          buttonsInside: buttons.every((b) => b.left >= 0 && b.right <= window.innerWidth && b.bottom <= window.innerHeight),
          outside: [...document.querySelectorAll('#controls button')]
            .filter((b) => {
              const r = b.getBoundingClientRect();
              return !(r.left >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight);
            })
            .map((b) => `${b.id || b.textContent.trim()} ${JSON.stringify(b.getBoundingClientRect())}`),
          chatOpen: !document.getElementById('chat-panel').hidden,
        };
      });
      return { ...r, ok: Boolean(!r.chatOpen) };
    }, { timeoutMs: 3000, describe: (r) => JSON.stringify(r) });
    if (phone.scrollWidth > phone.width) fail(`the phone layout overflows sideways: ${JSON.stringify(phone)}`);
    if (!phone.buttonsInside || phone.controlsBottom > 844) fail(`the controls leave the phone screen: ${JSON.stringify(phone)}`);
    await alice.click('#chat-button');
    const overlay = await chatGeometry(alice);
    const position = await alice.evaluate(() => getComputedStyle(document.getElementById('chat-panel')).position);
    if (!overlay.open || position !== 'fixed') fail(`the phone chat is not an overlay: ${position} ${JSON.stringify(overlay)}`);
    if (!inputInView(overlay) || !overlay.atEnd) fail(`the phone chat input is hidden or the list not at its end: ${JSON.stringify(overlay)}`);
    log(`Alice (390 px): no sideways overflow, controls in view, chat opens over the video with its input above the controls`);

    // ---- 5. connection lost and back: the server stops answering for a while (SIGSTOP)
    const toasts = () => alice.evaluate(() => window.mixmeet.notifications().map((n) => n.text));
    signalServerTree(resources.server, 'SIGSTOP');
    try {
      await waitFor('Alice to be told the connection was lost', async () => {
        const list = await toasts();
        return { list, ok: list.some((t) => /connection lost/i.test(t)) };
      }, { timeoutMs: 15000, describe: (r) => JSON.stringify(r && r.list) });
    } finally {
      signalServerTree(resources.server, 'SIGCONT');
    }
    const lostAt = Date.now();
    await waitFor('Alice to be told the connection is back', async () => {
      const list = await toasts();
      return { list, ok: list.some((t) => /connection back/i.test(t)) };
    }, { timeoutMs: 15000, describe: (r) => JSON.stringify(r && r.list) });
    log(`Alice: notified "Connection lost" while the server was stopped, "Connection back" ${Date.now() - lostAt} ms after it resumed`);

    // ---- 6. no such meeting: the account pages' card (compared with the sign-in page's)
    const page = await bobBrowser.newPage();
    const cardOf = () =>
      page.evaluate(() => {
        const card = document.querySelector('main.card');
        if (!card) return { card: false, text: document.body.innerText.slice(0, 200) };
        const r = card.getBoundingClientRect();
        const style = getComputedStyle(card);
        const brand = card.querySelector('.brand');
        return {
          card: true,
          bodyClass: document.body.className,
          width: Math.round(r.width),
          centreOffset: Math.round(Math.abs((r.left + r.right) / 2 - window.innerWidth / 2)),
          background: style.backgroundColor,
          radius: style.borderRadius,
          brand: brand ? getComputedStyle(brand).fontSize : null,
          title: card.querySelector('h1') ? card.querySelector('h1').textContent : null,
        };
      });
    await page.goto(`${baseUrl}/login.html`);
    const login = await cardOf();
    const response = await page.goto(`${baseUrl}/m/zzz-zzzz-zzz`);
    await waitFor('the unknown-meeting page', async () => /no such meeting/i.test(await page.locator('body').innerText()), { timeoutMs: 5000 });
    const unknown = await cardOf();
    const same = ['card', 'bodyClass', 'background', 'radius', 'brand'].every((k) => unknown[k] === login[k]);
    if (!same || !/no such meeting/i.test(unknown.title || '') || unknown.centreOffset > 2 || Math.abs(unknown.width - login.width) > 2) {
      fail(`the unknown-meeting page does not look like the sign-in page: ${JSON.stringify({ unknown, login })}`);
    }
    log(`no such meeting (HTTP ${response && response.status()}): "${unknown.title}" in the sign-in page's card (${unknown.width} px, centred, brand)`);
  },
  { timeoutMs: 60000 },
);
