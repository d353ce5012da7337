// Meeting controls (docs/protocol.md, "Meeting controls"): our media state to the server,
// raise hand, reactions (and the few-second overlay of received ones), hang up and rejoin
// the call, and, for the host, the per-participant menu, mute all, lock, the waiting room
// and ending the meeting. Also what the server tells us: muted by the host, asked to unmute
// (we ask the user; nothing is unmuted by force), removed, the meeting ended, waiting,
// admitted, denied.
//
// The server checks every host action; the host controls are hidden from others only for
// clarity.

import { $, ui } from './dom.js';
import { setCameraOff, setMicMuted } from './media.js';
import { notify } from './notify.js';
import { resetPeer } from './peer.js';
import { refs, set, state, subscribe } from './store.js';

// The reactions the server accepts (docs/protocol.md), in button order.
export const REACTIONS = ['\u{1F44D}', '\u{1F44F}', '\u2764\uFE0F', '\u{1F602}', '\u{1F62E}', '\u{1F389}'];
// How long a received reaction stays on screen, ms.
const REACTION_MS = 4000;

const mod = {
  hand: $('hand-button'),
  reactions: $('reaction-bar'),
  reactionMenu: $('reaction-menu'),
  overlay: $('reaction-overlay'),
  leaveCall: $('leave-call-button'),
  rejoinCall: $('rejoin-call-button'),
  hostBar: $('host-controls'),
  muteAll: $('mute-all-button'),
  lock: $('lock-button'),
  waitingToggle: $('waiting-room-toggle'),
  endMeeting: $('end-meeting-button'),
  waitingPanel: $('waiting-panel'),
  waitingList: $('waiting-list'),
  waitingCount: $('waiting-count'),
  unmuteDialog: $('unmute-dialog'),
  unmuteYes: $('unmute-accept'),
  unmuteNo: $('unmute-decline'),
};

function send(message) {
  const { signaling } = refs;
  if (signaling && signaling.readyState === WebSocket.OPEN) signaling.send(message);
}

function me() {
  return state.roster.find((p) => p.id === state.participantId) || null;
}

export function amHost() {
  const self = me();
  return Boolean(self && self.host);
}

function nameOf(id) {
  // `by: "admin"`: a server admin acted from /admin (participant ids are p1, p2, ...).
  if (id === 'admin') return 'A server admin';
  const p = state.roster.find((entry) => entry.id === id);
  return p ? p.name : 'The host';
}

// ---------------------------------------------------------------- our own state

// What the server shows and mixes of us follows our own switches (and a device we lack is
// off); sent after welcome and on every change.
function sendMediaState() {
  if (!state.participantId || state.ended) return;
  send({
    type: 'media-state',
    mic: Boolean(state.hasMic && !state.micMuted),
    camera: Boolean(state.hasCamera && !state.cameraOff),
  });
}

export function toggleHand() {
  const self = me();
  send({ type: 'hand', raised: !(self && self.hand) });
}

export function react(emoji) {
  send({ type: 'reaction', emoji });
}

// Hang up but stay: the media connection ends, chat and the participant list stay.
export function leaveCall() {
  if (!state.inCall || state.ended) return;
  send({ type: 'leave-call' });
  resetPeer(); // closes the peer connection; the next offer gets a new one
  ui.remoteVideo.srcObject = null;
  set({ inCall: false });
  ui.placeholder.hidden = false;
  ui.placeholder.textContent = 'You left the call. You are still in the meeting’s chat.';
}

// Joins the call again: the server sends a new offer, which peer.js answers.
export function rejoinCall() {
  if (state.inCall || state.ended) return;
  send({ type: 'rejoin-call' });
  set({ inCall: true });
  ui.placeholder.textContent = 'Joining the call…';
}

// ---------------------------------------------------------------- host actions

export function hostAction(type, participant) {
  send(participant ? { type, participant } : { type });
}

function hostButton(label, onClick, danger = false) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = danger ? 'small danger' : 'small';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

// Whose host menus are open: the list is rebuilt on every roster, and a menu must not snap
// shut under the host's pointer because someone raised a hand.
const openMenus = new Set();

