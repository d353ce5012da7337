// Meeting controls in real pages (docs/protocol.md, "Meeting controls").
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/moderation.mjs
//
// An open room (`[auth] open_rooms=true`, whose first joiner is host) with three pages: Host,
// Guest and Third.
// 1. Third raises a hand and reacts: the host's participant list shows the hand, its stage
//    shows the reaction;
// 2. the host mutes Guest from the participant menu: Guest's page turns its microphone off
//    and says so, everyone's list shows Guest muted; asked to unmute, Guest's page asks
//    first, and only its user's yes unmutes it;
// 3. the host removes Guest: Guest's page says it was removed;
// 4. Third hangs up but stays: chat goes on both ways, then it rejoins the call without a
//    reload;
// 5. the host turns the waiting room on: a newcomer (Late) waits until the host admits it;
// 6. the host ends the meeting for everyone: every page still there shows that the meeting
//    ended.
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

const ROOM = 'e2e-moderation';

async function openRoom(context, baseUrl, name, { newPage = false } = {}) {
  const page = newPage ? await context.newPage() : context.pages()[0] || (await context.newPage());
  page.on('dialog', (dialog) => dialog.accept()); // "End the meeting for everyone?"
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return { name, page };
}

const stateOf = (who) => who.page.evaluate(() => window.mixmeet.state());

function entryOf(state, name) {
  return (state.roster || []).find((p) => p.name === name);
}

async function waitForState(who, what, predicate, timeoutMs = 15000) {
  return waitFor(
    `${who.name}: ${what}`,
    async () => {
      const s = await stateOf(who);
      return { ...s, ok: predicate(s) };
    },
    {
      timeoutMs,
      describe: (s) =>
        JSON.stringify({
          roster: s && s.roster,
          ended: s && s.ended,
          bye: s && s.byeReason,
          errors: s && s.errors,
        }),
    },
  );
}

// Clicks `label` in the host menu of `target`'s row of the host's participant list.
async function hostMenuClick(host, target, label) {
  const row = host.page.locator('#roster li', { hasText: target });
  await row.locator('details.host-menu > summary').click();
  await row.locator('.host-menu-items button', { hasText: label }).click();
  log(`${host.name}: clicked "${label}" for ${target}`);
}

