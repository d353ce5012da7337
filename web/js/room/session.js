// The signaling session: opens the WebSocket, joins, lets each module register its message
// handlers, and handles the session-level messages (welcome, error, bye, close), leaving
// and rejoining.
//
// A module that handles server messages exports attachX(signaling) and is called from
// createSignaling() below for every session; `signaling` has on(type, fn) and send(message).
// To send outside a handler use refs.signaling.send(message) (false when not connected).

import { SignalingClient } from '../signaling.js';
import { attachChat, chatError } from './chat.js';
import { attachControls } from './controls.js';
import { $, ui } from './dom.js';
import { stopLocalMedia, restartLocalMedia } from './media.js';
import { attachModeration, moderationError } from './moderation.js';
import { notify } from './notify.js';
import { attachPeer, closePeer, ensurePeerConnection, resetPeer } from './peer.js';
import { attachRecording, recordingError } from './recording.js';
import { attachStreaming, streamingError } from './streaming.js';
import { attachLayout } from './layout.js';
import { attachRoster } from './roster.js';
import { attachShare } from './share.js';
import { BYE_TEXT, renderStatus, showError } from './status.js';
import { mark, refs, set, state } from './store.js';

// Error codes after which the session cannot go on.
const FATAL_CODES = [
  'unsupported-version',
  'room-full',
  'room-limit',
  'server-busy',
  'bad-sdp',
  'internal',
  'unauthenticated',
  'no-such-meeting',
  'meeting-locked',
  'waiting-room-full',
];

const FRIENDLY_ERRORS = {
  unauthenticated: 'This meeting is for signed-in users only: sign in to join.',
  'no-such-meeting': 'There is no such meeting.',
  'room-full': 'The meeting is full.',
  'room-limit': 'The server has as many meetings running as it allows. Please try again later.',
  'server-busy': 'The server is busy. Please try again in a moment.',
  'meeting-locked': 'The host has locked this meeting: nobody new can join.',
  'waiting-room-full': 'The waiting room is full. Please try again later.',
};

// Reconnecting (docs/protocol.md, "Reconnecting"): when the socket closes without our leave
// and without a bye that ends the session, the page tries again with these delays (the
// last repeats) for at most RECONNECT_GIVE_UP_MS. While away, the camera and microphone
// are stopped (the camera light goes off); they are opened again once the server answers.
// The first try carries the last welcome's resume token (the same participant, no leave for
// the others); a server that does not know it any more (restarted, or the grace period is
// over) answers resume-failed and the next try is a fresh join.
const RECONNECT_DELAYS_MS = [300, 1000, 2000, 4000];
const RECONNECT_GIVE_UP_MS = 120000;
// Bye reasons after which the page reconnects: the server restarts (a fresh join), or it lost
// our media and keeps us for a resume with a new PeerConnection.
const RECONNECT_BYES = ['server-shutdown', 'media-lost'];
let reconnectTimer = null;
let reconnectAttempt = 0;
let lostAt = 0;
let resumeToken = null;
let noReconnect = false; // a fatal error: the close that follows is final

function canReconnect() {
  return (
    !state.leaving &&
    !state.ended &&
    !noReconnect &&
    state.participantId !== null &&
    (!state.byeReason || RECONNECT_BYES.includes(state.byeReason))
  );
}

// The connection dropped: stop the media, tell the user, try again after a delay.
function scheduleReconnect() {
  if (!state.reconnecting) {
    lostAt = Date.now();
    reconnectAttempt = 0;
    if (!state.connectionLost) notify('Connection lost. Reconnecting…', 'warn');
    set({ reconnecting: true, connectionLost: true });
    resetPeer();
    ui.placeholder.textContent = 'Reconnecting…';
    ui.placeholder.hidden = false;
    stopLocalMedia(); // the camera light goes off while we are away
  }
  if (Date.now() - lostAt > RECONNECT_GIVE_UP_MS) {
    set({ reconnecting: false });
    showError('The connection to the server is lost. Please join again later.', { fatal: true });
    endSession();
    return;
  }
  const delay = RECONNECT_DELAYS_MS[Math.min(reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
  reconnectAttempt += 1;
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    if (state.leaving || state.ended) return;
    state.byeReason = null;
    connect();
  }, delay);
}

export function endSession() {
  if (state.ended) return;
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  closePeer();
  // The host's removal, denial or end of the meeting already said what happened.
  if (!state.meetingEnded && !state.removed && !state.denied) {
    ui.placeholder.textContent = state.leaving ? 'You left the meeting.' : 'Not connected.';
  }
  set({ ended: true });
  renderStatus();
}

// The socket of one session, as the modules see it: handlers registered through `on` stop
// firing once a newer session (a rejoin) replaced it, so a late event of the old socket
// (its close, say) cannot end the new session.
function scopedTo(client) {
  return {
    on(type, callback) {
      client.on(type, (payload) => {
        if (refs.signaling === client) callback(payload);
      });
      return this;
    },
    send: (message) => client.send(message),
  };
}

