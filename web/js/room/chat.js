// The meeting chat: the list (incremental DOM, by message id), the form, older history,
// and the chat / chat-history messages (docs/protocol.md).

import { ui } from './dom.js';
import { el, formatTime } from '../ui.js';
import { showError } from './status.js';
import { refs, set, state, subscribe } from './store.js';

export const CHAT_MAX = 2000;

function chatAuthorIsMe(message) {
  if (state.user && message.userId !== undefined && message.userId !== null) {
    return message.userId === state.user.id;
  }
  return !state.user && message.name === state.name && message.userId == null;
}

function chatItem(message) {
  const sentAt = Number(message.sentAt) || Date.now();
  return el(
    'li',
    {
      className: chatAuthorIsMe(message) ? 'chat-message mine' : 'chat-message',
      dataset: { id: String(message.id) },
    },
    el(
      'div',
      { className: 'chat-meta' },
      el('span', { className: 'chat-name' }, message.name || '?'),
      el(
        'time',
        { className: 'chat-time', dateTime: new Date(sentAt).toISOString(), title: new Date(sentAt).toLocaleString() },
        formatTime(sentAt),
      ),
    ),
    el('p', { className: 'chat-text' }, message.text ?? ''),
  );
}

// Merges messages into the list (by id; duplicates are ignored) and renders. New messages
// keep the list pinned to the bottom if it was there; older ones keep the view where it was.
// Incremental: each new message is one inserted element (appended in the usual case), so a
// busy chat costs O(1) DOM work per message, not a re-render of the whole list.
const chatIds = new Set();
let pendingSends = 0; // chat lines sent that have neither come back nor been refused

// Index in state.chat (sorted by id) where a message with `id` belongs.
function chatIndexFor(id) {
  let lo = 0;
  let hi = state.chat.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (state.chat[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertChat(message) {
  const list = ui.chatList;
  const item = chatItem(message);
  const last = state.chat.length ? state.chat[state.chat.length - 1].id : -Infinity;
  if (message.id > last) {
    state.chat.push(message);
    list.append(item);
    return;
  }
  const index = chatIndexFor(message.id);
  state.chat.splice(index, 0, message);
  list.insertBefore(item, list.children[index] || null);
}

export function addChat(messages, { older = false, live = false } = {}) {
  const fresh = messages.filter((m) => m && typeof m === 'object' && !chatIds.has(m.id));
  const list = ui.chatList;
  // A hidden list has no geometry: show it first, so that scrolling to the end works.
  if (fresh.length) list.hidden = false;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const heightBefore = list.scrollHeight;
  for (const m of fresh) {
    chatIds.add(m.id);
    insertChat(m);
  }
  if (older) {
    list.scrollTop += list.scrollHeight - heightBefore;
  } else if (nearBottom || fresh.some(chatAuthorIsMe) || heightBefore === 0) {
    list.scrollTop = list.scrollHeight;
  }
  const mine = fresh.filter(chatAuthorIsMe).length;
  if (mine && live) pendingSends = Math.max(0, pendingSends - mine);
  if (mine) state.chatPending = pendingSends > 0;
  const unread = live && !state.chatOpen ? fresh.filter((m) => !chatAuthorIsMe(m)).length : 0;
  if (unread) set({ chatUnread: state.chatUnread + unread });
  renderChatControls();
}

export function scrollChatToEnd() {
  ui.chatList.scrollTop = ui.chatList.scrollHeight;
}

// Opens or closes the chat panel; opening clears the unread count and shows the newest
// message.
export function setChatOpen(open) {
  set({ chatOpen: !!open, chatUnread: open ? 0 : state.chatUnread });
}

function renderChatPanel() {
  ui.chatPanel.hidden = !state.chatOpen;
  ui.chatButton.setAttribute('aria-expanded', String(state.chatOpen));
  ui.chatButton.classList.toggle('active', state.chatOpen);
  const unread = state.chatUnread;
  ui.chatBadge.hidden = unread === 0;
  ui.chatBadge.textContent = unread > 9 ? '9+' : String(unread);
  ui.chatButton.title = unread ? `Chat: ${unread} unread` : 'Chat';
  document.body.classList.toggle('chat-open', state.chatOpen);
  // A short window (or a control bar wrapped onto two rows) can leave the sidebar too short for
  // everything in it: bring the chat's input into view when the chat opens.
  if (state.chatOpen && !ui.chatPanel.hidden) ui.chatForm?.scrollIntoView({ block: 'nearest' });
}

export function renderChatControls() {
  const live = state.signaling === 'joined' && !state.ended;
  ui.chatInput.disabled = !live;
  ui.chatSend.disabled = !live;
  ui.chatOlder.hidden = !state.chatHasMore;
  ui.chatOlder.disabled = state.chatLoadingOlder || !live;
  ui.chatEmpty.hidden = state.chat.length > 0;
  ui.chatList.hidden = state.chat.length === 0;
}

// Sends one chat message; returns an error text, or null when it went out.
export function sendChat(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return 'The message is empty.';
  if ([...trimmed].length > CHAT_MAX) return `The message is too long: at most ${CHAT_MAX} characters.`;
  const { signaling } = refs;
  if (!signaling || state.signaling !== 'joined' || state.ended) return 'Not connected to the meeting.';
  if (!signaling.send({ type: 'chat', text: trimmed })) return 'Not connected to the meeting.';
  state.chatPending = true;
  pendingSends += 1;
  return null;
}

function autoGrow() {
  const input = ui.chatInput;
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

// Wires the form and the "older messages" button; renders on every state change that
// enables or disables them.
export function initChat() {
  ui.chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = sendChat(ui.chatInput.value);
    if (problem) {
      ui.chatInput.setCustomValidity(problem);
      ui.chatInput.reportValidity();
      return;
    }
    ui.chatInput.value = '';
    autoGrow();
  });
  ui.chatInput.addEventListener('input', () => {
    ui.chatInput.setCustomValidity('');
    autoGrow();
  });
  // Enter sends, Shift+Enter starts a new line.
  ui.chatInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.chatForm.requestSubmit();
    }
  });
  ui.chatOlder.addEventListener('click', () => {
    if (!state.chat.length || state.chatLoadingOlder) return;
    set({ chatLoadingOlder: true });
    refs.signaling.send({ type: 'chat-history', before: state.chat[0].id });
  });
  subscribe(['signaling', 'ended', 'chatHasMore', 'chatLoadingOlder'], renderChatControls);
  renderChatControls();

  // Narrow screens show the chat over the video: closed until asked for.
  const narrow = window.matchMedia('(max-width: 760px)');
  set({ chatOpen: !narrow.matches });
  narrow.addEventListener('change', () => setChatOpen(!narrow.matches));
  ui.chatButton.addEventListener('click', () => {
    setChatOpen(!state.chatOpen);
    if (state.chatOpen) ui.chatInput.focus({ preventScroll: true });
  });
  ui.chatClose.addEventListener('click', () => setChatOpen(false));
  subscribe(['chatOpen', 'chatUnread'], (s, changed) => {
    renderChatPanel();
    if (changed.includes('chatOpen') && s.chatOpen) scrollChatToEnd();
  });
  // Entering the call shows the newest message.
  subscribe(['phase'], (s) => {
    if (s.phase === 'call') scrollChatToEnd();
  });
  renderChatPanel();
}

