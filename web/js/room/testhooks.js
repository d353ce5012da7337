// window.mixmeet: what the end-to-end tests (tests/e2e) and a person at the console read and
// drive: state() (a JSON copy of the store), stats() (receive/send figures), leave(),
// rejoin(), sendChat(text), setQuality(tier), setChatOpen(open), setMicMuted(muted),
// setCameraOff(off), switchDevice(kind, deviceId), devices(), localTracks() and
// senderTracks() (what is captured and what is sent), notifications() (toasts shown),
// iceRestart() (asks the server for an ICE restart, as the page does when its connection
// fails).

import { sendChat, setChatOpen } from './chat.js';
import { setQuality } from './controls.js';
import { refreshDevices } from './devices.js';
import { ui } from './dom.js';
import { setCameraOff, setMicMuted, switchDevice } from './media.js';
import { notifications } from './notify.js';
import { leave, rejoin } from './session.js';
import { screenTransceiver } from './share.js';
import { refs, state } from './store.js';

function snapshot() {
  const { pc } = refs;
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
  const { pc } = refs;
  const video = ui.remoteVideo;
  const result = {
    connectionState: pc ? pc.connectionState : 'none',
    iceConnectionState: pc ? pc.iceConnectionState : 'none',
    signaling: state.signaling,
    errors: state.errors.slice(-3), // the last banners shown (showError)
    // Bytes our WebSocket has queued but not sent: non-zero for long means the socket is stuck.
    wsBuffered: refs.signaling?.ws ? refs.signaling.ws.bufferedAmount : null,
    received: refs.signaling ? { ...refs.signaling.received } : null, // server messages by type
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
    localCandidateType: null, // of the selected ICE pair: host, srflx, prflx or relay
    selectedPairId: null, // its stats id (a new ICE generation makes new pairs)
  };
  if (!pc) return result;
  const report = await pc.getStats();
  // Our camera's figures only: the screen (m-line 2, share.js) is counted apart.
  const screen = screenTransceiver();
  const screenMid = screen ? screen.mid : null;
  result.screenFramesEncoded = 0;
  const codecs = new Map();
  report.forEach((entry) => {
    if (entry.type === 'codec') codecs.set(entry.id, entry.mimeType);
  });
  report.forEach((entry) => {
    if (entry.type === 'transport' && entry.selectedCandidatePairId) {
      const pair = report.get(entry.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      if (local) result.localCandidateType = local.candidateType;
      result.selectedPairId = entry.selectedCandidatePairId;
    }
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
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'video' && screenMid && entry.mid === screenMid) {
      result.screenFramesEncoded += entry.framesEncoded || 0;
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'video') {
      result.videoFramesEncoded += entry.framesEncoded || 0;
      result.videoBytesSent += entry.bytesSent || 0;
      result.sentFrameWidth = entry.frameWidth || 0;
      result.sentFrameHeight = entry.frameHeight || 0;
    }
  });
  return result;
}

function describeTrack(track) {
  if (!track) return null;
  return { id: track.id, kind: track.kind, label: track.label, readyState: track.readyState, enabled: track.enabled, muted: track.muted };
}

// The local tracks being captured now ({audio, video}: null when none).
function localTracks() {
  const stream = refs.localStream;
  return {
    audio: describeTrack(stream ? stream.getAudioTracks()[0] : null),
    video: describeTrack(stream ? stream.getVideoTracks()[0] : null),
  };
}

// What each of our senders sends now: [{kind, direction, track}] (track null: nothing).
function senderTracks() {
  const { pc } = refs;
  if (!pc) return [];
  return pc.getTransceivers().map((t) => ({
    kind: t.receiver.track ? t.receiver.track.kind : null,
    direction: t.currentDirection || t.direction,
    track: describeTrack(t.sender.track),
  }));
}

// Other modules add their own hooks here (window.mixmeet.<name> = fn).
export function installTestHooks() {
  window.mixmeet = {
    state: snapshot,
    stats,
    leave,
    rejoin,
    sendChat,
    setQuality,
    setChatOpen,
    setMicMuted,
    setCameraOff,
    switchDevice,
    devices: refreshDevices,
    localTracks,
    senderTracks,
    notifications,
    // Sends `ice-restart` (docs/protocol.md, "ICE restart"); false if the socket is not open.
    iceRestart: () => Boolean(refs.signaling && refs.signaling.iceRestart()),
    // The SDP offer and answer of the current connection (debugging).
    descriptions: () => ({
      offer: refs.pc && refs.pc.remoteDescription ? refs.pc.remoteDescription.sdp : null,
      answer: refs.pc && refs.pc.localDescription ? refs.pc.localDescription.sdp : null,
    }),
  };
}
