// The one RTCPeerConnection to the server: the server offers, we answer, ICE trickles both
// ways (docs/protocol.md). Also plays the received composite and mix, and applies the
// server's send-hint to our camera.

import { ui } from './dom.js';
import { showError, renderStatus } from './status.js';
import { notify } from './notify.js';
import { prepareScreenTransceiver, screenTransceiver } from './share.js';
import { mark, query, refs, set, state } from './store.js';

// Test hook (tests/e2e/send-cap.mjs): a page that ignores send-hint, as a client written
// without it would; the server's REMB must cap it anyway.
const ignoreSendHint = query.get('testIgnoreSendHint') === '1';
// Test hook (tests/e2e/turn.mjs): ICE over the welcome's TURN servers only (relay candidates),
// proving media flows through TURN.
const relayOnly = query.get('testRelayOnly') === '1';

let answerSent = false;
// ICE restart (docs/protocol.md, "ICE restart"): asked once per failure; if the connection is
// not back this long after, the page falls back to a new PeerConnection (close 4000, resume).
const ICE_RESTART_FALLBACK_MS = 5000;
let iceRestartTimer = null;
const pendingLocalIce = []; // gathered before the answer went out
const pendingRemoteIce = []; // arrived before the offer was applied
let work = Promise.resolve(); // offer and remote ICE are applied in arrival order

export function createPeerConnection() {
  const connection = new RTCPeerConnection({
    iceServers: state.iceServers,
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
    iceTransportPolicy: relayOnly ? 'relay' : 'all',
  });

  connection.addEventListener('icecandidate', (event) => {
    const c = event.candidate;
    // null (or an empty candidate string) means gathering is done: end-of-candidates.
    const message =
      c && c.candidate
        ? { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 }
        : { candidate: '', sdpMLineIndex: (c && c.sdpMLineIndex) ?? 0 };
    if (answerSent) {
      refs.signaling.ice(message.candidate, message.sdpMLineIndex);
    } else {
      pendingLocalIce.push(message);
    }
  });

  connection.addEventListener('track', () => attachRemoteStream());

  connection.addEventListener('connectionstatechange', () => {
    const now = connection.connectionState;
    if (now === 'connected') mark('peerConnected');
    if (now === 'failed' && !state.ended && refs.pc === connection) {
      if (refs.signaling && refs.signaling.readyState === WebSocket.OPEN) {
        restartIceOrFallBack(connection);
      } else {
        showError('The media connection failed: no network route to the server.');
      }
    }
    if (now === 'connected' && iceRestartTimer) {
      clearTimeout(iceRestartTimer);
      iceRestartTimer = null;
      mark('iceRestarted');
    }
    if ((now === 'disconnected' || now === 'failed') && !state.ended && !state.connectionLost) {
      set({ connectionLost: true });
      notify('Connection lost. Reconnecting…', 'warn');
    } else if (now === 'connected' && state.connectionLost) {
      set({ connectionLost: false });
      notify('Connection back.', 'ok');
    }
    renderStatus();
  });
  connection.addEventListener('iceconnectionstatechange', () => {
    if (connection.iceConnectionState === 'connected') mark('iceConnected');
    // ICE failed (the connection state follows): an ICE restart first, with the socket up.
    if (connection.iceConnectionState === 'failed' && !state.ended && refs.pc === connection &&
        refs.signaling && refs.signaling.readyState === WebSocket.OPEN) {
      restartIceOrFallBack(connection);
    }
    renderStatus();
  });
  return connection;
}

// The media connection failed while the socket is up: first an ICE restart on this
// PeerConnection (the server re-offers with new ICE credentials); if it is not connected again
// within ICE_RESTART_FALLBACK_MS, a new PeerConnection under the same participant: close the
// socket, and the page reconnects with its resume token (session.js); the server sends a fresh
// offer.
function restartIceOrFallBack(connection) {
  if (iceRestartTimer) return; // one under way: its timer decides
  const fallBack = () => {
    iceRestartTimer = null;
    if (state.ended || refs.pc !== connection || connection.connectionState === 'connected') return;
    if (refs.signaling && refs.signaling.readyState === WebSocket.OPEN) {
      refs.signaling.close(4000, 'media-failed');
    }
  };
  if (!answerSent || !refs.signaling.iceRestart()) {
    fallBack();
    return;
  }
  mark('iceRestartAsked');
  iceRestartTimer = setTimeout(fallBack, ICE_RESTART_FALLBACK_MS);
}

