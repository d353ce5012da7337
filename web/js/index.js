// The dashboard: join by ID, create a meeting, my meetings, and calling other users over a
// presence WebSocket (docs/protocol.md "Presence and calls").
import { api, logout, requireUser } from './api.js';
import { SignalingClient } from './signaling.js';
import { $, FormUi, el, errorText, formatDateTime, meetingUrl, parseMeetingId, setupTopbar } from './ui.js';

const user = await requireUser();
// Server admins (mixmeet set-role) get the admin page's link.
$('admin-link').hidden = !user.admin;
setupTopbar(user, {
  onSignOut: async () => {
    stopPresence();
    try {
      await logout();
    } catch {
      // the cookie may be gone already: go to the login page anyway
    }
    location.assign('/login.html');
  },
});
document.title = 'mixmeet';

// ---------------------------------------------------------------- join by ID

{
  const form = $('join-form');
  const input = $('join-id');
  const ui = new FormUi(form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = parseMeetingId(input.value);
    if (!id) {
      ui.error('Enter a meeting ID like abc-defg-hij, or paste a meeting link.', input);
      return;
    }
    location.assign(`/m/${id}`);
  });
}

// ---------------------------------------------------------------- new meeting

{
  const form = $('new-form');
  const title = $('new-title-input');
  const guests = $('new-guests');
  const ui = new FormUi(form);
  const result = $('new-result');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = title.value.trim();
    if (!value) return ui.error('Please give the meeting a title.', title);
    if ([...value].length > 100) return ui.error('The title is too long: at most 100 characters.', title);
    ui.busy(true);
    try {
      const { meeting } = await api.post('/api/meetings', { title: value, allowGuests: guests.checked });
      showNewMeeting(meeting);
      loadMeetings();
    } catch (err) {
      ui.error(errorText(err));
    } finally {
      ui.busy(false);
    }
  });

  function showNewMeeting(meeting) {
    const link = new URL(meeting.link || `/m/${meeting.id}`, location.origin).href;
    $('new-result-title').textContent = meeting.title;
    $('new-meeting-id').textContent = meeting.id;
    $('new-meeting-link').value = link;
    $('start-button').href = `/m/${meeting.id}`;
    $('copy-note').textContent = meeting.allowGuests
      ? 'Anyone with the link can join, with or without an account.'
      : 'People need an account to join.';
    form.hidden = true;
    result.hidden = false;
    result.dataset.meetingId = meeting.id;
  }

  $('copy-button').addEventListener('click', async () => {
    const input = $('new-meeting-link');
    try {
      await navigator.clipboard.writeText(input.value);
      $('copy-note').textContent = 'Link copied.';
    } catch {
      input.focus();
      input.select();
      $('copy-note').textContent = 'Press Ctrl+C (⌘C) to copy the selected link.';
    }
  });

  $('another-button').addEventListener('click', () => {
    result.hidden = true;
    form.hidden = false;
    title.value = '';
    guests.checked = false;
    title.focus();
  });
}

// ---------------------------------------------------------------- my meetings

async function loadMeetings() {
  const list = $('meetings');
  try {
    const { meetings = [] } = await api.get('/api/meetings');
    list.replaceChildren(
      ...meetings.map((m) =>
        el(
          'li',
          { dataset: { meetingId: m.id } },
          el('a', { className: 'meeting-title', href: `/m/${m.id}` }, m.title),
          el(
            'span',
            { className: 'meeting-meta' },
            el('time', { dateTime: new Date(m.createdAt).toISOString() }, formatDateTime(m.createdAt)),
            el('code', { className: 'meeting-id' }, m.id),
            m.isHost ? el('span', { className: 'badge' }, 'host') : `host: ${m.hostName || '?'}`,
            m.allowGuests ? el('span', { className: 'badge' }, 'guests') : null,
          ),
          el('a', { className: 'meeting-link', href: `/m/${m.id}` }, meetingUrl(m.id)),
        ),
      ),
    );
    $('meetings-empty').hidden = meetings.length > 0;
  } catch (err) {
    list.replaceChildren(el('li', { className: 'form-error' }, `Could not load your meetings: ${errorText(err)}`));
  }
}
loadMeetings();

// ---------------------------------------------------------------- presence and calls

const presence = {
  client: null,
  online: false,
  stopped: false,
  retryMs: 1000,
  incoming: null, // {callId, from}
  outgoing: null, // {callId, to: {username, displayName}}
};

function setPresence(online) {
  presence.online = online;
  const badge = $('presence-state');
  badge.dataset.online = String(online);
  badge.textContent = online ? 'you are reachable' : 'offline';
  document.body.dataset.presence = online ? 'online' : 'offline';
  renderUsers();
}

function startPresence() {
  if (presence.stopped) return;
  const client = new SignalingClient();
  presence.client = client;
  client.on('presence', (m) => {
    presence.retryMs = 1000;
    setPresence(m.online !== false);
  });
  client.on('incoming-call', (m) => {
    presence.incoming = { callId: m.callId, from: m.from || {} };
    showCallPanel('incoming');
  });
  client.on('call-ringing', (m) => {
    presence.outgoing = { callId: m.callId, to: m.to || presence.outgoing?.to || {} };
    callStatus(`Ringing ${who(presence.outgoing.to)}…`);
    showCallPanel('outgoing');
  });
  client.on('call-accepted', (m) => {
    callStatus('Call accepted: joining the meeting…');
    stopPresence();
    location.assign(`/m/${m.meetingId}`);
  });
  client.on('call-declined', (m) => {
    if (presence.incoming && presence.incoming.callId === m.callId) {
      presence.incoming = null;
      hideCallPanel();
      callStatus('The caller hung up, or the call timed out.');
      return;
    }
    const to = presence.outgoing ? who(presence.outgoing.to) : 'They';
    presence.outgoing = null;
    showCallPanel('ended', `${to} did not take the call.`);
    callStatus(`${to} did not take the call.`);
  });
  client.on('error', (m) => {
    const text =
      {
        offline: 'That user is not online right now.',
        'no-such-user': 'There is no such user.',
        'bad-state': 'You cannot call yourself.',
      }[m.code] || `Server error (${m.code}): ${m.message || ''}`;
    if (presence.outgoing) {
      presence.outgoing = null;
      showCallPanel('ended', text);
    }
    callStatus(text);
  });
  client.on('bye', () => {});
  client.on('close', () => {
    if (presence.client !== client) return;
    setPresence(false);
    if (presence.stopped) return;
    setTimeout(startPresence, presence.retryMs);
    presence.retryMs = Math.min(presence.retryMs * 2, 30000);
  });
  client
    .connect()
    .then(() => client.send({ type: 'presence' }))
    .catch(() => {}); // the close handler retries
}

