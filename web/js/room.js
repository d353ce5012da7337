// The room page: camera and microphone in, the room's composite video and mix-minus audio
// out, over one RTCPeerConnection that the server offers (docs/protocol.md).
//
// Order of events: getUserMedia (failure → receive-only) → WebSocket → join → welcome
// (ICE servers) → roster → offer → answer → trickle ICE both ways → media.
// Everything the user typed or the server sent is shown with textContent only.
//
// Two ways in: /m/<meetingId> (a meeting from docs/api.md: the title comes from the REST
// API, signed-in users join with their account's name, guests type one first), and the
// development form room.html?room=X&name=Y (open rooms, `[auth] open_rooms=true`).

import { ApiError, api, currentUser } from './api.js';
import { SignalingClient } from './signaling.js';
import { el, formatTime, meetingUrl, parseMeetingId } from './ui.js';
import { nameError, roomError } from './validate.js';

const $ = (id) => document.getElementById(id);

const ui = {
  roomName: $('room-name'),
  pill: $('status-pill'),
  banner: $('error-banner'),
  bannerText: $('error-text'),
  bannerBack: $('error-back'),
  remoteVideo: $('remote-video'),
  placeholder: $('stage-placeholder'),
  unmute: $('unmute-button'),
  localVideo: $('local-video'),
  localNote: $('local-note'),
  roster: $('roster'),
  rosterCount: $('roster-count'),
  signalingState: $('signaling-state'),
  peerState: $('peer-state'),
  iceState: $('ice-state'),
  mic: $('mic-button'),
  cam: $('cam-button'),
  leave: $('leave-button'),
  quality: $('quality-select'),
  qualityNow: $('quality-now'),
  meetingId: $('meeting-id'),
  copyLink: $('copy-link-button'),
  roomMain: $('room-main'),
  controls: $('controls'),
  notice: $('notice'),
  prejoin: $('prejoin'),
  chatOlder: $('chat-older'),
  chatList: $('chat-list'),
  chatEmpty: $('chat-empty'),
  chatForm: $('chat-form'),
  chatInput: $('chat-input'),
  chatSend: $('chat-send'),
};

const params = new URLSearchParams(window.location.search);
// Test hook (tests/e2e/send-cap.mjs): a page that ignores send-hint, as a client written
// without it would; the server's REMB must cap it anyway.
const ignoreSendHint = params.get('testIgnoreSendHint') === '1';
const meetingPath = /^\/m\/([^/]+)\/?$/.exec(window.location.pathname);

export const CHAT_MAX = 2000;

// Everything the page knows, in one place; window.mixmeet.state() returns a copy.
const state = {
  mode: meetingPath ? 'meeting' : 'room', // meeting: /m/<id>; room: room.html?room=&name=
  room: meetingPath ? decodeURIComponent(meetingPath[1]) : params.get('room') || '',
  name: meetingPath ? '' : (params.get('name') || '').trim(),
  meeting: null, // the Meeting from GET /api/meetings/<id>
  user: null, // the signed-in User, if any
  notice: null, // {title, text} when the page shows a notice instead of the room
  chat: [], // [{id, userId?, name, text, sentAt}] by id, oldest first
  chatHasMore: false,
  chatLoadingOlder: false,
  chatPending: false, // a chat message went out and has not come back yet
  signaling: 'idle', // idle | connecting | open | joined | closed
  participantId: null,
  video: null, // {width, height, framerate} from welcome
  iceServers: [],
  roster: [], // [{id, name}] in tile order
  errors: [], // human-readable messages, oldest first
  mediaTried: false,
  mediaError: null, // why getUserMedia failed, if it did
  sending: { audio: false, video: false },
  quality: null, // {tier, choice, width, height, framerate} from the server
  sendHint: null, // {width, height, maxBitrate}: what the server shows of our camera
  micMuted: false,
  cameraOff: false,
  leaving: false,
  ended: false, // the session is over (bye, socket closed or left)
  byeReason: null,
  closeCode: null,
  autoplayBlocked: false,
  // performance.now() values: milliseconds since this page started loading.
  timings: {},
};