await runTest(
  'moderation',
  async (resources) => {
    const root = sourceRoot();
    const bin = serverBinary(root);
    const { baseUrl } = await startServer(resources, {
      bin,
      root,
      extraConfig: '[auth]\nopen_rooms=true',
    });
    log(`server listening at ${baseUrl}`);

    const hostBrowser = await launchBrowser(resources, 'host');
    const guestBrowser = await launchBrowser(resources, 'guest');

    // The first joiner of an open room is its host.
    const host = await openRoom(hostBrowser, baseUrl, 'Host');
    await waitForState(host, 'to be host', (s) => Boolean(entryOf(s, 'Host')?.host));
    const guest = await openRoom(guestBrowser, baseUrl, 'Guest');
    const third = await openRoom(hostBrowser, baseUrl, 'Third', { newPage: true });
    for (const who of [host, guest, third]) {
      await waitFor(
        `${who.name} to be connected with all three in the list`,
        async () => {
          const s = await roomStats(who.page);
          return { ...s, ok: s.connectionState === 'connected' && s.participants?.length === 3 };
        },
        { timeoutMs: 30000, describe: describeRoom },
      );
    }
    if (!(await host.page.locator('#host-controls').isVisible())) fail('host controls hidden');
    if (await guest.page.locator('#host-controls').isVisible()) fail('a guest sees host controls');
    if (await guest.page.locator('#roster details.host-menu').count()) {
      fail('a guest sees host menus in the participant list');
    }
    log('Host sees the host controls; Guest does not');

    // 1. A hand and a reaction.
    await third.page.click('#hand-button');
    await waitForState(host, "Third's hand in the list", (s) => entryOf(s, 'Third')?.hand === true);
    await host.page.locator('#roster li', { hasText: 'Third' }).locator('.badge-hand').waitFor();
    await third.page.click('#reaction-menu > summary');
    await third.page.locator('#reaction-bar button').first().click();
    await host.page.locator('#reaction-overlay .reaction').first().waitFor({ timeout: 5000 });
    log("Host: sees Third's raised hand and reaction");

    // 2. Mute Guest.
    await hostMenuClick(host, 'Guest', 'Mute');
    await waitForState(guest, 'muted by the host', (s) => s.micMuted && s.mutedByHost === 'mic');
    await waitForState(third, 'Guest shown muted', (s) => entryOf(s, 'Guest')?.mic === false);
    const micPressed = await guest.page.getAttribute('#mic-button', 'aria-pressed');
    if (micPressed !== 'true') fail(`Guest's mic button is not shown muted (${micPressed})`);
    log("Guest: microphone off by the host; the others' lists show it");
    // Asked to unmute: Guest's page asks its user; nothing changes until the user agrees.
    await hostMenuClick(host, 'Guest', 'Ask to unmute');
    await guest.page.locator('#unmute-dialog[open]').waitFor({ timeout: 5000 });
    if (!(await stateOf(guest)).micMuted) fail('Guest was unmuted without being asked');
    await guest.page.click('#unmute-accept');
    await waitForState(third, 'Guest heard again', (s) => entryOf(s, 'Guest')?.mic === true);
    log('Guest: asked to unmute, agreed, heard again');

    // 3. Remove Guest.
    await hostMenuClick(host, 'Guest', 'Remove');
    const removed = await waitForState(guest, 'removed', (s) => s.removed && s.ended);
    if (removed.byeReason !== 'removed') fail(`Guest's bye reason: ${removed.byeReason}`);
    await waitForState(third, 'two left in the list', (s) => s.roster.length === 2);
    log(`Guest: "${await guest.page.textContent('#stage-placeholder')}"`);

    // 4. Third hangs up but stays: chat goes on both ways; rejoining the call without a
    //    reload brings the picture back.
    await third.page.click('#leave-call-button');
    await waitForState(host, 'Third out of the call', (s) => entryOf(s, 'Third')?.inCall === false);
    await third.page.evaluate(() => window.mixmeet.sendChat('still here'));
    await host.page.evaluate(() => window.mixmeet.sendChat('hello Third'));
    for (const who of [host, third]) {
      await waitFor(
        `${who.name} to have both chat lines`,
        async () => {
          const s = await roomStats(who.page);
          const texts = (s.chatMessages || []).map((m) => m.text);
          return { ...s, ok: texts.includes('still here') && texts.includes('hello Third') };
        },
        { timeoutMs: 10000, describe: describeRoom },
      );
    }
    log('Third: hung up, still chatting with the host');
    const framesBefore = (await roomStats(third.page)).framesDecoded;
    await third.page.click('#rejoin-call-button');
    await waitFor(
      'Third back in the call, decoding the composite again',
      async () => {
        const s = await roomStats(third.page);
        return { ...s, ok: s.connectionState === 'connected' && s.framesDecoded > 30 };
      },
      { timeoutMs: 30000, describe: (s) => `${describeRoom(s)} (had ${framesBefore} before)` },
    );
    await waitForState(host, 'Third back in the call', (s) => entryOf(s, 'Third')?.inCall === true);
    log('Third: rejoined the call without reloading');

    // 5. The waiting room: the host turns it on; a newcomer waits until the host admits it.
    await host.page.click('#host-controls > summary');
    await host.page.check('#waiting-room-toggle');
    await waitForState(host, 'the waiting room on', (s) => s.waitingRoom.enabled);
    await host.page.click('#host-controls > summary'); // closes the popup
    const late = await openRoom(guestBrowser, baseUrl, 'Late', { newPage: true });
    await waitForState(late, 'waiting', (s) => s.waiting && !s.participantId);
    const admit = host.page.locator('#waiting-list li', { hasText: 'Late' }).locator('button', {
      hasText: 'Admit',
    });
    await admit.click();
    await waitFor(
      'Late admitted and in the call',
      async () => {
        const s = await roomStats(late.page);
        return { ...s, ok: s.connectionState === 'connected' && s.participants?.length === 3 };
      },
      { timeoutMs: 30000, describe: describeRoom },
    );
    log('Late: waited in the waiting room until the host admitted it');

    // 6. End the meeting for everyone.
    await host.page.click('#host-controls > summary');
    await host.page.click('#end-meeting-button');
    for (const who of [host, third, late]) {
      const s = await waitForState(who, 'the meeting ended', (st) => st.meetingEnded && st.ended);
      if (s.byeReason !== 'meeting-ended') fail(`${who.name}'s bye reason: ${s.byeReason}`);
      const text = await who.page.textContent('#stage-placeholder');
      if (!(await who.page.locator('#stage-placeholder').isVisible()) || !/ended/.test(text)) {
        fail(`${who.name}'s page does not say the meeting ended: "${text}"`);
      }
      log(`${who.name}: "${text}"`);
    }
  },
  { timeoutMs: 150000 },
);
