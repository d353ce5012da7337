// The view-only watch page (web/watch.html?m=<meeting-id>): plays the meeting's HLS stream,
// served by mixmeet at /live/<meeting-id>/index.m3u8 while the host has HLS on
// (docs/recording.md, "Live streaming"). hls.js (window.Hls) where the browser has Media Source
// Extensions, else the browser's own HLS (Safari). Who may watch is enforced by the server: 401
// asks to sign in, 403 says the stream is for the meeting's participants.

const video = document.getElementById('watch-video');
const status = document.getElementById('watch-status');
const params = new URLSearchParams(location.search);
const meeting = params.get('m') || '';
// A guest of the meeting (no account) watches a participants-only stream with the watch token
// the server put in its link (&t=): /live/<id>/<token>/index.m3u8, the segments beside it.
const token = params.get('t') || '';
const source = token
  ? `/live/${encodeURIComponent(meeting)}/${encodeURIComponent(token)}/index.m3u8`
  : `/live/${encodeURIComponent(meeting)}/index.m3u8`;
/** How long to wait before asking again for a playlist that is not there (yet), ms. */
const RETRY_MS = 3000;

function say(text) {
  status.textContent = text;
}

function explain(code) {
  if (code === 401) return 'Sign in to watch: this stream is for the meeting’s participants.';
  if (code === 403) return 'This stream is for the meeting’s participants only.';
  if (code === 404) return 'The meeting is not streaming right now. Waiting for it to start…';
  return 'The stream cannot be played right now. Retrying…';
}

function playNative() {
  video.src = source;
  video.addEventListener('playing', () => say('Live'));
  video.addEventListener('error', () => {
    say(explain(0));
    setTimeout(() => { video.src = source; }, RETRY_MS);
  });
}

function playWithHls() {
  // No worker: the page's CSP allows scripts from this origin only (no blob: workers).
  const hls = new window.Hls({ enableWorker: false, lowLatencyMode: false });
  hls.on(window.Hls.Events.MANIFEST_PARSED, () => {
    video.play().catch(() => {});
  });
  hls.on(window.Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    const code = data.response ? data.response.code : 0;
    say(explain(code));
    hls.destroy();
    if (code !== 401 && code !== 403) setTimeout(playWithHls, RETRY_MS);
  });
  hls.loadSource(source);
  hls.attachMedia(video);
  video.addEventListener('playing', () => say('Live'), { once: true });
}

if (!/^[A-Za-z0-9_-]{1,64}$/.test(meeting)) {
  say('This link names no meeting.');
} else if (window.Hls && window.Hls.isSupported()) {
  playWithHls();
} else if (video.canPlayType('application/vnd.apple.mpegurl')) {
  playNative();
} else {
  say('This browser cannot play the stream.');
}
window.mixmeetWatch = { video };