let signaling = null;
let pc = null;
let localStream = null;
let remoteStream = null;
let answerSent = false;
const pendingLocalIce = []; // gathered before the answer went out
const pendingRemoteIce = []; // arrived before the offer was applied
let work = Promise.resolve(); // offer and remote ICE are applied in arrival order

function mark(event) {
  if (state.timings[event] === undefined) {
    state.timings[event] = Math.round(performance.now());
  }
}

// ---------------------------------------------------------------- status and errors

const PEER_STATE_TEXT = {
  new: 'starting',
  connecting: 'connecting…',
  connected: 'connected',
  disconnected: 'interrupted, reconnecting…',
  failed: 'failed',
  closed: 'closed',
};

const ICE_STATE_TEXT = {
  new: 'waiting',
  checking: 'checking routes…',
  connected: 'connected',
  completed: 'connected',
  disconnected: 'interrupted',
  failed: 'no route to the server',
  closed: 'closed',
};

const BYE_TEXT = {
  left: 'You left the meeting.',
  'bad-sdp': 'The server could not use this browser’s media description.',
  'ice-failed': 'The media connection to the server failed.',
  'too-many-errors': 'The server ended the session after too many errors.',
  internal: 'The server could not set up media for you.',
  shutdown: 'The server is shutting down.',
  'connect-timeout': 'The media connection to the server could not be set up in time. Please join again.',
};

function showError(message, { fatal = false } = {}) {
  state.errors.push(message);
  console.warn(`mixmeet: ${message}`);
  ui.bannerText.textContent = message;
  ui.banner.hidden = false;
  ui.bannerBack.hidden = !fatal;
  renderStatus();
}

function renderStatus() {
  const signalingText = {
    idle: 'not connected',
    connecting: 'connecting…',
    open: 'connected, joining…',
    joined: state.participantId ? `joined (you are ${state.participantId})` : 'joined',
    closed: state.closeCode ? `closed (code ${state.closeCode})` : 'closed',
  }[state.signaling];
  ui.signalingState.textContent = signalingText;

  const peer = pc ? pc.connectionState : null;
  const ice = pc ? pc.iceConnectionState : null;
  ui.peerState.textContent = peer ? PEER_STATE_TEXT[peer] || peer : 'not started';
  ui.iceState.textContent = ice ? ICE_STATE_TEXT[ice] || ice : 'not started';

  let tone = 'pending';
  let text = 'Connecting…';
  if (state.ended) {
    tone = state.leaving ? 'neutral' : 'bad';
    text = state.leaving ? 'Left' : state.participantId ? 'Disconnected' : 'Not joined';
  } else if (peer === 'connected') {
    tone = 'ok';
    text = 'Live';
  } else if (peer === 'failed') {
    tone = 'bad';
    text = 'Media failed';
  } else if (peer === 'disconnected') {
    text = 'Reconnecting…';
  } else if (state.signaling === 'joined') {
    text = 'Setting up media…';
  }
  ui.pill.dataset.tone = tone;
  ui.pill.textContent = text;
}

function renderRoster() {
  ui.roster.replaceChildren();
  for (const participant of state.roster) {
    const item = document.createElement('li');
    item.textContent = participant.name;
    if (participant.id === state.participantId) {
      const you = document.createElement('span');
      you.className = 'you';
      you.textContent = ' (you)';
      item.append(you);
    }
    item.dataset.participantId = participant.id;
    ui.roster.append(item);
  }
  ui.rosterCount.textContent = String(state.roster.length);
}

function renderControls() {
  const audio = localStream && localStream.getAudioTracks()[0];
  const video = localStream && localStream.getVideoTracks()[0];
  ui.mic.disabled = !audio || state.ended;
  ui.cam.disabled = !video || state.ended;
  ui.mic.setAttribute('aria-pressed', String(state.micMuted));
  ui.cam.setAttribute('aria-pressed', String(state.cameraOff));
  ui.mic.querySelector('.label').textContent = state.micMuted ? 'Unmute' : 'Mute';
  ui.cam.querySelector('.label').textContent = state.cameraOff ? 'Camera on' : 'Camera off';
  if (!audio) ui.mic.title = 'No microphone';
  if (!video) ui.cam.title = 'No camera';

  let note = null;
  if (!state.mediaTried) {
    note = null;
  } else if (!video) {
    note = state.mediaError ? 'No camera: others see a black tile.' : 'No camera.';
  } else if (state.cameraOff) {
    note = 'Your camera is off.';
  }
  ui.localNote.hidden = note === null;
  ui.localNote.textContent = note || '';
  ui.localVideo.hidden = !video || state.cameraOff;
}