// Creates the peer connection if there is none yet (on welcome).
export function ensurePeerConnection() {
  if (!refs.pc) refs.pc = createPeerConnection();
  return refs.pc;
}

// One MediaStream holding both received tracks, built once the receivers exist; the
// <video> element plays the composite picture and the mix-minus sound together.
function attachRemoteStream() {
  const { pc } = refs;
  if (!pc) return;
  const tracks = pc.getReceivers().map((r) => r.track).filter(Boolean);
  const current = refs.remoteStream ? refs.remoteStream.getTracks() : [];
  if (tracks.length === current.length && tracks.every((t) => current.includes(t))) return;
  refs.remoteStream = new MediaStream(tracks);
  ui.remoteVideo.srcObject = refs.remoteStream;
  startPlayback();
}

async function startPlayback() {
  const video = ui.remoteVideo;
  video.muted = false;
  try {
    await video.play();
    state.autoplayBlocked = false;
    ui.unmute.hidden = true;
  } catch (err) {
    if (err.name !== 'NotAllowedError') {
      // AbortError: a newer srcObject replaced this one; that load calls play() again.
      return;
    }
    // Sound needs a click first in this browser: play the picture muted meanwhile.
    state.autoplayBlocked = true;
    ui.unmute.hidden = false;
    video.muted = true;
    try {
      await video.play();
    } catch (mutedErr) {
      console.warn('mixmeet: muted playback failed too', mutedErr);
    }
  }
}

// The "Click to enable sound" button.
export async function enableSound() {
  ui.remoteVideo.muted = false;
  try {
    await ui.remoteVideo.play();
    state.autoplayBlocked = false;
    ui.unmute.hidden = true;
  } catch (err) {
    showError(`Could not start the sound: ${err.message}`);
  }
}

// Senders send what is shown (docs/protocol.md, send-hint): scale the camera down to the tile
// we are shown at and cap the bitrate, saving uplink and the server's decode and scale work.
export async function applySendHint() {
  const { pc, localStream } = refs;
  if (ignoreSendHint || !pc || !state.sendHint || !localStream) return;
  const track = localStream.getVideoTracks()[0];
  const transceiver = transceiverFor('video');
  if (!track || !transceiver || transceiver.sender.track !== track) return;
  const settings = track.getSettings();
  const scale = Math.max(
    1,
    (settings.width || state.sendHint.width) / Math.max(1, state.sendHint.width),
    (settings.height || state.sendHint.height) / Math.max(1, state.sendHint.height),
  );
  const parameters = transceiver.sender.getParameters();
  if (!parameters.encodings || parameters.encodings.length === 0) parameters.encodings = [{}];
  parameters.encodings[0].scaleResolutionDownBy = scale;
  parameters.encodings[0].maxBitrate = state.sendHint.maxBitrate;
  try {
    await transceiver.sender.setParameters(parameters);
    state.sendScale = scale;
  } catch (err) {
    console.warn('could not apply the send hint', err);
  }
}

// The transceiver of the server's audio or video m-line (m-lines 0 and 1; m-line 2, the
// screen, is share.js's).
function transceiverFor(kind) {
  const { pc } = refs;
  if (!pc) return null;
  const screen = screenTransceiver();
  return (
    pc
      .getTransceivers()
      .find((t) => t !== screen && !t.stopped && t.receiver.track && t.receiver.track.kind === kind) || null
  );
}

// Sends `track` (or nothing, for null) on the `kind` m-line without renegotiating: the
// answer already said sendrecv for every device we have (handleOffer). Before the offer
// there is nothing to do: handleOffer picks up the current tracks.
export async function replaceSenderTrack(kind, track) {
  const transceiver = transceiverFor(kind);
  if (!transceiver || !answerSent) return;
  if (transceiver.currentDirection !== 'sendrecv' && transceiver.direction !== 'sendrecv') return;
  await transceiver.sender.replaceTrack(track);
  if (kind === 'video' && track) await applySendHint();
}

// A second offer for the PeerConnection that answered the first: an ICE restart (asked by
// us or by the server). The same transceivers answer it; the browser's answer carries new ICE
// credentials of its own and its new candidates trickle as before.
async function handleRestartOffer(pc, message) {
  mark('restartOffer');
  await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  refs.signaling.answer(pc.localDescription.sdp);
  for (const queued of pendingRemoteIce.splice(0)) {
    await addRemoteIce(queued);
  }
}

