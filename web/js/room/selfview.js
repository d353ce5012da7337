// The mirrored self-view (in the call's sidebar, and the lobby's preview): the local camera
// track itself, never a crop of the composite, so it shows at once and at full quality. When
// the camera is off (or there is none) it says so instead.

import { ui } from './dom.js';
import { refs, state, subscribe } from './store.js';

function note() {
  if (!state.mediaTried) return 'Starting your camera…';
  if (!state.hasCamera) return state.mediaError ? 'No camera: others see a black tile.' : 'No camera.';
  if (state.cameraOff) return 'Your camera is off.';
  if (!state.localVideo) return 'Starting your camera…';
  return null;
}

export function renderSelfView() {
  const track = refs.localStream ? refs.localStream.getVideoTracks()[0] : null;
  const text = note();
  for (const [video, label] of [
    [ui.localVideo, ui.localNote],
    [ui.lobbyVideo, ui.lobbyVideoNote],
  ]) {
    if (!video) continue;
    const shown = video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
    if (track !== shown) video.srcObject = track ? new MediaStream([track]) : null;
    video.hidden = !track || text !== null;
    label.hidden = text === null;
    label.textContent = text || '';
    video.closest('.self-panel, .preview-frame')?.classList.toggle('camera-off', text !== null);
  }
}

export function initSelfView() {
  subscribe(['localVideo', 'cameraOff', 'hasCamera', 'mediaTried'], renderSelfView);
  renderSelfView();
}
