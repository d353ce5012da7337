// Recording: the host's Record button in the control bar and the "Recording" indicator in the
// top bar that everyone sees (docs/recording.md). The server says who is host (it refuses
// `record` from anyone else with error not-host); the page shows the button to the meeting's
// host (meeting.isHost from GET /api/meetings/<id>).
//
// The host picks "Audio only" beside the button before starting: the recording is then the
// full mix alone (`record` {on: true, audioOnly: true}).
//
// state.recording: {on, startedAt, audioOnly} from the server's `recording` message (off until
// one).

import { $ } from './dom.js';
import { notify } from './notify.js';
import { refs, set, state, subscribe } from './store.js';

const button = $('record-button');
const indicator = $('recording-indicator');
const audioOnlyLabel = $('record-audio-only-label');
const audioOnlyBox = $('record-audio-only');

function render() {
  const on = Boolean(state.recording && state.recording.on);
  indicator.hidden = !on;
  const host = Boolean(state.meeting && state.meeting.isHost);
  button.hidden = !host;
  button.disabled = !host || state.ended || state.signaling !== 'joined' || state.recordingPending;
  button.setAttribute('aria-pressed', String(on));
  button.querySelector('.label').textContent = on ? 'Stop recording' : 'Record';
  // The choice is made before starting; while recording it shows what is recorded.
  audioOnlyLabel.hidden = !host;
  audioOnlyBox.disabled = button.disabled || on;
  if (on) audioOnlyBox.checked = Boolean(state.recording.audioOnly);
  indicator.lastChild.textContent = on && state.recording.audioOnly ? 'Recording audio' : 'Recording';
}

// Asks the server to start or stop recording (host only).
export function setRecording(on, audioOnly = audioOnlyBox.checked) {
  if (!refs.signaling) return;
  set({ recordingPending: true });
  const message = { type: 'record', on };
  if (on && audioOnly) message.audioOnly = true;
  refs.signaling.send(message);
}

export function initRecording() {
  state.recording = { on: false, startedAt: 0, audioOnly: false };
  state.recordingPending = false;
  button.addEventListener('click', () => setRecording(!(state.recording && state.recording.on)));
  subscribe(['recording', 'recordingPending', 'meeting', 'ended', 'signaling'], render);
  render();
}

// Errors a record request can get, in words; null for other codes.
export function recordingError(code) {
  const text = {
    'not-host': 'Only the meeting’s host can record it.',
    'no-space': 'The server is short of disk space: the meeting cannot be recorded now.',
  }[code];
  if (text || (code === 'bad-state' && state.recordingPending)) {
    set({ recordingPending: false });
  }
  return text || null;
}

// Registers the recording message handler on a SignalingClient.
export function attachRecording(signaling) {
  signaling.on('recording', (message) => {
    const was = Boolean(state.recording && state.recording.on);
    const on = Boolean(message.on);
    set({
      recording: { on, startedAt: message.startedAt || 0, audioOnly: Boolean(message.audioOnly) },
      recordingPending: false,
    });
    if (on !== was) notify(on ? 'This meeting is being recorded.' : 'Recording stopped.');
  });
}