// The host's menu for one roster entry (null for ourselves or when we are not host).
export function hostMenu(participant) {
  if (!amHost() || participant.id === state.participantId) return null;
  const menu = document.createElement('details');
  menu.className = 'host-menu';
  menu.open = openMenus.has(participant.id);
  menu.addEventListener('toggle', () => {
    if (menu.open) openMenus.add(participant.id);
    else openMenus.delete(participant.id);
  });
  const summary = document.createElement('summary');
  summary.textContent = 'Host';
  summary.title = `Host actions for ${participant.name}`;
  menu.append(summary);
  const items = document.createElement('div');
  items.className = 'host-menu-items';
  // Choosing an action closes the menu.
  const item = (label, type, danger = false) =>
    hostButton(
      label,
      () => {
        menu.open = false;
        hostAction(type, participant.id);
      },
      danger,
    );
  items.append(participant.mic ? item('Mute', 'mute') : item('Ask to unmute', 'unmute-request'));
  if (participant.camera) items.append(item('Stop video', 'stop-video'));
  items.append(item('Make host', 'make-host'));
  items.append(item('Remove', 'remove', true));
  menu.append(items);
  return menu;
}

// Badges for one roster entry: host, hand, microphone, camera, out of the call.
export function rosterBadges(participant) {
  const badges = document.createElement('span');
  badges.className = 'roster-badges';
  const add = (cls, text, title) => {
    const b = document.createElement('span');
    b.className = `roster-badge ${cls}`;
    b.textContent = text;
    b.title = title;
    badges.append(b);
  };
  if (participant.host) add('badge-host', 'host', 'Host');
  if (participant.presenting) add('badge-presenting', 'presenting', 'Sharing their screen');
  if (participant.hand) add('badge-hand', '\u270B', 'Hand raised');
  if (participant.mic === false) add('badge-mic-off', 'muted', 'Microphone off');
  if (participant.camera === false) add('badge-cam-off', 'no video', 'Camera off');
  if (participant.inCall === false) add('badge-out', 'chat only', 'Not in the call');
  return badges;
}

// ---------------------------------------------------------------- rendering

function renderMeetingControls() {
  const joined = Boolean(state.participantId) && !state.ended;
  const self = me();
  mod.hand.disabled = !joined;
  mod.hand.setAttribute('aria-pressed', String(Boolean(self && self.hand)));
  mod.hand.querySelector('.label').textContent = self && self.hand ? 'Lower hand' : 'Raise hand';
  for (const b of mod.reactions.querySelectorAll('button')) b.disabled = !joined;
  mod.leaveCall.hidden = !state.inCall;
  mod.rejoinCall.hidden = state.inCall;
  mod.leaveCall.disabled = !joined;
  mod.rejoinCall.disabled = !joined;

  const host = joined && amHost();
  mod.hostBar.hidden = !host;
  mod.lock.setAttribute('aria-pressed', String(state.locked));
  mod.lock.querySelector('.label').textContent = state.locked ? 'Unlock' : 'Lock';
  mod.waitingToggle.checked = state.waitingRoom.enabled;
  renderWaitingList(host);
}

function renderWaitingList(host) {
  const { participants } = state.waitingRoom;
  mod.waitingPanel.hidden = !host || (!state.waitingRoom.enabled && participants.length === 0);
  mod.waitingCount.textContent = String(participants.length);
  mod.waitingList.replaceChildren();
  for (const p of participants) {
    const item = document.createElement('li');
    item.dataset.participantId = p.id;
    const name = document.createElement('span');
    name.textContent = p.name;
    item.append(
      name,
      hostButton('Admit', () => hostAction('admit', p.id)),
      hostButton('Deny', () => hostAction('deny', p.id), true),
    );
    mod.waitingList.append(item);
  }
}

function showReaction(participant, emoji) {
  const item = document.createElement('div');
  item.className = 'reaction';
  const glyph = document.createElement('span');
  glyph.className = 'reaction-emoji';
  glyph.textContent = emoji;
  const who = document.createElement('span');
  who.className = 'reaction-name';
  who.textContent = participant === state.participantId ? 'You' : nameOf(participant);
  item.append(glyph, who);
  mod.overlay.append(item);
  while (mod.overlay.children.length > 8) mod.overlay.firstElementChild.remove();
  state.reactions.push({ participant, emoji, at: Math.round(performance.now()) });
  if (state.reactions.length > 20) state.reactions.shift();
  setTimeout(() => item.remove(), REACTION_MS);
}

// The meeting is over for this page: say so where the video was, and keep it that way.
function showEnded(text) {
  ui.placeholder.hidden = false;
  ui.placeholder.textContent = text;
  ui.remoteVideo.hidden = true;
  // Stop the last frames too: a stalled stream that resumes would fire 'playing' again.
  ui.remoteVideo.srcObject = null;
}

// ---------------------------------------------------------------- wiring

