// Before the room: for /m/<id>, who we are and what the meeting is (REST API), and the
// notices shown instead of the room (no such meeting, sign in).

import { ApiError, api, currentUser } from '../api.js';
import { meetingUrl, parseMeetingId } from '../ui.js';
import { $, ui } from './dom.js';
import { showError } from './status.js';
import { set, state } from './store.js';

// Replaces the room with a notice (no such meeting, sign-in needed, ...).
export function showNotice(title, text, action = null) {
  state.notice = { title, text };
  set({ ended: true, phase: 'notice' });
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

// For /m/<id>: who we are and what the meeting is. Returns false when the page shows a
// notice instead. The name to join with is the account's; guests type one in the lobby.
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
  if (state.user) state.name = state.user.displayName;
  return true;
}
