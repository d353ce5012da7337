// Before the room: for /m/<id>, who we are and what the meeting is (REST API), the notices
// shown instead of the room (no such meeting, sign in), and the guest name form.

import { ApiError, api, currentUser } from '../api.js';
import { meetingUrl, parseMeetingId } from '../ui.js';
import { nameError } from '../validate.js';
import { $, ui } from './dom.js';
import { showError } from './status.js';
import { set, state } from './store.js';

// Replaces the room with a notice (no such meeting, sign-in needed, ...).
export function showNotice(title, text, action = null) {
  state.notice = { title, text };
  set({ ended: true });
  ui.roomMain.hidden = true;
  ui.controls.hidden = true;
  ui.pill.hidden = true;
  ui.notice.hidden = false;
  $('notice-title').textContent = title;
  $('notice-text').textContent = text;
  const link = $('notice-action');
  link.hidden = !action;
  if (action) {
    link.textContent = action.label;
    link.href = action.href;
  }
  document.title = `${title} – mixmeet`;
}

// Guests type a name first. Resolves with the name.
function askGuestName() {
  ui.roomMain.hidden = true;
  ui.controls.hidden = true;
  ui.prejoin.hidden = false;
  $('prejoin-title').textContent = `Join “${state.meeting.title}”`;
  $('prejoin-login').href = `/login.html?${new URLSearchParams({ next: location.pathname })}`;
  const input = $('guest-name');
  const errorBox = ui.prejoin.querySelector('.form-error');
  try {
    input.value = localStorage.getItem('mixmeet.name') || '';
  } catch {
    // storage disabled
  }
  input.focus();
  return new Promise((resolve) => {
    $('prejoin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const name = input.value.trim();
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
      ui.prejoin.hidden = true;
      ui.roomMain.hidden = false;
      ui.controls.hidden = false;
      resolve(name);
    });
  });
}

// For /m/<id>: who we are, what the meeting is, and the name to join with. Returns false
// when the page shows a notice instead.
export async function prepareMeeting() {
  const id = parseMeetingId(state.room);
  if (!id) {
    showNotice('No such meeting', `“${state.room}” is not a meeting ID. Meeting IDs look like abc-defg-hij.`);
    return false;
  }
  state.room = id;
  ui.roomName.textContent = id;
  try {
    state.user = await currentUser();
  } catch (err) {
    showError(`Cannot reach the server: ${err.message}`, { fatal: true });
    return false;
  }
  try {
    state.meeting = (await api.get(`/api/meetings/${encodeURIComponent(id)}`)).meeting;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      showNotice(
        'No such meeting',
        `There is no meeting with the ID ${id}. Check the link you were given.`,
        state.user ? null : { label: 'Sign in', href: '/login.html' },
      );
    } else if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      showNotice('Sign in to join', 'This meeting is for people with an account. Sign in (or create an account) to join.', {
        label: 'Sign in',
        href: `/login.html?${new URLSearchParams({ next: location.pathname })}`,
      });
    } else {
      showError(`Could not load the meeting: ${err.message}`, { fatal: true });
    }
    return false;
  }
  const title = state.meeting.title || id;
  ui.roomName.textContent = title;
  ui.meetingId.textContent = id;
  ui.meetingId.hidden = false;
  ui.copyLink.hidden = false;
  ui.copyLink.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(meetingUrl(id));
      ui.copyLink.textContent = 'Copied';
    } catch {
      window.prompt('Copy the meeting link:', meetingUrl(id));
    }
  });
  document.title = `${title} – mixmeet`;
  state.name = state.user ? state.user.displayName : await askGuestName();
  return true;
}
