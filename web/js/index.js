// The join form: validates the name and the room, remembers the name, and opens the room.
import { nameError, roomError } from './validate.js';

const NAME_KEY = 'mixmeet.name';

function storedName() {
  try {
    return localStorage.getItem(NAME_KEY) || '';
  } catch {
    return ''; // storage disabled (private mode, file://): just start empty
  }
}

function storeName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // not fatal: the name is only a convenience for next time
  }
}

function init() {
  const form = document.getElementById('join-form');
  const nameInput = document.getElementById('name');
  const roomInput = document.getElementById('room');
  const errorBox = document.getElementById('form-error');

  const params = new URLSearchParams(window.location.search);
  nameInput.value = params.get('name') || storedName();
  roomInput.value = params.get('room') || '';
  (nameInput.value ? roomInput : nameInput).focus();

  function showError(message, input) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    for (const el of [nameInput, roomInput]) {
      el.toggleAttribute('aria-invalid', el === input);
    }
    input.focus();
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = '';
    nameInput.removeAttribute('aria-invalid');
    roomInput.removeAttribute('aria-invalid');
  }

  nameInput.addEventListener('input', clearError);
  roomInput.addEventListener('input', clearError);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    const room = roomInput.value.trim();
    const badName = nameError(name);
    if (badName) {
      showError(badName, nameInput);
      return;
    }
    const badRoom = roomError(room);
    if (badRoom) {
      showError(badRoom, roomInput);
      return;
    }
    storeName(name);
    const query = new URLSearchParams({ room, name });
    window.location.assign(`room.html?${query}`);
  });
}

init();