// ---------------------------------------------------------------- local media

async function openLocalMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.mediaError = 'this browser (or a page not served over HTTPS) has no camera access';
    showError(`Camera and microphone unavailable: ${state.mediaError}. Joining to watch and listen only.`);
    return null;
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (err) {
    state.mediaError = `${err.name}: ${err.message}`;
  }
  // The commonest partial failure is a machine without a camera: still let people talk.
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    showError(`Camera unavailable (${state.mediaError}). Joining with the microphone only.`);
    return stream;
  } catch {
    showError(
      `Camera and microphone unavailable (${state.mediaError}). Joining to watch and listen only.`,
    );
    return null;
  }
}

// ---------------------------------------------------------------- peer connection

function createPeerConnection() {
  const connection = new RTCPeerConnection({
    iceServers: state.iceServers,
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
  });

  connection.addEventListener('icecandidate', (event) => {
    const c = event.candidate;
    // null (or an empty candidate string) means gathering is done: end-of-candidates.
    const message =
      c && c.candidate
        ? { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 }
        : { candidate: '', sdpMLineIndex: (c && c.sdpMLineIndex) ?? 0 };
    if (answerSent) {
      signaling.ice(message.candidate, message.sdpMLineIndex);
    } else {
      pendingLocalIce.push(message);
    }
  });

  connection.addEventListener('track', () => attachRemoteStream());

  connection.addEventListener('connectionstatechange', () => {
    if (connection.connectionState === 'connected') mark('peerConnected');
    if (connection.connectionState === 'failed' && !state.ended) {
      showError('The media connection failed: no network route to the server.');
    }
    renderStatus();
  });
  connection.addEventListener('iceconnectionstatechange', () => {
    if (connection.iceConnectionState === 'connected') mark('iceConnected');
    renderStatus();
  });
  return connection;
}

// One MediaStream holding both received tracks, built once the receivers exist; the
// <video> element plays the composite picture and the mix-minus sound together.
function attachRemoteStream() {
  if (!pc) return;
  const tracks = pc.getReceivers().map((r) => r.track).filter(Boolean);
  const current = remoteStream ? remoteStream.getTracks() : [];
  if (tracks.length === current.length && tracks.every((t) => current.includes(t))) return;
  remoteStream = new MediaStream(tracks);
  ui.remoteVideo.srcObject = remoteStream;
  startPlayback();
}

async function startPlayback() {
  const video = ui.remoteVideo;
  video.muted = false;
  try {
    await video.play();
    state.autoplayBlocked = false;
    ui.unmute.hidden = true;
  } catch (err) {
    if (err.name !== 'NotAllowedError') {
      // AbortError: a newer srcObject replaced this one; that load calls play() again.
      return;
    }
    // Sound needs a click first in this browser: play the picture muted meanwhile.
    state.autoplayBlocked = true;
    ui.unmute.hidden = false;
    video.muted = true;
    try {
      await video.play();
    } catch (mutedErr) {
      console.warn('mixmeet: muted playback failed too', mutedErr);
    }
  }
}

async function enableSound() {
  ui.remoteVideo.muted = false;
  try {
    await ui.remoteVideo.play();
    state.autoplayBlocked = false;
    ui.unmute.hidden = true;
  } catch (err) {
    showError(`Could not start the sound: ${err.message}`);
  }
}

