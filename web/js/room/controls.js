// The control bar (mute, camera, received quality, chat, leave) and the lobby's own mute
// and camera buttons, which do the same.

import { ui } from './dom.js';
import { setCameraOff, setMicMuted } from './media.js';
import { leave } from './session.js';
import { refs, state, subscribe } from './store.js';

export function renderControls() {
  const buttons = [
    [ui.mic, ui.lobbyMic],
    [ui.cam, ui.lobbyCam],
  ];
  for (const button of buttons[0]) {
    button.disabled = !state.hasMic || state.ended;
    button.setAttribute('aria-pressed', String(state.micMuted));
    button.querySelector('.label').textContent = state.micMuted ? 'Unmute' : 'Mute';
    button.title = state.hasMic ? '' : 'No microphone';
  }
  for (const button of buttons[1]) {
    button.disabled = !state.hasCamera || state.ended;
    button.setAttribute('aria-pressed', String(state.cameraOff));
    button.querySelector('.label').textContent = state.cameraOff ? 'Camera on' : 'Camera off';
    button.title = state.hasCamera ? '' : 'No camera';
  }
  // The lobby's buttons work before joining (ended is about the call).
  ui.lobbyMic.disabled = !state.hasMic;
  ui.lobbyCam.disabled = !state.hasCamera;
}

export function toggleMic() {
  return setMicMuted(!state.micMuted);
}

export function toggleCamera() {
  return setCameraOff(!state.cameraOff);
}

// Asks the server for a received quality tier (auto | high | medium | low | audio).
export function setQuality(tier) {
  ui.quality.value = tier;
  if (refs.signaling) refs.signaling.send({ type: 'set-quality', tier });
}

export function initControls() {
  for (const button of [ui.mic, ui.lobbyMic]) button.addEventListener('click', toggleMic);
  for (const button of [ui.cam, ui.lobbyCam]) button.addEventListener('click', toggleCamera);
  ui.quality.addEventListener('change', () => {
    if (refs.signaling) refs.signaling.send({ type: 'set-quality', tier: ui.quality.value });
  });
  ui.leave.addEventListener('click', leave);
  subscribe(['micMuted', 'cameraOff', 'ended', 'hasMic', 'hasCamera'], renderControls);
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
