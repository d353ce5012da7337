// Screen sharing (docs/protocol.md, "Screen sharing"): the server's offer reserves a third
// m-line for a screen. We answer it sendonly without a track (prepareScreenTransceiver), so
// sharing is sender.replaceTrack(screenTrack) plus `share-start`, and stopping is
// replaceTrack(null) plus `share-stop`: no renegotiation. One presenter at a time: a second
// one takes over, and the roster (`presenting`) tells the first one its share ended.
//
// Test hook: with ?testShareCanvas=1 the page shares a canvas's captureStream() (a moving
// test pattern) instead of calling getDisplayMedia, for headless browsers without a capture
// picker. window.mixmeet.startShare() / stopShare() drive it.

import { $ } from './dom.js';
import { notify } from './notify.js';
import { query, refs, set, state, subscribe } from './store.js';

const SCREEN_MLINE = 2;
const useTestCanvas = query.get('testShareCanvas') === '1';

const button = $('share-button');
let screenTrack = null;
let canvasTimer = null;
let starting = false; // getDisplayMedia is asking the user

function canShare() {
  return useTestCanvas || Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}

// The mid of the offer's m-line `index`, or null.
function midOf(sdp, index) {
  const sections = sdp.split(/\r?\n(?=m=)/).slice(1);
  const section = sections[index];
  if (!section) return null;
  const mid = /^a=mid:(\S+)/m.exec(section);
  return mid ? mid[1] : null;
}

// The transceiver of the offer's screen m-line, or null (an offer without one: no sharing).
export function screenTransceiver() {
  const { pc } = refs;
  if (!pc || !pc.remoteDescription) return null;
  const mid = midOf(pc.remoteDescription.sdp, SCREEN_MLINE);
  if (!mid) return null;
  return pc.getTransceivers().find((t) => t.mid === mid) || null;
}

// Between setRemoteDescription and createAnswer: the screen m-line is answered sendonly
// (no track yet) if this browser can share, inactive otherwise.
export function prepareScreenTransceiver() {
  const transceiver = screenTransceiver();
  if (!transceiver) return;
  transceiver.direction = canShare() ? 'sendonly' : 'inactive';
}

// A moving test pattern from a canvas (the test hook).
function canvasTrack() {
  const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
  const g = canvas.getContext('2d');
  let tick = 0;
  const draw = () => {
    g.fillStyle = '#0040ff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.fillStyle = '#ffffff';
    g.fillRect((tick * 8) % canvas.width, 200, 40, 40);
    tick += 1;
  };
  draw();
  canvasTimer = setInterval(draw, 100);
  return canvas.captureStream(10).getVideoTracks()[0];
}

function releaseTrack() {
  if (canvasTimer) clearInterval(canvasTimer);
  canvasTimer = null;
  if (screenTrack) {
    screenTrack.onended = null;
    screenTrack.stop();
  }
  screenTrack = null;
}

// Starts sharing: asks the user what to share (getDisplayMedia) and sends it on m-line 2.
export async function startShare() {
  const transceiver = screenTransceiver();
  if (!transceiver || state.sharing || starting || !refs.signaling) return false;
  if (transceiver.direction !== 'sendonly' && transceiver.direction !== 'sendrecv') {
    notify('This connection cannot share a screen; rejoin to share.', 'warn');
    return false;
  }
  let track;
  starting = true; // one capture prompt at a time
  try {
    track = useTestCanvas
      ? canvasTrack()
      : (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })).getVideoTracks()[0];
  } catch (err) {
    if (err && err.name !== 'NotAllowedError') notify(`Cannot share the screen: ${err.message}`, 'bad');
    return false;
  } finally {
    starting = false;
  }
  if (!track) return false;
  screenTrack = track;
  if ('contentHint' in track) track.contentHint = 'detail';
  // The browser's own "Stop sharing" button ends the track.
  track.onended = () => stopShare();
  await transceiver.sender.replaceTrack(track);
  refs.signaling.send({ type: 'share-start' });
  set({ sharing: true });
  return true;
}

// Stops sharing (our button, the browser's "Stop sharing", or a takeover when `tell` is false).
export async function stopShare(tell = true) {
  if (!state.sharing && !screenTrack) return;
  releaseTrack();
  // The server first: it stops showing and decoding the screen at once.
  if (tell && refs.signaling) refs.signaling.send({ type: 'share-stop' });
  set({ sharing: false });
  const transceiver = screenTransceiver();
  if (transceiver) {
    try {
      await transceiver.sender.replaceTrack(null);
    } catch (err) {
      console.warn('mixmeet: could not stop sending the screen', err);
    }
  }
}

function renderShareButton() {
  if (!button) return;
  const joined = Boolean(state.participantId) && !state.ended && state.inCall !== false;
  button.hidden = !canShare();
  button.disabled = !joined;
  button.setAttribute('aria-pressed', String(Boolean(state.sharing)));
  button.querySelector('.label').textContent = state.sharing ? 'Stop share' : 'Share';
}

// Who presents, from a roster: the entry with presenting true, or null.
export function presenterOf(roster) {
  return (roster || []).find((p) => p.presenting) || null;
}

export function initShare() {
  if (button) {
    button.addEventListener('click', () => (state.sharing ? stopShare() : startShare()));
  }
  subscribe(['participantId', 'ended', 'inCall', 'sharing'], renderShareButton);
  renderShareButton();
  if (window.mixmeet) {
    window.mixmeet.startShare = startShare;
    window.mixmeet.stopShare = stopShare;
    window.mixmeet.screenTrackForTests = () => screenTrack;
  }
}

// Registers the roster handler (before attachRoster: it compares old and new rosters).
export function attachShare(signaling) {
  signaling.on('roster', (message) => {
    const roster = Array.isArray(message.participants) ? message.participants : [];
    const before = presenterOf(state.roster);
    const now = presenterOf(roster);
    if ((before && before.id) === (now && now.id)) return;
    set({ presenter: now ? now.id : null });
    if (now && now.id === state.participantId) {
      notify('You are presenting', 'info');
    } else if (now) {
      notify(`${now.name} is presenting`, 'info');
    } else if (before && before.id !== state.participantId) {
      notify(`${before.name} stopped presenting`, 'info');
    }
    // Someone else took over (or the server ended our share): stop sending.
    if (state.sharing && (!now || now.id !== state.participantId) && before && before.id === state.participantId) {
      stopShare(false);
    }
  });
  // What our composite shows of a share (the layout message's presenter and screen).
  signaling.on('layout', (message) => {
    set({
      shareView: {
        layout: message.layout || null,
        presenter: message.presenter || null,
        screen: message.screen || null,
      },
    });
  });
  signaling.on('close', () => {
    if (state.sharing || screenTrack) stopShare(false);
  });
}