// Senders send what is shown (docs/protocol.md, send-hint): scale the camera down to the tile
// we are shown at and cap the bitrate, saving uplink and the server's decode and scale work.
async function applySendHint() {
  if (ignoreSendHint || !pc || !state.sendHint || !localStream) return;
  const track = localStream.getVideoTracks()[0];
  const transceiver = pc.getTransceivers().find((t) => t.sender.track === track);
  if (!track || !transceiver) return;
  const settings = track.getSettings();
  const scale = Math.max(
    1,
    (settings.width || state.sendHint.width) / Math.max(1, state.sendHint.width),
    (settings.height || state.sendHint.height) / Math.max(1, state.sendHint.height),
  );
  const parameters = transceiver.sender.getParameters();
  if (!parameters.encodings || parameters.encodings.length === 0) parameters.encodings = [{}];
  parameters.encodings[0].scaleResolutionDownBy = scale;
  parameters.encodings[0].maxBitrate = state.sendHint.maxBitrate;
  try {
    await transceiver.sender.setParameters(parameters);
    state.sendScale = scale;
  } catch (err) {
    console.warn('could not apply the send hint', err);
  }
}

async function handleOffer(message) {
  mark('offer');
  if (!pc) pc = createPeerConnection(); // offer before welcome: not per protocol, but harmless
  await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });

  for (const transceiver of pc.getTransceivers()) {
    const kind = transceiver.receiver.track.kind;
    const track = localStream
      ? kind === 'audio'
        ? localStream.getAudioTracks()[0]
        : localStream.getVideoTracks()[0]
      : null;
    if (track) {
      await transceiver.sender.replaceTrack(track);
      transceiver.direction = 'sendrecv';
      state.sending[kind] = true;
    } else {
      transceiver.direction = 'recvonly';
    }
  }
  attachRemoteStream();

  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  signaling.answer(pc.localDescription.sdp);
  answerSent = true;
  mark('answerSent');
  await applySendHint(); // a hint that came before the answer
  for (const queued of pendingLocalIce.splice(0)) {
    signaling.ice(queued.candidate, queued.sdpMLineIndex);
  }
  for (const queued of pendingRemoteIce.splice(0)) {
    await addRemoteIce(queued);
  }
  renderStatus();
}

async function addRemoteIce(message) {
  if (!pc || !pc.remoteDescription) {
    pendingRemoteIce.push(message);
    return;
  }
  let candidate = typeof message.candidate === 'string' ? message.candidate : '';
  if (candidate.startsWith('a=')) candidate = candidate.slice(2);
  try {
    if (candidate === '') {
      await pc.addIceCandidate(); // end-of-candidates
    } else {
      await pc.addIceCandidate({ candidate, sdpMLineIndex: message.sdpMLineIndex ?? 0 });
    }
  } catch (err) {
    // One unusable candidate (an unresolvable .local name, say) is not fatal.
    console.warn('mixmeet: ignoring remote candidate', candidate, err);
  }
}

// Runs `task` after everything queued before it; a failure is shown, not thrown.
function enqueue(task) {
  work = work.then(task).catch((err) => {
    if (state.ended) return; // the connection was closed under the task: nothing to report
    console.error('mixmeet:', err);
    showError(`Could not set up the call: ${err.message}`);
  });
}

// ---------------------------------------------------------------- session

function endSession() {
  if (state.ended) return;
  state.ended = true;
  if (pc) pc.close();
  renderChatControls();
  ui.placeholder.textContent = state.leaving ? 'You left the meeting.' : 'Not connected.';
  renderStatus();
  renderControls();
}