function createSignaling() {
  const client = new SignalingClient();
  refs.signaling = client;
  const signaling = scopedTo(client);

  signaling.on('welcome', (message) => {
    mark('welcome');
    resumeToken = typeof message.resumeToken === 'string' ? message.resumeToken : null;
    if (state.reconnecting) {
      mark(message.resumed ? 'resumed' : 'rejoined');
      set({ reconnecting: false });
      ui.banner.hidden = true;
    }
    state.video = message.video || null;
    state.iceServers = Array.isArray(message.iceServers) ? message.iceServers : [];
    set({ signaling: 'joined', participantId: message.participantId });
    ensurePeerConnection();
    renderStatus();
  });

  attachChat(signaling);
  attachControls(signaling);
  attachModeration(signaling); // before attachRoster: it compares old and new rosters
  attachShare(signaling); // before attachRoster too
  attachRoster(signaling);
  attachPeer(signaling);
  attachRecording(signaling);
  attachStreaming(signaling);
  attachLayout(signaling);

  signaling.on('error', (message) => {
    const code = message.code || 'unknown';
    if (chatError(code, message)) return;
    const recordingText = recordingError(code);
    if (recordingText) {
      notify(recordingText, 'bad');
      return;
    }
    const streamingText = streamingError(code);
    if (streamingText) {
      notify(streamingText, 'bad');
      return;
    }
    if (moderationError(code, message)) return;
    if (code === 'resume-failed') {
      // The server does not know us any more: the next try joins afresh.
      resumeToken = null;
      reconnectAttempt = 0;
      return;
    }
    if (FATAL_CODES.includes(code)) noReconnect = true;
    showError(FRIENDLY_ERRORS[code] || `Server error (${code}): ${message.message || 'no details'}`, {
      fatal: FATAL_CODES.includes(code),
    });
  });

  signaling.on('bye', (message) => {
    state.byeReason = message.reason || 'unknown';
    if (canReconnect()) {
      // The close follows, then a resume (media-lost) or a fresh join (the server restarts).
      if (state.byeReason === 'server-shutdown') {
        resumeToken = null;
        notify('The server is restarting. Reconnecting…', 'warn');
      }
      return;
    }
    if (!state.leaving) {
      const text = BYE_TEXT[state.byeReason] || `The server ended the session (${state.byeReason}).`;
      showError(text, { fatal: true });
    }
    endSession();
  });

  signaling.on('protocol-error', (problem) => showError(`Protocol error: ${problem.message}`));

  signaling.on('close', (event) => {
    set({ signaling: 'closed', closeCode: event.code });
    if (canReconnect()) {
      scheduleReconnect();
      return;
    }
    if (!state.leaving && !state.byeReason) {
      const why = event.reason ? `: ${event.reason}` : '';
      const text =
        event.code === 1001
          ? `The server went away (${event.reason || 'shutting down'}).`
          : `The connection to the server closed (code ${event.code}${why}).`;
      showError(text, { fatal: true });
      if (!state.ended) notify('Disconnected from the meeting.', 'bad');
    }
    endSession();
  });
  return client;
}

// Opens the socket and sends join (state.room, state.name). Failures show in the banner.
export async function connect() {
  const signaling = createSignaling();
  set({ signaling: 'connecting' });
  try {
    await signaling.connect();
  } catch (err) {
    // the 'close' handler has already shown the failure (or scheduled the next try)
    console.warn('mixmeet:', err);
    return;
  }
  set({ signaling: 'open' });
  mark('socketOpen');
  if (state.reconnecting) {
    // The server answers again: camera and microphone back before the offer comes.
    await restartLocalMedia();
    if (refs.signaling !== signaling || state.leaving || state.ended) return;
  }
  signaling.join(state.room, state.name, resumeToken);
  mark('joinSent');
}

// Leaves the call without asking: the session ends, camera and microphone stop, and the
// page shows "You left" with a Rejoin button (signed-in users and guests alike).
export async function leave() {
  if (state.leaving) return;
  set({ leaving: true });
  ui.leave.disabled = true;
  const { signaling } = refs;
  if (signaling && signaling.readyState === WebSocket.OPEN) {
    const closed = new Promise((resolve) => signaling.on('close', resolve));
    signaling.leave();
    // The server answers bye and closes; do not wait long for it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    signaling.close();
  }
  endSession();
  await stopLocalMedia();
  showLeft();
}

function showLeft() {
  const title = (state.meeting && state.meeting.title) || state.room;
  $('left-title').textContent = 'You left the meeting';
  $('left-text').textContent = `You left “${title}”. Rejoin whenever you like.`;
  // The dashboard is for accounts; a guest would land on the sign-in page.
  $('left-home').hidden = !state.user;
  ui.banner.hidden = true;
  document.title = `You left – mixmeet`;
  set({ phase: 'left' });
  ui.rejoin.focus();
}

// Joins the same meeting again from the "You left" screen, without reloading the page:
// a fresh socket and peer connection, the same name, devices and on/off choices.
export async function rejoin() {
  if (state.phase !== 'left') return;
  ui.rejoin.disabled = true;
  resetPeer();
  ui.remoteVideo.srcObject = null;
  ui.placeholder.textContent = 'Waiting for the meeting video…';
  ui.placeholder.hidden = false;
  ui.leave.disabled = false;
  ui.banner.hidden = true;
  state.byeReason = null;
  document.title = `${(state.meeting && state.meeting.title) || state.room} – mixmeet`;
  set({
    ended: false,
    leaving: false,
    signaling: 'idle',
    participantId: null,
    closeCode: null,
    roster: [],
    connectionLost: false,
    reconnecting: false,
    phase: 'call',
  });
  resumeToken = null;
  noReconnect = false;
  await restartLocalMedia();
  ui.rejoin.disabled = false;
  await connect();
}

export function initSession() {
  ui.rejoin.addEventListener('click', rejoin);
  // Closing the tab or navigating away is a leave: the others do not wait out the grace
  // period a dropped connection gets.
  window.addEventListener('pagehide', () => {
    if (state.ended || state.leaving || !refs.signaling) return;
    set({ leaving: true });
    refs.signaling.leave();
  });
}
