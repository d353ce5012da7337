// The lobby: before joining, pick camera and microphone, see the (mirrored) preview and a
// live microphone level, choose to join with each on or off, and, for guests, type a name.
// runLobby() resolves with the name to join with once the user presses Join.

import { $, ui } from './dom.js';
import { startMeter } from './meter.js';
import { openLocalMedia } from './media.js';
import { refs, set, state, subscribe } from './store.js';
import { nameError } from '../validate.js';

let stopMeter = () => {};

function renderMeter() {
  stopMeter();
  stopMeter = () => {};
  if (state.phase !== 'lobby') return;
  const track = refs.localStream ? refs.localStream.getAudioTracks()[0] : null;
  if (track) stopMeter = startMeter(track, ui.micLevel);
}

function mediaNote() {
  const note = $('lobby-media-note');
  let text = null;
  if (state.mediaTried && !state.hasMic && !state.hasCamera) {
    text = 'No camera or microphone: you will watch and listen only.';
  } else if (state.mediaTried && !state.hasCamera) {
    text = 'No camera: you will join with the microphone only.';
  }
  note.hidden = text === null;
  note.textContent = text || '';
}

// Shows the lobby; resolves with the name once Join is pressed. `askName`: a guest types one.
export function runLobby({ title, askName, signInHref = null }) {
  set({ phase: 'lobby' });
  $('prejoin-title').textContent = title;
  const links = $('prejoin-links');
  links.hidden = !signInHref;
  if (signInHref) $('prejoin-login').href = signInHref;
  const fields = $('guest-fields');
  fields.hidden = !askName;
  const input = $('guest-name');
  const errorBox = ui.prejoin.querySelector('.form-error');
  if (askName) {
    try {
      input.value = localStorage.getItem('mixmeet.name') || '';
    } catch {
      // storage disabled
    }
    input.focus();
  }
  const unsubscribe = subscribe(['localAudio', 'phase'], renderMeter);
  const unsubscribeNote = subscribe(['hasMic', 'hasCamera', 'mediaTried'], mediaNote);
  const media = openLocalMedia();

  return new Promise((resolve) => {
    const form = $('prejoin-form');
    const onSubmit = async (event) => {
      event.preventDefault();
      let name = state.name;
      if (askName) {
        name = input.value.trim();
        const problem = nameError(name);
        if (problem) {
          errorBox.textContent = problem;
          errorBox.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        try {
          localStorage.setItem('mixmeet.name', name);
        } catch {
          // not fatal
        }
      }
      form.removeEventListener('submit', onSubmit);
      $('prejoin-button').disabled = true;
      await media;
      unsubscribe();
      unsubscribeNote();
      stopMeter();
      resolve(name);
    };
    form.addEventListener('submit', onSubmit);
  });
}