function wireSignaling() {
  signaling = new SignalingClient();

  signaling.on('welcome', (message) => {
    mark('welcome');
    state.signaling = 'joined';
    state.participantId = message.participantId;
    state.video = message.video || null;
    state.iceServers = Array.isArray(message.iceServers) ? message.iceServers : [];
    if (!pc) pc = createPeerConnection();
    renderStatus();
    renderRoster();
    renderChatControls();
  });

  signaling.on('chat', (message) => {
    if (message.message) addChat([message.message], { fromHistory: false });
  });

  signaling.on('chat-history', (message) => {
    const messages = Array.isArray(message.messages) ? message.messages : [];
    const older = state.chatLoadingOlder;
    state.chatLoadingOlder = false;
    state.chatHasMore = !!message.hasMore;
    addChat(messages, { fromHistory: true, older });
  });

  signaling.on('quality', (message) => {
    state.quality = {
      tier: message.tier,
      choice: message.choice,
      width: message.width,
      height: message.height,
      framerate: message.framerate,
    };
    ui.quality.disabled = false;
    ui.quality.value = message.choice;
    ui.qualityNow.textContent =
      message.tier === 'audio' ? 'audio only' : `${message.width}×${message.height}`;
  });
  signaling.on('send-hint', (message) => {
    state.sendHint = {
      width: message.width,
      height: message.height,
      maxBitrate: message.maxBitrate,
    };
    enqueue(applySendHint);
  });
  signaling.on('roster', (message) => {
    state.roster = Array.isArray(message.participants) ? message.participants : [];
    renderRoster();
  });

  signaling.on('offer', (message) => enqueue(() => handleOffer(message)));
  signaling.on('ice', (message) => enqueue(() => addRemoteIce(message)));

  signaling.on('error', (message) => {
    const code = message.code || 'unknown';
    const fatal = [
      'unsupported-version',
      'room-full',
      'room-limit',
      'server-busy',
      'bad-sdp',
      'internal',
      'unauthenticated',
      'no-such-meeting',
    ].includes(code);
    const friendly = {
      unauthenticated: 'This meeting is for signed-in users only: sign in to join.',
      'no-such-meeting': 'There is no such meeting.',
      'room-full': 'The meeting is full.',
      'room-limit': 'The server has as many meetings running as it allows. Please try again later.',
      'server-busy': 'The server is busy. Please try again in a moment.',
    }[code];
    if (code === 'rate-limited' && state.chatLoadingOlder) {
      state.chatLoadingOlder = false;
      renderChatControls();
    }
    if ((code === 'bad-message' || code === 'rate-limited') && state.chatPending) {
      state.chatPending = false;
      showError(`Message not sent: ${message.message || 'rejected by the server'}`);
      return;
    }
    showError(friendly || `Server error (${code}): ${message.message || 'no details'}`, { fatal });
  });

  signaling.on('bye', (message) => {
    state.byeReason = message.reason || 'unknown';
    if (!state.leaving) {
      const text = BYE_TEXT[state.byeReason] || `The server ended the session (${state.byeReason}).`;
      showError(text, { fatal: true });
    }
    endSession();
  });

  signaling.on('protocol-error', (problem) => showError(`Protocol error: ${problem.message}`));

  signaling.on('close', (event) => {
    state.signaling = 'closed';
    state.closeCode = event.code;
    if (!state.leaving && !state.byeReason) {
      const why = event.reason ? `: ${event.reason}` : '';
      const text =
        event.code === 1001
          ? `The server went away (${event.reason || 'shutting down'}).`
          : `The connection to the server closed (code ${event.code}${why}).`;
      showError(text, { fatal: true });
    }
    endSession();
  });
}

async function leave() {
  if (state.leaving) return;
  state.leaving = true;
  ui.leave.disabled = true;
  if (signaling && signaling.readyState === WebSocket.OPEN) {
    const closed = new Promise((resolve) => signaling.on('close', resolve));
    signaling.leave();
    // The server answers bye and closes; do not wait long for it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
    signaling.close();
  }
  endSession();
  if (localStream) localStream.getTracks().forEach((t) => t.stop());
  window.location.assign('/');
}

function toggleMic() {
  const track = localStream && localStream.getAudioTracks()[0];
  if (!track) return;
  state.micMuted = !state.micMuted;
  track.enabled = !state.micMuted;
  renderControls();
}

function toggleCamera() {
  const track = localStream && localStream.getVideoTracks()[0];
  if (!track) return;
  state.cameraOff = !state.cameraOff;
  track.enabled = !state.cameraOff;
  renderControls();
}

// ---------------------------------------------------------------- test hooks

function snapshot() {
  return JSON.parse(
    JSON.stringify({
      ...state,
      peerConnectionState: pc ? pc.connectionState : null,
      iceConnectionState: pc ? pc.iceConnectionState : null,
      iceGatheringState: pc ? pc.iceGatheringState : null,
    }),
  );
}