export function initModeration() {
  mod.hand.addEventListener('click', toggleHand);
  for (const emoji of REACTIONS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'reaction-button';
    b.textContent = emoji;
    b.title = `React ${emoji}`;
    b.disabled = true;
    b.addEventListener('click', () => {
      mod.reactionMenu.open = false;
      react(emoji);
    });
    mod.reactions.append(b);
  }
  mod.leaveCall.addEventListener('click', leaveCall);
  mod.rejoinCall.addEventListener('click', rejoinCall);
  mod.muteAll.addEventListener('click', () => send({ type: 'mute', all: true }));
  mod.lock.addEventListener('click', () => send({ type: 'lock', locked: !state.locked }));
  mod.waitingToggle.addEventListener('change', () =>
    send({ type: 'waiting-room', enabled: mod.waitingToggle.checked }),
  );
  mod.endMeeting.addEventListener('click', () => {
    // The one host action that cannot be undone asks first.
    if (window.confirm('End the meeting for everyone?')) send({ type: 'end-meeting' });
  });
  mod.unmuteYes.addEventListener('click', () => {
    mod.unmuteDialog.close();
    set({ unmuteRequested: false });
    setMicMuted(false); // the user's own choice: media-state follows
  });
  mod.unmuteNo.addEventListener('click', () => {
    mod.unmuteDialog.close();
    set({ unmuteRequested: false });
  });

  // Test hooks (tests/e2e/moderation.mjs) and the console.
  if (window.mixmeet) {
    Object.assign(window.mixmeet, { hostAction, react, toggleHand, leaveCall, rejoinCall, amHost });
  }

  subscribe(['micMuted', 'cameraOff', 'hasMic', 'hasCamera', 'participantId'], sendMediaState);
  subscribe(['roster', 'participantId', 'ended', 'locked', 'waitingRoom', 'inCall'], renderMeetingControls);
  renderMeetingControls();
}

// Registers the meeting-control message handlers on a SignalingClient.
export function attachModeration(signaling) {
  // A new session (a rejoin from "You left") starts with nothing of the last one.
  set({
    inCall: true,
    locked: false,
    waitingRoom: { enabled: false, participants: [] },
    waiting: false,
    denied: false,
    removed: false,
    meetingEnded: false,
    mutedByHost: null,
    unmuteRequested: false,
  });
  ui.remoteVideo.hidden = false;
  signaling.on('muted-by-host', (message) => {
    set({ mutedByHost: message.media });
    if (message.media === 'camera') {
      setCameraOff(true);
      notify(`${nameOf(message.by)} turned your camera off.`, 'warn');
    } else {
      setMicMuted(true);
      notify(`${nameOf(message.by)} muted you.`, 'warn');
    }
  });
  signaling.on('unmute-request', (message) => {
    // Asked, never unmuted by force: the user decides.
    set({ unmuteRequested: true });
    $('unmute-text').textContent = `${nameOf(message.by)} asks you to unmute your microphone.`;
    if (!mod.unmuteDialog.open) mod.unmuteDialog.show();
  });
  signaling.on('reaction', (message) => showReaction(message.participant, message.emoji));
  signaling.on('locked', (message) => set({ locked: Boolean(message.locked) }));
  signaling.on('waiting-room', (message) =>
    set({
      waitingRoom: {
        enabled: Boolean(message.enabled),
        participants: Array.isArray(message.participants) ? message.participants : [],
      },
    }),
  );
  signaling.on('waiting', () => {
    set({ waiting: true });
    ui.placeholder.textContent = 'Waiting for the host to let you in…';
  });
  signaling.on('admitted', () => {
    set({ waiting: false });
    ui.placeholder.textContent = 'The host let you in. Joining…';
  });
  signaling.on('admitted', () => notify('The host let you in.', 'ok'));
  signaling.on('denied', () => {
    set({ waiting: false, denied: true });
    showEnded('The host did not let you in.');
  });
  signaling.on('removed', (message) => {
    set({ removed: true });
    showEnded(`${nameOf(message.by)} removed you from the meeting.`);
  });
  signaling.on('meeting-ended', (message) => {
    set({ meetingEnded: true });
    showEnded(`${nameOf(message.by)} ended the meeting. The meeting has ended.`);
  });
  signaling.on('roster', (message) => {
    // Hands raised by others, in the notices (the roster shows them too).
    const before = new Map(state.roster.map((p) => [p.id, p]));
    for (const p of Array.isArray(message.participants) ? message.participants : []) {
      const old = before.get(p.id);
      if (p.hand && old && !old.hand && p.id !== state.participantId) notify(`${p.name} raised a hand.`, 'info');
    }
  });
}

// Errors the page handles itself (true: handled).
export function moderationError(code, message) {
  if (code === 'not-host' || code === 'no-such-participant') {
    notify(message.message || 'That did not work.');
    return true;
  }
  if (code === 'rate-limited' && /hand|reaction/i.test(message.message || '')) {
    notify(message.message);
    return true;
  }
  return false;
}
