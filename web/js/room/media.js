// Local camera and microphone. refs.localStream is one MediaStream holding the live local
// tracks (at most one of each kind); the self-view, the lobby preview and the peer
// connection's senders follow it.
//
// Off means off: a muted microphone or a camera turned off has its track stopped (the
// camera light goes out) and nothing is sent (RTCRtpSender.replaceTrack(null)); turning it
// back on opens the chosen device again. Changing device (switchDevice) replaces the track
// in place, in the lobby and during the call, without renegotiation.
//
// setMicMuted/setCameraOff change state at once (the buttons show the choice immediately);
// the tracks follow asynchronously, one change at a time (reconcile).

import { replaceSenderTrack } from './peer.js';
import { showError } from './status.js';
import { refs, set, state } from './store.js';

const KINDS = ['audio', 'video'];

function currentTrack(kind) {
  const stream = refs.localStream;
  if (!stream) return null;
  return (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0] || null;
}

function wanted(kind) {
  return kind === 'audio' ? state.hasMic && !state.micMuted : state.hasCamera && !state.cameraOff;
}

function constraint(kind) {
  const id = state.devices[kind];
  return id ? { deviceId: { exact: id } } : true;
}

// Tells everyone (self-view, lobby, controls) which local tracks are live now.
function publish() {
  const audio = currentTrack('audio');
  const video = currentTrack('video');
  set({ localAudio: audio ? audio.id : null, localVideo: video ? video.id : null });
}

function rememberDevice(track) {
  const id = track.getSettings().deviceId;
  if (id && state.devices[track.kind] !== id) set({ devices: { ...state.devices, [track.kind]: id } });
}

async function removeTrack(kind) {
  const track = currentTrack(kind);
  if (!track) return;
  track.stop();
  refs.localStream.removeTrack(track);
  await replaceSenderTrack(kind, null);
}

async function addTrack(track) {
  refs.localStream ??= new MediaStream();
  refs.localStream.addTrack(track);
  rememberDevice(track);
  await replaceSenderTrack(track.kind, track);
}

// Makes the local track of `kind` match the user's choice (on/off and device).
async function apply(kind) {
  const track = currentTrack(kind);
  if (!wanted(kind)) {
    await removeTrack(kind);
    publish();
    return;
  }
  const device = state.devices[kind];
  if (track && track.readyState === 'live' && (!device || track.getSettings().deviceId === device)) return;
  // Cameras are often exclusive: release the old one before opening the new one.
  await removeTrack(kind);
  publish();
  let fresh;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraint(kind) });
    fresh = stream.getTracks()[0];
  } catch (err) {
    showError(`Could not turn the ${kind === 'audio' ? 'microphone' : 'camera'} on (${err.name}: ${err.message}).`);
    set(kind === 'audio' ? { micMuted: true } : { cameraOff: true });
    return;
  }
  if (!wanted(kind)) {
    fresh.stop(); // switched off again while the device was opening
    return;
  }
  await addTrack(fresh);
  publish();
}

let chain = Promise.resolve();

// Queues apply(kind); resolves when the tracks match the state.
export function reconcile(kind) {
  chain = chain.then(() => apply(kind)).catch((err) => console.error('mixmeet: local media', err));
  return chain;
}

export function setMicMuted(muted) {
  if (!state.hasMic) return Promise.resolve();
  set({ micMuted: !!muted });
  return reconcile('audio');
}

export function setCameraOff(off) {
  if (!state.hasCamera) return Promise.resolve();
  set({ cameraOff: !!off });
  return reconcile('video');
}

// Uses another camera or microphone (a deviceId from enumerateDevices). A device that is
// off stays off; it is used when turned on.
export function switchDevice(kind, deviceId) {
  if (!KINDS.includes(kind)) return Promise.resolve();
  set({ devices: { ...state.devices, [kind]: deviceId || null } });
  return reconcile(kind);
}

// Stops every local track (leaving). hasMic/hasCamera and the choices are kept for a rejoin.
export async function stopLocalMedia() {
  await chain;
  for (const track of refs.localStream ? refs.localStream.getTracks() : []) {
    track.stop();
    refs.localStream.removeTrack(track);
  }
  publish();
}

// Opens the tracks the user's choices ask for again (rejoining after stopLocalMedia).
export async function restartLocalMedia() {
  await reconcile('audio');
  await reconcile('video');
}

// First opening of camera and microphone, with the fallbacks: microphone only, then
// receive-only. Sets hasMic/hasCamera and state.mediaError; never rejects.
export async function openLocalMedia() {
  let stream = null;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.mediaError = 'this browser (or a page not served over HTTPS) has no camera access';
    showError(`Camera and microphone unavailable: ${state.mediaError}. Joining to watch and listen only.`);
  } else {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: constraint('video'), audio: constraint('audio') });
    } catch (err) {
      state.mediaError = `${err.name}: ${err.message}`;
    }
    // The commonest partial failure is a machine without a camera: still let people talk.
    if (!stream) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: constraint('audio') });
        showError(`Camera unavailable (${state.mediaError}). Joining with the microphone only.`);
      } catch {
        showError(
          `Camera and microphone unavailable (${state.mediaError}). Joining to watch and listen only.`,
        );
      }
    }
  }
  refs.localStream = stream || new MediaStream();
  for (const track of refs.localStream.getTracks()) rememberDevice(track);
  set({
    hasMic: refs.localStream.getAudioTracks().length > 0,
    hasCamera: refs.localStream.getVideoTracks().length > 0,
    mediaTried: true,
  });
  // Choices made before the devices opened (none today) still hold.
  await reconcile('audio');
  await reconcile('video');
  publish();
  return refs.localStream;
}