function stopPresence() {
  presence.stopped = true;
  if (presence.client) presence.client.close();
}

function who(person) {
  if (!person) return 'someone';
  return person.displayName ? `${person.displayName} (@${person.username})` : `@${person.username}`;
}

function callStatus(text) {
  $('call-status').textContent = text;
}

function showCallPanel(kind, text) {
  const panel = $('call-panel');
  panel.dataset.kind = kind;
  $('call-accept').hidden = kind !== 'incoming';
  $('call-decline').hidden = kind !== 'incoming';
  $('call-dismiss').hidden = kind !== 'ended';
  if (kind === 'incoming') $('call-text').textContent = `${who(presence.incoming.from)} is calling you`;
  else if (kind === 'outgoing') $('call-text').textContent = `Calling ${who(presence.outgoing.to)}…`;
  else $('call-text').textContent = text;
  panel.hidden = false;
}

function hideCallPanel() {
  $('call-panel').hidden = true;
}

function answerCall(accept) {
  if (!presence.incoming) return hideCallPanel();
  presence.client.send({ type: 'call-answer', callId: presence.incoming.callId, accept });
  if (accept) {
    $('call-text').textContent = 'Joining the meeting…';
    $('call-accept').disabled = true;
    $('call-decline').disabled = true;
  } else {
    presence.incoming = null;
    hideCallPanel();
  }
}

$('call-accept').addEventListener('click', () => answerCall(true));
$('call-decline').addEventListener('click', () => answerCall(false));
$('call-dismiss').addEventListener('click', hideCallPanel);

function placeCall(target) {
  if (!presence.online) {
    callStatus('Not connected to the server yet; try again in a moment.');
    return;
  }
  presence.outgoing = { callId: null, to: { username: target.username, displayName: target.displayName } };
  presence.client.send({ type: 'call', username: target.username });
  showCallPanel('outgoing');
  callStatus(`Calling ${who(presence.outgoing.to)}…`);
}

// ---------------------------------------------------------------- user search

// The server answers only queries of 3 characters or more (docs/api.md, GET /api/users).
const MIN_SEARCH_CHARS = 3;
let users = [];
let searchSeq = 0;
let searchTimer = null;
let refreshTimer = null;

async function search() {
  const q = $('user-search').value.trim();
  clearTimeout(refreshTimer);
  if ([...q].length < MIN_SEARCH_CHARS) {
    users = [];
    renderUsers();
    return;
  }
  const seq = ++searchSeq;
  try {
    const data = await api.get(`/api/users?${new URLSearchParams({ q })}`);
    if (seq !== searchSeq) return;
    users = (data.users || []).filter((u) => u.id !== user.id);
    renderUsers(q);
  } catch (err) {
    if (seq !== searchSeq) return;
    users = [];
    $('user-results').replaceChildren(el('li', { className: 'form-error' }, errorText(err)));
  }
  // Online dots change: look again now and then while the search is open.
  refreshTimer = setTimeout(search, 10000);
}

function renderUsers(q = $('user-search').value.trim()) {
  const list = $('user-results');
  if (!q) {
    list.replaceChildren();
    return;
  }
  if ([...q].length < MIN_SEARCH_CHARS) {
    list.replaceChildren(el('li', { className: 'hint' }, `Type at least ${MIN_SEARCH_CHARS} characters of a name.`));
    return;
  }
  if (!users.length) {
    list.replaceChildren(el('li', { className: 'hint' }, 'No users found.'));
    return;
  }
  list.replaceChildren(
    ...users.map((u) =>
      el(
        'li',
        { dataset: { username: u.username } },
        el('span', {
          className: 'dot',
          dataset: { online: String(!!u.online) },
          title: u.online ? 'online' : 'offline',
          attrs: { 'aria-label': u.online ? 'online' : 'offline', role: 'img' },
        }),
        el('span', { className: 'user-names' }, el('strong', {}, u.displayName), el('span', { className: 'muted' }, `@${u.username}`)),
        el(
          'button',
          {
            type: 'button',
            className: 'small primary call-button',
            disabled: !u.online || !presence.online,
            title: u.online ? `Call ${u.displayName}` : `${u.displayName} is offline`,
            onclick: () => placeCall(u),
          },
          'Call',
        ),
      ),
    ),
  );
}

$('user-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 200);
});

window.addEventListener('pagehide', stopPresence);
// Back/forward cache: the page comes back without its socket.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  presence.stopped = false;
  presence.retryMs = 1000;
  startPresence();
  loadMeetings();
});
setPresence(false);
startPresence();

// For tests and debugging in the console.
window.mixmeetDashboard = {
  user: () => ({ ...user }),
  presence: () => ({ online: presence.online, incoming: presence.incoming, outgoing: presence.outgoing }),
};
