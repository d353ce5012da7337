// In-memory stand-in for the REST API of docs/api.md and the account parts of the
// signaling protocol (meetings, chat, presence, calls), used by mock-server.mjs. Enough for
// working on web/ without the C++ server; not a security reference (plain-text passwords).

import crypto from 'node:crypto';

const users = []; // {id, email, username, displayName, password}
const sessions = new Map(); // token -> {userId, csrfToken}
const meetings = new Map(); // id -> {id, title, hostUserId, allowGuests, createdAt}
const participations = []; // {meetingId, userId, joinedAt, leftAt}
const chats = []; // {id, meetingId, userId?, name, text, sentAt}
const resets = new Map(); // token -> {userId, expiresAt, used}
const presence = new Map(); // userId -> Set(socket)
const calls = new Map(); // callId -> {from, to, timer}
let nextUserId = 1;
let nextChatId = 1;

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const bad = (message) => new HttpError(400, 'bad-request', message);

function publicUser(u) {
  return { id: u.id, email: u.email, username: u.username, displayName: u.displayName };
}

function meetingJson(m, viewer) {
  const host = users.find((u) => u.id === m.hostUserId);
  return {
    ...m,
    hostName: host ? host.displayName : '',
    link: `/m/${m.id}`,
    isHost: !!viewer && viewer.id === m.hostUserId,
  };
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function sessionOf(req) {
  const token = cookies(req).mm_session;
  const session = token && sessions.get(token);
  if (!session) return null;
  const user = users.find((u) => u.id === session.userId);
  return user ? { token, ...session, user } : null;
}

function newSession(res, user) {
  const token = crypto.randomBytes(32).toString('base64url');
  const csrfToken = crypto.randomBytes(16).toString('base64url');
  sessions.set(token, { userId: user.id, csrfToken });
  res.setHeader('Set-Cookie', `mm_session=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000`);
  return { user: publicUser(user), csrfToken };
}

function checkPassword(password, { username = '', email = '' } = {}) {
  if (typeof password !== 'string') throw bad('password: missing');
  if ([...password].length < 8) throw new HttpError(400, 'weak-password', 'The password must be at least 8 characters long.');
  if (/^(.)\1*$/su.test(password)) throw new HttpError(400, 'weak-password', 'The password must not be one repeated character.');
  const p = password.toLowerCase();
  if (p === username.toLowerCase() || p === email.toLowerCase()) {
    throw new HttpError(400, 'weak-password', 'The password must not be your username or email address.');
  }
}

function checkProfile(body, self = null) {
  const out = {};
  if (body.email !== undefined) {
    if (typeof body.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(body.email.trim())) throw bad('email: not an address');
    out.email = body.email.trim().toLowerCase();
    if (users.some((u) => u !== self && u.email === out.email)) throw new HttpError(409, 'email-taken', 'That email is already registered.');
  }
  if (body.username !== undefined) {
    if (typeof body.username !== 'string' || !/^[a-z0-9_.-]{3,32}$/i.test(body.username)) throw bad('username: 3–32 of a-z 0-9 _ . -');
    out.username = body.username.toLowerCase();
    if (users.some((u) => u !== self && u.username === out.username)) throw new HttpError(409, 'username-taken', 'That username is taken.');
  }
  if (body.displayName !== undefined) {
    const n = typeof body.displayName === 'string' ? body.displayName.trim() : '';
    if (!n || [...n].length > 64) throw bad('displayName: 1–64 characters');
    out.displayName = n;
  }
  return out;
}

function meetingId() {
  const letters = Array.from(crypto.randomBytes(10), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
}

export function findMeeting(id) {
  return meetings.get(id) || null;
}

function chatPage(meetingId, before, limit = 50) {
  let list = chats.filter((c) => c.meetingId === meetingId && (before === undefined || c.id < before));
  const hasMore = list.length > limit;
  list = list.slice(-limit);
  return { messages: list.map(({ meetingId: _m, ...rest }) => rest), hasMore };
}

function history(userId) {
  const now = Date.now();
  return participations
    .filter((p) => p.userId === userId)
    .sort((a, b) => b.joinedAt - a.joinedAt)
    .map((p) => ({
      meetingId: p.meetingId,
      title: meetings.get(p.meetingId)?.title || p.meetingId,
      joinedAt: p.joinedAt,
      ...(p.leftAt ? { leftAt: p.leftAt } : {}),
      durationMs: (p.leftAt || now) - p.joinedAt,
    }));
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new HttpError(413, 'too-large', 'Body over 16 KiB.');
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error();
    return body;
  } catch {
    throw bad('body: not a JSON object');
  }
}

// Answers /api/* requests; returns false for other paths.
export async function handleApi(req, res, { log = console.error } = {}) {
  const url = new URL(req.url, 'http://x');
  if (!url.pathname.startsWith('/api/')) return false;
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body === undefined ? '' : JSON.stringify(body));
    return true;
  };
  try {
    const session = sessionOf(req);
    const unsafe = req.method !== 'GET' && req.method !== 'HEAD';
    if (unsafe) {
      const origin = req.headers.origin;
      if (!origin || new URL(origin).host !== req.headers.host) throw new HttpError(403, 'csrf', 'Cross-origin request refused.');
      if (session && req.headers['x-csrf-token'] !== session.csrfToken) throw new HttpError(403, 'csrf', 'Missing or wrong X-CSRF-Token.');
    }
    const body = unsafe ? await readJson(req) : {};
    const needUser = () => {
      if (!session) throw new HttpError(401, 'unauthenticated', 'Please sign in.');
      return session.user;
    };
    const route = `${req.method} ${url.pathname}`;
    let m;
    if (route === 'POST /api/register') {
      const fields = checkProfile(body);
      if (!fields.email || !fields.username || !fields.displayName) throw bad('email, username and displayName are required');
      checkPassword(body.password, fields);
      const user = { id: nextUserId++, ...fields, password: body.password };
      users.push(user);
      return send(201, newSession(res, user));
    }
    if (route === 'POST /api/login') {
      const login = String(body.login || '').toLowerCase();
      const user = users.find((u) => u.email === login || u.username === login);
      if (!user || user.password !== body.password) throw new HttpError(401, 'bad-credentials', 'Wrong email/username or password.');
      return send(200, newSession(res, user));
    }
    if (route === 'POST /api/logout') {
      if (session) sessions.delete(session.token);
      res.setHeader('Set-Cookie', 'mm_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0');
      return send(204);
    }
    if (route === 'GET /api/me') {
      const user = needUser();
      return send(200, { user: publicUser(user), csrfToken: session.csrfToken });
    }
    if (route === 'PATCH /api/me') {
      const user = needUser();
      Object.assign(user, checkProfile(body, user));
      return send(200, { user: publicUser(user) });
    }
    if (route === 'POST /api/me/password') {
      const user = needUser();
      if (body.currentPassword !== user.password) throw new HttpError(403, 'forbidden', 'The current password is wrong.');
      checkPassword(body.newPassword, user);
      user.password = body.newPassword;
      for (const [token, s] of sessions) if (s.userId === user.id && token !== session.token) sessions.delete(token);
      return send(204);
    }
    if (route === 'POST /api/password/forgot') {
      const user = users.find((u) => u.email === String(body.email || '').trim().toLowerCase());
      if (user) {
        const token = crypto.randomBytes(24).toString('base64url');
        resets.set(token, { userId: user.id, expiresAt: Date.now() + 3600000, used: false });
        log(`mixmeet: password reset for ${user.email}: http://${req.headers.host}/reset.html?token=${token}`);
      }
      return send(202, {});
    }
    if (route === 'POST /api/password/reset') {
      const reset = resets.get(body.token);
      if (!reset || reset.used || reset.expiresAt < Date.now()) throw new HttpError(400, 'bad-token', 'The reset link is unknown, used or expired.');
      const user = users.find((u) => u.id === reset.userId);
      checkPassword(body.password, user);
      reset.used = true;
      user.password = body.password;
      for (const [token, s] of sessions) if (s.userId === user.id) sessions.delete(token);
      return send(204);
    }
    if (route === 'GET /api/users') {
      needUser();
      const q = (url.searchParams.get('q') || '').toLowerCase();
      const found = users
        .filter((u) => u.username.startsWith(q) || u.displayName.toLowerCase().startsWith(q))
        .slice(0, 20)
        .map((u) => ({ id: u.id, username: u.username, displayName: u.displayName, online: (presence.get(u.id)?.size || 0) > 0 }));
      return send(200, { users: found });
    }
    if (route === 'POST /api/meetings') {
      const user = needUser();
      const title = typeof body.title === 'string' ? body.title.trim() : '';
      if (!title || [...title].length > 100) throw bad('title: 1–100 characters');
      const meeting = { id: meetingId(), title, hostUserId: user.id, allowGuests: !!body.allowGuests, createdAt: Date.now() };
      meetings.set(meeting.id, meeting);
      return send(201, { meeting: meetingJson(meeting, user) });
    }
    if (route === 'GET /api/meetings') {
      const user = needUser();
      const mine = [...meetings.values()]
        .filter((x) => x.hostUserId === user.id || participations.some((p) => p.userId === user.id && p.meetingId === x.id))
        .sort((a, b) => b.createdAt - a.createdAt);
      return send(200, { meetings: mine.map((x) => meetingJson(x, user)) });
    }
    if ((m = /^GET \/api\/meetings\/([a-z-]+)(\/chat)?$/.exec(route))) {
      const meeting = meetings.get(m[1]);
      if (!meeting) throw new HttpError(404, 'no-such-meeting', 'There is no such meeting.');
      if (!session && !meeting.allowGuests) throw new HttpError(401, 'unauthenticated', 'Please sign in.');
      if (!m[2]) return send(200, { meeting: meetingJson(meeting, session?.user) });
      const before = url.searchParams.has('before') ? Number(url.searchParams.get('before')) : undefined;
      const limit = Math.min(100, Number(url.searchParams.get('limit')) || 50);
      return send(200, chatPage(meeting.id, before, limit));
    }
    if (route === 'GET /api/history') {
      const user = needUser();
      return send(200, { history: history(user.id) });
    }
    throw new HttpError(404, 'not-found', `No API at ${req.method} ${url.pathname}.`);
  } catch (err) {
    if (!(err instanceof HttpError)) {
      log(`mock-api: ${err.stack}`);
      return send(500, { error: { code: 'internal', message: err.message } });
    }
    return send(err.status, { error: { code: err.code, message: err.message } });
  }
}