// Mean luma (0–255) of the picture the <video> element shows now, from a 64x36 sample;
// null before the first frame. Lets a test tell a real composite from a black one.
let lumaCanvas = null;
function pictureLuma() {
  const video = ui.remoteVideo;
  if (!video.videoWidth || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return null;
  lumaCanvas ??= Object.assign(document.createElement('canvas'), { width: 64, height: 36 });
  const g = lumaCanvas.getContext('2d', { willReadFrequently: true });
  g.drawImage(video, 0, 0, lumaCanvas.width, lumaCanvas.height);
  const { data } = g.getImageData(0, 0, lumaCanvas.width, lumaCanvas.height);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) {
    sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  }
  return Math.round((sum / (data.length / 4)) * 10) / 10;
}

// Receive-side figures for tests and for debugging by hand (call it in the console).
async function stats() {
  const video = ui.remoteVideo;
  const result = {
    connectionState: pc ? pc.connectionState : 'none',
    iceConnectionState: pc ? pc.iceConnectionState : 'none',
    signaling: state.signaling,
    framesDecoded: 0,
    framesReceived: 0,
    framesDropped: 0,
    frameWidth: 0,
    frameHeight: 0,
    videoPacketsReceived: 0,
    videoBytesReceived: 0,
    videoCodec: null,
    audioPacketsReceived: 0,
    audioBytesReceived: 0,
    audioCodec: null,
    audioLevel: null, // 0..1, the last received sample's level
    totalAudioEnergy: 0,
    audioPacketsSent: 0,
    videoFramesEncoded: 0,
    videoBytesSent: 0, // RTP payload bytes of our camera sent so far
    sentFrameWidth: 0, // what our camera is encoded at (after the server's send-hint)
    sentFrameHeight: 0,
    quality: state.quality,
    sendHint: state.sendHint,
    videoWidth: video.videoWidth,
    videoHeight: video.videoHeight,
    videoPaused: video.paused,
    videoMuted: video.muted,
    videoCurrentTime: video.currentTime,
    pictureLuma: pictureLuma(),
    participants: state.roster.map((p) => p.name),
    chatMessages: [...ui.chatList.querySelectorAll('.chat-message')].map((li) => ({
      id: Number(li.dataset.id),
      name: li.querySelector('.chat-name').textContent,
      text: li.querySelector('.chat-text').textContent,
    })),
    timings: { ...state.timings },
  };
  if (!pc) return result;
  const report = await pc.getStats();
  const codecs = new Map();
  report.forEach((entry) => {
    if (entry.type === 'codec') codecs.set(entry.id, entry.mimeType);
  });
  report.forEach((entry) => {
    if (entry.type === 'inbound-rtp' && entry.kind === 'video') {
      result.framesDecoded += entry.framesDecoded || 0;
      result.framesReceived += entry.framesReceived || 0;
      result.framesDropped += entry.framesDropped || 0;
      result.frameWidth = entry.frameWidth || result.frameWidth;
      result.frameHeight = entry.frameHeight || result.frameHeight;
      result.videoPacketsReceived += entry.packetsReceived || 0;
      result.videoBytesReceived += entry.bytesReceived || 0;
      result.videoCodec = codecs.get(entry.codecId) || result.videoCodec;
    } else if (entry.type === 'inbound-rtp' && entry.kind === 'audio') {
      result.audioPacketsReceived += entry.packetsReceived || 0;
      result.audioBytesReceived += entry.bytesReceived || 0;
      result.audioLevel = entry.audioLevel ?? result.audioLevel;
      result.totalAudioEnergy += entry.totalAudioEnergy || 0;
      result.audioCodec = codecs.get(entry.codecId) || result.audioCodec;
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'audio') {
      result.audioPacketsSent += entry.packetsSent || 0;
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'video') {
      result.videoFramesEncoded += entry.framesEncoded || 0;
      result.videoBytesSent += entry.bytesSent || 0;
      result.sentFrameWidth = entry.frameWidth || 0;
      result.sentFrameHeight = entry.frameHeight || 0;
    }
  });
  return result;
}

function setQuality(tier) {
  ui.quality.value = tier;
  if (signaling) signaling.send({ type: 'set-quality', tier });
}