async function handleOffer(message) {
  if (answerSent && refs.pc && refs.pc.remoteDescription) {
    await handleRestartOffer(refs.pc, message);
    return;
  }
  mark('offer');
  const pc = ensurePeerConnection(); // offer before welcome: not per protocol, but harmless
  await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });

  // Every device we have is answered sendrecv, even one switched off now (its sender
  // sends nothing until replaceTrack gives it a track): turning it on needs no renegotiation.
  const { localStream } = refs;
  const screen = screenTransceiver();
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver === screen) continue; // m-line 2: share.js
    const kind = transceiver.receiver.track.kind;
    const available = kind === 'audio' ? state.hasMic : state.hasCamera;
    const track = localStream
      ? kind === 'audio'
        ? localStream.getAudioTracks()[0]
        : localStream.getVideoTracks()[0]
      : null;
    if (available || track) {
      await transceiver.sender.replaceTrack(track || null);
      transceiver.direction = 'sendrecv';
      state.sending[kind] = true;
    } else {
      transceiver.direction = 'recvonly';
    }
  }
  prepareScreenTransceiver();
  attachRemoteStream();

  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  refs.signaling.answer(pc.localDescription.sdp);
  answerSent = true;
  mark('answerSent');
  // A device switched on or off while the answer was being made: send what is live now.
  for (const kind of ['audio', 'video']) {
    const transceiver = transceiverFor(kind);
    const live = (kind === 'audio' ? localStream.getAudioTracks() : localStream.getVideoTracks())[0] || null;
    if (transceiver && transceiver.direction === 'sendrecv' && transceiver.sender.track !== live) {
      await transceiver.sender.replaceTrack(live);
    }
  }
  await applySendHint(); // a hint that came before the answer
  for (const queued of pendingLocalIce.splice(0)) {
    refs.signaling.ice(queued.candidate, queued.sdpMLineIndex);
  }
  for (const queued of pendingRemoteIce.splice(0)) {
    await addRemoteIce(queued);
  }
  renderStatus();
}

async function addRemoteIce(message) {
  const { pc } = refs;
  if (!pc || !pc.remoteDescription) {
    pendingRemoteIce.push(message);
    return;
  }
  let candidate = typeof message.candidate === 'string' ? message.candidate : '';
  if (candidate.startsWith('a=')) candidate = candidate.slice(2);
  try {
    if (candidate === '') {
      await pc.addIceCandidate(); // end-of-candidates
    } else {
      await pc.addIceCandidate({ candidate, sdpMLineIndex: message.sdpMLineIndex ?? 0 });
    }
  } catch (err) {
    // One unusable candidate (an unresolvable .local name, say) is not fatal.
    console.warn('mixmeet: ignoring remote candidate', candidate, err);
  }
}

// Runs `task` after everything queued before it; a failure is shown, not thrown.
export function enqueue(task) {
  work = work.then(task).catch((err) => {
    if (state.ended) return; // the connection was closed under the task: nothing to report
    console.error('mixmeet:', err);
    showError(`Could not set up the call: ${err.message}`);
  });
}

// Closes the peer connection (the session ended).
export function closePeer() {
  if (refs.pc) refs.pc.close();
}

// Forgets the closed connection so that a new session (rejoin) starts from scratch.
export function resetPeer() {
  closePeer();
  if (iceRestartTimer) clearTimeout(iceRestartTimer);
  iceRestartTimer = null;
  refs.pc = null;
  refs.remoteStream = null;
  answerSent = false;
  pendingLocalIce.length = 0;
  pendingRemoteIce.length = 0;
  work = Promise.resolve();
  state.sending = { audio: false, video: false };
  state.sendHint = null;
  state.quality = null;
}

// Registers the offer, ice and send-hint handlers on a SignalingClient.
export function attachPeer(signaling) {
  signaling.on('offer', (message) => enqueue(() => handleOffer(message)));
  signaling.on('ice', (message) => enqueue(() => addRemoteIce(message)));
  signaling.on('send-hint', (message) => {
    state.sendHint = {
      width: message.width,
      height: message.height,
      maxBitrate: message.maxBitrate,
    };
    enqueue(applySendHint);
  });
}