// ---------------------------------------------------------------- WebSocket side

// Called on `join`: returns {ok, name, meeting} or {error: code, message}.
export function admit(req, room, name, { openRooms = true } = {}) {
  const session = sessionOf(req);
  const meeting = meetings.get(room);
  if (!meeting) {
    if (/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/.test(room) || !openRooms) {
      return { error: 'no-such-meeting', message: 'There is no such meeting.' };
    }
    return { ok: true, name, meeting: null, user: null };
  }
  if (!session && !meeting.allowGuests) return { error: 'unauthenticated', message: 'Sign in to join this meeting.' };
  return { ok: true, name: session ? session.user.displayName : name, meeting, user: session?.user || null };
}

export function recordJoin(meeting, user) {
  if (!meeting || !user) return () => {};
  const row = { meetingId: meeting.id, userId: user.id, joinedAt: Date.now(), leftAt: null };
  participations.push(row);
  return () => {
    row.leftAt ??= Date.now();
  };
}

export function initialChat(meeting) {
  return { type: 'chat-history', ...chatPage(meeting.id) };
}

export function olderChat(meeting, before) {
  return { type: 'chat-history', ...chatPage(meeting.id, Number.isInteger(before) ? before : undefined) };
}

export function saveChat(meeting, user, name, text) {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (!trimmed || [...trimmed].length > 2000) return null;
  const message = { id: nextChatId++, meetingId: meeting.id, name, text: trimmed, sentAt: Date.now() };
  if (user) message.userId = user.id;
  chats.push(message);
  const { meetingId: _m, ...out } = message;
  return out;
}

