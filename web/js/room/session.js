// The signaling session: opens the WebSocket, joins, lets each module register its message
// handlers, and handles the session-level messages (welcome, error, bye, close) and leaving.

import { SignalingClient } from '../signaling.js';
import { attachChat, chatError } from './chat.js';
import { attachControls } from './controls.js';
import { ui } from './dom.js';
import { attachModeration, moderationError } from './moderation.js';
import { attachPeer, closePeer, ensurePeerConnection } from './peer.js';
import { attachRoster } from './roster.js';
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

export function endSession() {
  if (state.ended) return;
  closePeer();
  // The host's removal, denial or end of the meeting already said what happened.
  if (!state.meetingEnded && !state.removed && !state.denied) {
    ui.placeholder.textContent = state.leaving ? 'You left the meeting.' : 'Not connected.';
  }
  set({ ended: true });
  renderStatus();
}

function createSignaling() {
  const signaling = new SignalingClient();
  refs.signaling = signaling;

  signaling.on('welcome', (message) => {
    mark('welcome');
    state.video = message.video || null;
    state.iceServers = Array.isArray(message.iceServers) ? message.iceServers : [];
    set({ signaling: 'joined', participantId: message.participantId });
    ensurePeerConnection();
    renderStatus();
  });

  attachChat(signaling);
  attachControls(signaling);
  attachModeration(signaling); // before attachRoster: it compares old and new rosters
  attachRoster(signaling);
  attachPeer(signaling);

  signaling.on('error', (message) => {
    const code = message.code || 'unknown';
    if (chatError(code, message)) return;
    if (moderationError(code, message)) return;
    showError(FRIENDLY_ERRORS[code] || `Server error (${code}): ${message.message || 'no details'}`, {
      fatal: FATAL_CODES.includes(code),
    });
  });

  signaling.on('bye', (message) => {
    state.byeReason = message.reason || 'unknown';
    if (!state.leaving) {
      const text = BYE_TEXT[state.byeReason] || `The server ended the session (${state.byeReason}).`;
      showError(text, { fatal: true });
    }
    endSession();
  });

  signaling.on('protocol-error', (problem) => showError(`Protocol error: ${problem.message}`));

  signaling.on('close', (event) => {
    set({ signaling: 'closed', closeCode: event.code });
    if (!state.leaving && !state.byeReason) {
      const why = event.reason ? `: ${event.reason}` : '';
      const text =
        event.code === 1001
          ? `The server went away (${event.reason || 'shutting down'}).`
          : `The connection to the server closed (code ${event.code}${why}).`;
      showError(text, { fatal: true });
    }
    endSession();
  });
  return signaling;
}

// Opens the socket and sends join (state.room, state.name). Failures show in the banner.
export async function connect() {
  const signaling = createSignaling();
  set({ signaling: 'connecting' });
  try {
    await signaling.connect();
  } catch (err) {
    // the 'close' handler has already shown the failure
    console.warn('mixmeet:', err);
    return;
  }
  set({ signaling: 'open' });
  mark('socketOpen');
  signaling.join(state.room, state.name);
  mark('joinSent');
}

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
  if (refs.localStream) refs.localStream.getTracks().forEach((t) => t.stop());
  window.location.assign('/');
}