// A server error that answers our chat (or history) request: handled here when it is one.
// Returns true when handled. A burst of refused lines says so once: the server's text
// already says the line was not sent, and repeating it per line would only bury the chat.
let lastRefusal = { text: null, at: 0 };
export function chatError(code, message) {
  if (code === 'rate-limited' && state.chatLoadingOlder) {
    set({ chatLoadingOlder: false });
  }
  if ((code === 'bad-message' || code === 'rate-limited') && (state.chatPending || pendingSends > 0)) {
    pendingSends = Math.max(0, pendingSends - 1);
    state.chatPending = pendingSends > 0;
    const text =
      code === 'rate-limited'
        ? message.message || 'You are sending messages too fast. This one was not sent.'
        : `Message not sent: ${message.message || 'rejected by the server'}`;
    const now = Date.now();
    if (text !== lastRefusal.text || now - lastRefusal.at > 10000) showError(text);
    lastRefusal = { text, at: now };
    return true;
  }
  return false;
}

// Live lines waiting to be drawn: a burst (everyone answering at once) is drawn in one go.
// Each line drawn alone read the list's geometry three times (forced layouts), which a cheap
// or busy device pays per line; a batch pays once.
let liveBatch = [];
function queueLiveChat(line) {
  liveBatch.push(line);
  if (liveBatch.length > 1) return;
  setTimeout(() => {
    const lines = liveBatch;
    liveBatch = [];
    addChat(lines, { live: true });
  }, 0);
}

// Registers the chat and chat-history message handlers on a SignalingClient.
export function attachChat(signaling) {
  signaling.on('chat', (message) => {
    if (message.message) queueLiveChat(message.message);
  });
  signaling.on('chat-history', (message) => {
    const messages = Array.isArray(message.messages) ? message.messages : [];
    const older = state.chatLoadingOlder;
    state.chatLoadingOlder = false;
    state.chatHasMore = !!message.hasMore;
    addChat(messages, { older });
  });
}
