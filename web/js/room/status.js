// The status pill, the connection details panel and the error banner.

import { ui } from './dom.js';
import { refs, state, subscribe } from './store.js';

const PEER_STATE_TEXT = {
  new: 'starting',
  connecting: 'connecting…',
  connected: 'connected',
  disconnected: 'interrupted, reconnecting…',
  failed: 'failed',
  closed: 'closed',
};

const ICE_STATE_TEXT = {
  new: 'waiting',
  checking: 'checking routes…',
  connected: 'connected',
  completed: 'connected',
  disconnected: 'interrupted',
  failed: 'no route to the server',
  closed: 'closed',
};

// Why the server said bye, for people.
export const BYE_TEXT = {
  left: 'You left the meeting.',
  'bad-sdp': 'The server could not use this browser’s media description.',
  'ice-failed': 'The media connection to the server failed.',
  'too-many-errors': 'The server ended the session after too many errors.',
  internal: 'The server could not set up media for you.',
  'server-shutdown': 'The server is shutting down.',
  'media-lost': 'The media connection to the server was lost.',
  replaced: 'This meeting was opened again from another tab or connection.',
  'connect-timeout': 'The media connection to the server could not be set up in time. Please join again.',
  removed: 'The host removed you from the meeting.',
  'meeting-ended': 'The host ended the meeting. The meeting has ended.',
  denied: 'The host did not let you in.',
};

// Shows `message` in the banner (and keeps it in state.errors). fatal: offer the way out.
export function showError(message, { fatal = false } = {}) {
  state.errors.push(message);
  console.warn(`mixmeet: ${message}`);
  ui.bannerText.textContent = message;
  ui.banner.hidden = false;
  ui.bannerBack.hidden = !fatal;
  renderStatus();
}

export function renderStatus() {
  const signalingText = {
    idle: 'not connected',
    connecting: 'connecting…',
    open: 'connected, joining…',
    joined: state.participantId ? `joined (you are ${state.participantId})` : 'joined',
    closed: state.closeCode ? `closed (code ${state.closeCode})` : 'closed',
  }[state.signaling];
  ui.signalingState.textContent = signalingText;

  const { pc } = refs;
  const peer = pc ? pc.connectionState : null;
  const ice = pc ? pc.iceConnectionState : null;
  ui.peerState.textContent = peer ? PEER_STATE_TEXT[peer] || peer : 'not started';
  ui.iceState.textContent = ice ? ICE_STATE_TEXT[ice] || ice : 'not started';

  let tone = 'pending';
  let text = 'Connecting…';
  if (state.reconnecting && !state.ended) {
    text = 'Reconnecting…';
  } else if (state.ended) {
    tone = state.leaving ? 'neutral' : 'bad';
    text = state.leaving ? 'Left' : state.participantId ? 'Disconnected' : 'Not joined';
  } else if (peer === 'connected') {
    tone = 'ok';
    text = 'Live';
  } else if (peer === 'failed') {
    tone = 'bad';
    text = 'Media failed';
  } else if (peer === 'disconnected') {
    text = 'Reconnecting…';
  } else if (state.signaling === 'joined') {
    text = 'Setting up media…';
  }
  ui.pill.dataset.tone = tone;
  ui.pill.textContent = text;
}

export function initStatus() {
  subscribe(['signaling', 'participantId', 'ended', 'leaving', 'closeCode', 'reconnecting'], renderStatus);
  renderStatus();
}
