// The control bar: mute, camera, received quality, leave. Also the self-view note, which
// says what the camera buttons did.

import { ui } from './dom.js';
import { leave } from './session.js';
import { refs, set, state, subscribe } from './store.js';

export function renderControls() {
  const { localStream } = refs;
  const audio = localStream && localStream.getAudioTracks()[0];
  const video = localStream && localStream.getVideoTracks()[0];
  ui.mic.disabled = !audio || state.ended;
  ui.cam.disabled = !video || state.ended;
  ui.mic.setAttribute('aria-pressed', String(state.micMuted));
  ui.cam.setAttribute('aria-pressed', String(state.cameraOff));
  ui.mic.querySelector('.label').textContent = state.micMuted ? 'Unmute' : 'Mute';
  ui.cam.querySelector('.label').textContent = state.cameraOff ? 'Camera on' : 'Camera off';
  if (!audio) ui.mic.title = 'No microphone';
  if (!video) ui.cam.title = 'No camera';

  let note = null;
  if (!state.mediaTried) {
    note = null;
  } else if (!video) {
    note = state.mediaError ? 'No camera: others see a black tile.' : 'No camera.';
  } else if (state.cameraOff) {
    note = 'Your camera is off.';
  }
  ui.localNote.hidden = note === null;
  ui.localNote.textContent = note || '';
  ui.localVideo.hidden = !video || state.cameraOff;
}

export function toggleMic() {
  const track = refs.localStream && refs.localStream.getAudioTracks()[0];
  if (!track) return;
  track.enabled = state.micMuted;
  set({ micMuted: !state.micMuted });
}

export function toggleCamera() {
  const track = refs.localStream && refs.localStream.getVideoTracks()[0];
  if (!track) return;
  track.enabled = state.cameraOff;
  set({ cameraOff: !state.cameraOff });
}

// Asks the server for a received quality tier (auto | high | medium | low | audio).
export function setQuality(tier) {
  ui.quality.value = tier;
  if (refs.signaling) refs.signaling.send({ type: 'set-quality', tier });
}

export function initControls() {
  ui.mic.addEventListener('click', toggleMic);
  ui.cam.addEventListener('click', toggleCamera);
  ui.quality.addEventListener('change', () => {
    if (refs.signaling) refs.signaling.send({ type: 'set-quality', tier: ui.quality.value });
  });
  ui.leave.addEventListener('click', leave);
  subscribe(['micMuted', 'cameraOff', 'ended', 'mediaTried', 'mediaError'], renderControls);
  renderControls();
}

// Registers the quality message handler on a SignalingClient.
export function attachControls(signaling) {
  signaling.on('quality', (message) => {
    state.quality = {
      tier: message.tier,
      choice: message.choice,
      width: message.width,
      height: message.height,
      framerate: message.framerate,
    };
    ui.quality.disabled = false;
    ui.quality.value = message.choice;
    ui.qualityNow.textContent =
      message.tier === 'audio' ? 'audio only' : `${message.width}×${message.height}`;
  });
}