window.mixmeet = { state: snapshot, stats, leave, sendChat, setQuality };

// ---------------------------------------------------------------- start


// ---------------------------------------------------------------- chat

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

// Merges `messages` into the list (by id; duplicates are ignored) and renders. New messages
// keep the list pinned to the bottom if it was there; older ones keep the view where it was.
// Incremental: each new message is one inserted element (appended in the usual case), so a
// busy chat costs O(1) DOM work per message, not a re-render of the whole list.
const chatIds = new Set();

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

function addChat(messages, { older = false } = {}) {
  const fresh = messages.filter((m) => m && typeof m === 'object' && !chatIds.has(m.id));
  const list = ui.chatList;
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
  if (fresh.some(chatAuthorIsMe)) state.chatPending = false;
  renderChatControls();
}

function renderChatControls() {
  const live = state.signaling === 'joined' && !state.ended;
  ui.chatInput.disabled = !live;
  ui.chatSend.disabled = !live;
  ui.chatOlder.hidden = !state.chatHasMore;
  ui.chatOlder.disabled = state.chatLoadingOlder || !live;
  ui.chatEmpty.hidden = state.chat.length > 0;
  ui.chatList.hidden = state.chat.length === 0;
}

// Sends one chat message; returns an error text, or null when it went out.
function sendChat(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return 'The message is empty.';
  if ([...trimmed].length > CHAT_MAX) return `The message is too long: at most ${CHAT_MAX} characters.`;
  if (!signaling || state.signaling !== 'joined' || state.ended) return 'Not connected to the meeting.';
  if (!signaling.send({ type: 'chat', text: trimmed })) return 'Not connected to the meeting.';
  state.chatPending = true;
  return null;
}

function wireChat() {
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
    state.chatLoadingOlder = true;
    signaling.send({ type: 'chat-history', before: state.chat[0].id });
    renderChatControls();
  });
  renderChatControls();
}

function autoGrow() {
  const input = ui.chatInput;
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

// ---------------------------------------------------------------- notices and the name form

// Replaces the room with a notice (no such meeting, sign-in needed, ...).
function showNotice(title, text, action = null) {
  state.notice = { title, text };
  state.ended = true;
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
async function prepareMeeting() {
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

// ---------------------------------------------------------------- start

async function main() {
  ui.roomName.textContent = state.room;
  document.title = `${state.room || 'Room'} – mixmeet`;
  ui.unmute.addEventListener('click', enableSound);
  ui.mic.addEventListener('click', toggleMic);
  ui.quality.addEventListener('change', () => {
    if (signaling) signaling.send({ type: 'set-quality', tier: ui.quality.value });
  });
  ui.cam.addEventListener('click', toggleCamera);
  ui.leave.addEventListener('click', leave);
  ui.remoteVideo.addEventListener('playing', () => {
    mark('playing');
    ui.placeholder.hidden = true;
  });
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    ui.remoteVideo.requestVideoFrameCallback((now) => {
      state.timings.firstFrame ??= Math.round(now);
    });
  }
  wireChat();
  renderStatus();
  renderControls();

  if (state.mode === 'meeting') {
    if (!(await prepareMeeting())) {
      state.ended = true;
      renderStatus();
      renderControls();
      return;
    }
  } else {
    const problem = roomError(state.room) || nameError(state.name);
    if (problem) {
      state.ended = true;
      ui.placeholder.textContent = 'Not connected.';
      showError(`Cannot join: ${problem}`, { fatal: true });
      return;
    }
  }

  localStream = await openLocalMedia();
  state.mediaTried = true;
  mark('localMedia');
  if (localStream) {
    ui.localVideo.srcObject = new MediaStream(localStream.getVideoTracks());
  }
  renderControls();

  wireSignaling();
  state.signaling = 'connecting';
  renderStatus();
  try {
    await signaling.connect();
  } catch (err) {
    // the 'close' handler has already shown the failure
    console.warn('mixmeet:', err);
    return;
  }
  state.signaling = 'open';
  mark('socketOpen');
  renderStatus();
  signaling.join(state.room, state.name);
  mark('joinSent');
}

main();
