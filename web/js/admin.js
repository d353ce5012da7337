// The admin page (/admin; docs/api.md, "Admin"): every live room, its participants and their
// link quality (tier, loss, round-trip time), refreshed every 2 s; End meeting and Remove.
// Only admins get the data: the server refuses everyone else (403 not-admin).
import { ApiError, api, logout, requireUser } from './api.js';
import { $, el, errorText, setupTopbar } from './ui.js';

const REFRESH_MS = 2000;

const user = await requireUser();
setupTopbar(user, {
  onSignOut: async () => {
    try {
      await logout();
    } catch {
      // go to the login page anyway
    }
    location.assign('/login.html');
  },
});

function showError(text) {
  const box = $('admin-error');
  box.textContent = text || '';
  box.hidden = !text;
}

async function act(path, body, what) {
  if (!window.confirm(what)) return;
  try {
    await api.post(path, body);
    showError('');
  } catch (err) {
    showError(errorText(err));
  }
  refresh();
}

function participantRow(room, p) {
  return el(
    'tr',
    { dataset: { participant: p.id } },
    el('td', {}, p.name, p.host ? ' (host)' : ''),
    el('td', {}, p.id),
    el('td', {}, p.inCall ? p.tier : 'not in call'),
    el('td', {}, `${(p.lossPermille / 10).toFixed(1)} %`),
    el('td', {}, `${p.rttMs} ms`),
    el(
      'td',
      {},
      el(
        'button',
        {
          type: 'button',
          className: 'small admin-remove',
          onclick: () =>
            act('/api/admin/remove', { room: room.name, participant: p.id }, `Remove ${p.name} from ${room.name}?`),
        },
        'Remove',
      ),
    ),
  );
}

function roomCard(room) {
  return el(
    'section',
    { className: 'admin-room', dataset: { room: room.name } },
    el(
      'h2',
      {},
      room.name,
      room.recording ? ' · recording' : '',
      ' ',
      el(
        'button',
        {
          type: 'button',
          className: 'small danger admin-end',
          onclick: () => act('/api/admin/end', { room: room.name }, `End the meeting ${room.name} for everyone?`),
        },
        'End meeting',
      ),
    ),
    el(
      'table',
      { className: 'history-table admin-participants' },
      el(
        'thead',
        {},
        el('tr', {}, ...['Name', 'Id', 'Tier', 'Loss', 'Round trip', ''].map((h) => el('th', { scope: 'col' }, h))),
      ),
      el('tbody', {}, ...room.participants.map((p) => participantRow(room, p))),
    ),
  );
}

// Fetches and shows the rooms; false when this account is not an admin (stop polling).
async function refresh() {
  try {
    const data = await api.get('/api/admin/rooms');
    const rooms = data.rooms || [];
    $('admin-rooms').replaceChildren(...rooms.map(roomCard));
    const people = rooms.reduce((n, r) => n + r.participants.length, 0);
    $('admin-status').textContent =
      rooms.length === 0 ? 'No live rooms.' : `${rooms.length} room(s), ${people} participant(s).`;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not-admin') {
      $('admin-status').textContent = 'This page is for server admins only.';
      return false;
    }
    showError(errorText(err));
  }
  return true;
}

if (await refresh()) setInterval(refresh, REFRESH_MS);
