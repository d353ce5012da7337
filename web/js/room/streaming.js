// Live streaming: the host's "Live" menu (RTMP targets: URL + stream key; HLS on/off and who may
// watch) and the "Live" indicator everyone sees (docs/recording.md, "Live streaming"). The
// server decides who is host (`stream`/`hls` from anyone else get not-host) and tells everyone
// the state in `streaming` messages, stream keys masked.
//
// state.streaming: the last `streaming` message ({targets, hls, hlsAccess, watchUrl}).

import { $ } from './dom.js';
import { notify } from './notify.js';
import { refs, set, state, subscribe } from './store.js';

const menu = $('live-menu');
const indicator = $('live-indicator');
const form = $('stream-form');
const list = $('stream-targets');
const hlsToggle = $('hls-toggle');
const hlsAccess = $('hls-access');
const watchLink = $('watch-link');

const STATE_TEXT = { connecting: 'connecting…', live: 'live', retrying: 'retrying' };

function render() {
  const s = state.streaming || { targets: [], hls: false };
  const host = Boolean(state.meeting && state.meeting.isHost);
  indicator.hidden = !(s.hls || s.targets.some((t) => t.state === 'live'));
  menu.hidden = !host || state.ended;
  list.replaceChildren(...s.targets.map((t) => {
    const li = document.createElement('li');
    li.dataset.state = t.state;
    const what = document.createElement('span');
    what.textContent = `${t.url} (${t.key}): ${STATE_TEXT[t.state] || t.state}` +
      (t.message ? ` – ${t.message}` : '');
    const stop = document.createElement('button');
    stop.type = 'button';
    stop.className = 'small';
    stop.textContent = 'Stop';
    stop.addEventListener('click', () => refs.signaling?.send({ type: 'stream', action: 'remove', id: t.id }));
    li.append(what, stop);
    return li;
  }));
  hlsToggle.checked = Boolean(s.hls);
  if (s.hls && s.hlsAccess) hlsAccess.value = s.hlsAccess;
  watchLink.hidden = !s.hls;
  if (s.hls) watchLink.href = s.watchUrl;
}

export function initStreaming() {
  state.streaming = { targets: [], hls: false };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = $('stream-url').value.trim();
    const key = $('stream-key').value.trim();
    if (!url || !key || !refs.signaling) return;
    refs.signaling.send({ type: 'stream', action: 'add', url, key });
    $('stream-key').value = '';
  });
  const sendHls = () => refs.signaling?.send({ type: 'hls', on: hlsToggle.checked, access: hlsAccess.value });
  hlsToggle.addEventListener('change', sendHls);
  hlsAccess.addEventListener('change', () => { if (hlsToggle.checked) sendHls(); });
  subscribe(['streaming', 'meeting', 'ended', 'signaling'], render);
  render();
}

// Errors a stream/hls request can get, in words; null for other codes.
export function streamingError(code) {
  return {
    'too-many': 'No more stream targets can be added to this meeting.',
  }[code] || null;
}

// Registers the streaming message handler on a SignalingClient.
export function attachStreaming(signaling) {
  signaling.on('streaming', (message) => {
    const before = state.streaming || { targets: [] };
    for (const t of message.targets || []) {
      const was = before.targets.find((b) => b.id === t.id);
      if (t.state === 'retrying' && (!was || was.state !== 'retrying')) {
        notify(`Stream to ${t.url} failed (${t.message}); retrying.`, 'bad');
      }
    }
    set({ streaming: { targets: message.targets || [], hls: Boolean(message.hls),
      hlsAccess: message.hlsAccess || '', watchUrl: message.watchUrl || '' } });
  });
}