// Presence sockets: `socket.send(obj)`; returns a handler for later messages and a close hook.
export function presenceSession(req, socket) {
  const session = sessionOf(req);
  if (!session) {
    socket.send({ type: 'error', code: 'unauthenticated', message: 'Sign in first.' });
    socket.close(1008);
    return null;
  }
  const me = session.user;
  if (!presence.has(me.id)) presence.set(me.id, new Set());
  presence.get(me.id).add(socket);
  socket.send({ type: 'presence', online: true });
  const sendTo = (userId, message) => {
    for (const s of presence.get(userId) || []) s.send(message);
  };
  const card = (u) => ({ username: u.username, displayName: u.displayName });
  return {
    onMessage(msg) {
      if (msg.type === 'call') {
        const to = users.find((u) => u.username === String(msg.username || '').toLowerCase());
        if (!to) return socket.send({ type: 'error', code: 'no-such-user', message: 'No such user.' });
        if (to.id === me.id) return socket.send({ type: 'error', code: 'bad-state', message: 'You cannot call yourself.' });
        if (!(presence.get(to.id)?.size > 0)) return socket.send({ type: 'error', code: 'offline', message: 'That user is offline.' });
        const callId = crypto.randomBytes(8).toString('hex');
        const call = { from: me, to };
        call.timer = setTimeout(() => {
          calls.delete(callId);
          sendTo(me.id, { type: 'call-declined', callId });
          sendTo(to.id, { type: 'call-declined', callId });
        }, 30000);
        calls.set(callId, call);
        socket.send({ type: 'call-ringing', callId, to: card(to) });
        sendTo(to.id, { type: 'incoming-call', callId, from: card(me) });
      } else if (msg.type === 'call-answer') {
        const call = calls.get(msg.callId);
        if (!call || call.to.id !== me.id) return socket.send({ type: 'error', code: 'bad-state', message: 'No such call.' });
        clearTimeout(call.timer);
        calls.delete(msg.callId);
        if (msg.accept) {
          const meeting = { id: meetingId(), title: `Call: ${call.from.displayName} and ${call.to.displayName}`, hostUserId: call.from.id, allowGuests: false, createdAt: Date.now() };
          meetings.set(meeting.id, meeting);
          const accepted = { type: 'call-accepted', callId: msg.callId, meetingId: meeting.id };
          sendTo(call.from.id, accepted);
          sendTo(call.to.id, accepted);
        } else {
          sendTo(call.from.id, { type: 'call-declined', callId: msg.callId });
        }
      } else {
        socket.send({ type: 'error', code: 'unknown-type', message: `unexpected ${msg.type}` });
      }
    },
    onClose() {
      presence.get(me.id)?.delete(socket);
    },
  };
}
