// The profile page: who you are, edit the profile, change the password, meeting history.
import { api, logout, requireUser } from './api.js';
import {
  $,
  FormUi,
  displayNameError,
  el,
  emailError,
  errorText,
  formatDate,
  formatDuration,
  formatTime,
  passwordError,
  setupTopbar,
  usernameError,
} from './ui.js';

let user = await requireUser();
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

function renderUser() {
  $('user-name').textContent = user.displayName;
  $('profile-display-name').textContent = user.displayName;
  $('profile-email').textContent = user.email;
  $('profile-username').textContent = `@${user.username}`;
  $('display-name').value = user.displayName;
  $('username').value = user.username;
  $('email').value = user.email;
}
renderUser();

// ---------------------------------------------------------------- profile

{
  const form = $('profile-form');
  const ui = new FormUi(form);
  const inputs = { displayName: $('display-name'), username: $('username'), email: $('email') };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {
      displayName: inputs.displayName.value.trim(),
      username: inputs.username.value.trim().toLowerCase(),
      email: inputs.email.value.trim(),
    };
    const checks = {
      displayName: displayNameError(values.displayName),
      username: usernameError(values.username),
      email: emailError(values.email),
    };
    for (const [field, problem] of Object.entries(checks)) {
      if (problem) return ui.error(problem, inputs[field]);
    }
    const changes = {};
    if (values.displayName !== user.displayName) changes.displayName = values.displayName;
    for (const field of ['username', 'email']) {
      if (values[field].toLowerCase() !== String(user[field]).toLowerCase()) changes[field] = values[field];
    }
    if (!Object.keys(changes).length) return ui.ok('Nothing to save: no changes.');
    ui.busy(true);
    try {
      const data = await api.patch('/api/me', changes);
      user = data.user || { ...user, ...changes };
      renderUser();
      ui.ok('Saved.');
    } catch (err) {
      const field = { 'email-taken': inputs.email, 'username-taken': inputs.username }[err.code];
      ui.error(errorText(err), field || null);
    } finally {
      ui.busy(false);
    }
  });
}

// ---------------------------------------------------------------- password

{
  const form = $('password-form');
  const ui = new FormUi(form);
  const current = $('current-password');
  const next = $('new-password');
  const next2 = $('new-password2');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!current.value) return ui.error('Please enter your current password.', current);
    const problem = passwordError(next.value, user);
    if (problem) return ui.error(problem, next);
    if (next.value !== next2.value) return ui.error('The two new passwords differ.', next2);
    ui.busy(true);
    try {
      await api.post('/api/me/password', { currentPassword: current.value, newPassword: next.value });
      form.reset();
      ui.ok('Password changed. Your other sign-ins were ended.');
    } catch (err) {
      if (err.code === 'forbidden') ui.error('The current password is wrong.', current);
      else ui.error(errorText(err), err.code === 'weak-password' ? next : null);
    } finally {
      ui.busy(false);
    }
  });
}

// ---------------------------------------------------------------- history

async function loadHistory() {
  const body = $('history-body');
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $('history-tz').textContent = zone ? `Times are in your time zone (${zone}).` : '';
  try {
    const { history = [] } = await api.get('/api/history');
    body.replaceChildren(
      ...history.map((h) => {
        const left = typeof h.leftAt === 'number';
        const duration = typeof h.durationMs === 'number' ? h.durationMs : (left ? h.leftAt : Date.now()) - h.joinedAt;
        return el(
          'tr',
          { dataset: { meetingId: h.meetingId } },
          el('td', { dataset: { label: 'Meeting' } }, el('a', { href: `/m/${h.meetingId}` }, h.title || h.meetingId)),
          el('td', { dataset: { label: 'Date' } }, formatDate(h.joinedAt)),
          el('td', { dataset: { label: 'Joined' } }, el('time', { dateTime: new Date(h.joinedAt).toISOString() }, formatTime(h.joinedAt, { seconds: true }))),
          el(
            'td',
            { dataset: { label: 'Left' } },
            left
              ? el('time', { dateTime: new Date(h.leftAt).toISOString() }, formatTime(h.leftAt, { seconds: true }))
              : el('span', { className: 'badge live' }, 'in progress'),
          ),
          el('td', { className: 'num', dataset: { label: 'Total time' } }, formatDuration(duration)),
          el('td', { className: 'recordings-cell', dataset: { label: 'Recordings' } }),
        );
      }),
    );
    $('history-empty').hidden = history.length > 0;
    $('history').hidden = history.length === 0;
    loadRecordings(body, [...new Set(history.map((h) => h.meetingId))]);
  } catch (err) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 6, className: 'form-error' }, `Could not load the history: ${errorText(err)}`)));
  }
}
// Each meeting's recordings (GET /api/recordings?meeting=ID), as download links in its rows.
async function loadRecordings(body, meetingIds) {
  for (const id of meetingIds) {
    let recordings = [];
    try {
      ({ recordings = [] } = await api.get(`/api/recordings?meeting=${encodeURIComponent(id)}`));
    } catch {
      continue; // The history still shows; recordings are an extra.
    }
    // kind (docs/api.md): webm (composite + mix), audio (the mix alone, WebM), mp4.
    const links = recordings.map((r) => {
      const label = r.kind === 'audio' ? 'Audio recording' : 'Recording';
      const extension = r.kind === 'mp4' ? 'mp4' : r.kind === 'audio' ? 'audio.webm' : 'webm';
      return el(
        'a',
        { className: 'recording-link', href: r.url, download: `${r.meetingId}-${r.id}.${extension}`, dataset: { kind: r.kind || 'webm' } },
        r.recording
          ? `${label} ${formatTime(r.startedAt)} (in progress)`
          : `${label} ${formatTime(r.startedAt)}, ${formatDuration(r.durationMs)}, ${formatSize(r.sizeBytes)}`,
      );
    });
    for (const row of body.querySelectorAll('tr')) {
      if (row.dataset.meetingId !== id) continue;
      const cell = row.querySelector('.recordings-cell');
      if (cell) cell.replaceChildren(...links.map((a) => a.cloneNode(true)));
    }
  }
}

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

loadHistory();
