// Camera and microphone pickers: every <select class="device-select" data-kind="audio|video">
// on the page lists the devices of its kind (enumerateDevices) and switches to the one
// picked (media.js switchDevice: replaceTrack in a call, no rejoin).

import { switchDevice } from './media.js';
import { state, subscribe } from './store.js';

const KIND_OF = { audio: 'audioinput', video: 'videoinput' };
let devices = []; // MediaDeviceInfo[] from the last enumerateDevices()

function selects() {
  return [...document.querySelectorAll('select.device-select')];
}

function render() {
  for (const select of selects()) {
    const kind = select.dataset.kind;
    const list = devices.filter((d) => d.kind === KIND_OF[kind]);
    const chosen = state.devices[kind];
    select.replaceChildren(
      ...list.map((d, i) => {
        const option = document.createElement('option');
        option.value = d.deviceId;
        option.textContent = d.label || `${kind === 'audio' ? 'Microphone' : 'Camera'} ${i + 1}`;
        return option;
      }),
    );
    if (list.length === 0) {
      const none = document.createElement('option');
      none.value = '';
      none.textContent = kind === 'audio' ? 'No microphone' : 'No camera';
      select.append(none);
    }
    if (chosen && list.some((d) => d.deviceId === chosen)) select.value = chosen;
    select.disabled = list.length === 0 || !(kind === 'audio' ? state.hasMic : state.hasCamera);
  }
}

// Reads the device list again (labels appear once getUserMedia was allowed).
export async function refreshDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch (err) {
    console.warn('mixmeet: enumerateDevices failed', err);
    devices = [];
  }
  render();
  return devices.map((d) => ({ kind: d.kind, deviceId: d.deviceId, label: d.label }));
}

export function initDevices() {
  for (const select of selects()) {
    select.addEventListener('change', () => switchDevice(select.dataset.kind, select.value));
  }
  if (navigator.mediaDevices && 'ondevicechange' in navigator.mediaDevices) {
    navigator.mediaDevices.addEventListener('devicechange', () => refreshDevices());
  }
  subscribe(['devices', 'hasMic', 'hasCamera', 'mediaTried'], (s, changed) => {
    if (changed.includes('mediaTried')) refreshDevices();
    else render();
  });
}
