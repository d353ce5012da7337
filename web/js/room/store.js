// The room page's one state store: a plain object every module reads, changed through set()
// so that subscribers re-render. No framework: subscribe(keys, fn) calls fn(state, changed)
// synchronously after a set() that changed any of `keys` (or any key, when keys is null).
// Modules may still write a field directly when nothing renders from it (bookkeeping).
//
// window.mixmeet.state() (test hooks) returns a JSON copy of `state`, so keep it JSON-able;
// live objects (the socket, the RTCPeerConnection, MediaStreams) live in `refs` instead.
//
// Shape of `state`:
//   mode            'meeting' (/m/<id>) | 'room' (room.html?room=&name=)
//   phase           which screen shows: 'loading' | 'lobby' | 'call' | 'left' | 'notice'
//   room            meeting ID or open-room name
//   name            the name we join with
//   meeting         the Meeting from GET /api/meetings/<id>, or null
//   user            the signed-in User, or null
//   notice          {title, text} when the page shows a notice instead of the room
//   chat            [{id, userId?, name, text, sentAt}] by id, oldest first
//   chatHasMore, chatLoadingOlder, chatPending (a message went out, not yet echoed)
//   signaling       'idle' | 'connecting' | 'open' | 'joined' | 'closed'
//   participantId   ours, from welcome
//   video           {width, height, framerate} from welcome
//   iceServers      from welcome
//   roster          [{id, name}] in tile order
//   errors          human-readable messages, oldest first
//   mediaTried      getUserMedia has been tried; mediaError: why it failed, if it did
//   sending         {audio, video}: which of our tracks go to the server
//   quality         {tier, choice, width, height, framerate} from the server
//   sendHint        {width, height, maxBitrate}: what the server shows of our camera
//   sendScale       the scaleResolutionDownBy applied for the send hint
//   micMuted, cameraOff  the user's choice; off = the track is stopped and not sent
//   hasMic, hasCamera    such a device exists and we may use it (getUserMedia gave one)
//   devices         {audio, video}: the chosen deviceIds (null: the browser's default)
//   localAudio, localVideo  id of the live local track of that kind, or null
//   chatOpen        the chat panel shows; chatUnread: messages arrived while it did not
//   connectionLost  the media connection dropped and has not come back yet
//   reconnecting    the socket dropped; the page is trying to get back in (session.js)
//   leaving         the user clicked Leave
//   ended           the session is over (bye, socket closed or left)
//   byeReason, closeCode
//   autoplayBlocked the browser wants a click before playing sound
//   timings         {event: ms since page load} (performance.now())
//   Meeting controls (room/moderation.js):
//   inCall          false after "hang up" (leave-call): chat only, until rejoin-call
//   locked          the host locked the meeting
//   waitingRoom     {enabled, participants: [{id, name}]}: what the host sees
//   waiting         we are held in the waiting room; denied: the host turned us away
//   removed, meetingEnded   the host removed us / ended the meeting
//   mutedByHost     'mic' | 'camera' | null: what the host last turned off
//   unmuteRequested the host asked us to unmute (the prompt is open)
//   reactions       [{participant, emoji, at}] received, newest last (at most 20)
//   layout          the last `layout` message: {layout, choice, meetingLayout, speaker, pin,
//                   width, height, tiles: [{id, x, y, width, height}]} (room/layout.js)
//   Screen sharing (room/share.js):
//   sharing         we send our screen now
//   presenter       id of the participant who presents (roster `presenting`), or null
//   shareView       {layout, presenter, screen: {x, y, width, height} | null} from `layout`
//
// Shape of `refs` (not in snapshots):
//   signaling       SignalingClient or null
//   pc              RTCPeerConnection or null
//   localStream     MediaStream from getUserMedia, or null
//   remoteStream    MediaStream of the received composite and mix

const params = new URLSearchParams(window.location.search);
const meetingPath = /^\/m\/([^/]+)\/?$/.exec(window.location.pathname);

export const state = {
  mode: meetingPath ? 'meeting' : 'room',
  phase: 'loading',
  room: meetingPath ? decodeURIComponent(meetingPath[1]) : params.get('room') || '',
  name: meetingPath ? '' : (params.get('name') || '').trim(),
  meeting: null,
  user: null,
  notice: null,
  chat: [],
  chatHasMore: false,
  chatLoadingOlder: false,
  chatPending: false,
  signaling: 'idle',
  participantId: null,
  video: null,
  iceServers: [],
  roster: [],
  errors: [],
  mediaTried: false,
  mediaError: null,
  sending: { audio: false, video: false },
  quality: null,
  sendHint: null,
  micMuted: false,
  cameraOff: false,
  hasMic: false,
  hasCamera: false,
  devices: { audio: null, video: null },
  localAudio: null,
  localVideo: null,
  chatOpen: true,
  chatUnread: 0,
  connectionLost: false,
  reconnecting: false,
  leaving: false,
  ended: false,
  byeReason: null,
  closeCode: null,
  autoplayBlocked: false,
  timings: {},
  inCall: true,
  locked: false,
  waitingRoom: { enabled: false, participants: [] },
  waiting: false,
  denied: false,
  removed: false,
  meetingEnded: false,
  mutedByHost: null,
  unmuteRequested: false,
  reactions: [],
  layout: null,
  sharing: false,
  presenter: null,
  shareView: null,
};

export const refs = {
  signaling: null,
  pc: null,
  localStream: null,
  remoteStream: null,
};

// The page's query string (test hooks read flags from it).
export const query = params;

const listeners = new Set();

// Merges `patch` into state and tells the subscribers whose keys changed.
export function set(patch) {
  const changed = [];
  for (const [key, value] of Object.entries(patch)) {
    if (state[key] !== value || (typeof value === 'object' && value !== null)) {
      state[key] = value;
      changed.push(key);
    }
  }
  if (changed.length === 0) return;
  for (const listener of [...listeners]) {
    if (listener.keys && !changed.some((k) => listener.keys.includes(k))) continue;
    try {
      listener.fn(state, changed);
    } catch (err) {
      console.error('mixmeet: state listener failed', err);
    }
  }
}

// Calls fn(state, changedKeys) after every set() touching one of `keys` (null: any key).
// Returns the function that unsubscribes.
export function subscribe(keys, fn) {
  const listener = { keys: keys ? [...keys] : null, fn };
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Records the first time `event` happened (ms since the page started loading).
export function mark(event) {
  if (state.timings[event] === undefined) {
    state.timings[event] = Math.round(performance.now());
  }
}
