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
//
// This file only starts the page; the parts live in room/ (one concern each), sharing
// room/store.js (its shape is described at its top):
//   store.js     state, refs (socket, peer connection, streams), set/subscribe
//   dom.js       the page's elements
//   screens.js   which screen shows (lobby, call, "You left", notice), from state.phase
//   status.js    status pill, connection details, error banner
//   notify.js    notify(text, kind): toasts, for any module
//   meeting.js   /m/<id>: meeting lookup, notices
//   lobby.js     before joining: devices, preview, mic level, on/off, guest name
//   media.js     local camera and microphone: open, on/off (tracks stopped), switch device
//   devices.js   the camera/microphone pickers (enumerateDevices)
//   meter.js     microphone level (AnalyserNode)
//   selfview.js  the mirrored self-view from the local track
//   layout.js    layout picker, clickable tiles (pin, host menu), self-view over our tile
//   session.js   the signaling socket: join, welcome/error/bye/close, leave, rejoin
//   peer.js      RTCPeerConnection: offer/answer, ICE, playback, send-hint, replaceTrack
//   chat.js      chat panel, list, form, history, unread badge
//   roster.js    participant list, join/leave notifications
//   controls.js  control bar: mute, camera, quality, leave
//   moderation.js meeting controls: hand, reactions, hang up/rejoin, host menu, waiting room
//   testhooks.js window.mixmeet for tests and the console

import { initChat } from './room/chat.js';
import { initControls } from './room/controls.js';
import { initDevices } from './room/devices.js';
import { ui } from './room/dom.js';
import { initLayout } from './room/layout.js';
import { runLobby } from './room/lobby.js';
import { openLocalMedia } from './room/media.js';
import { prepareMeeting } from './room/meeting.js';
import { initModeration } from './room/moderation.js';
import { enableSound } from './room/peer.js';
import { initRecording } from './room/recording.js';
import { initStreaming } from './room/streaming.js';
import { initRoster } from './room/roster.js';
import { initScreens } from './room/screens.js';
import { initSelfView } from './room/selfview.js';
import { initShare } from './room/share.js';
import { connect, initSession } from './room/session.js';
import { initStatus, showError } from './room/status.js';
import { mark, query, set, state } from './room/store.js';
import { installTestHooks } from './room/testhooks.js';
import { nameError, roomError } from './validate.js';

export { CHAT_MAX } from './room/chat.js';

// The lobby comes first on meeting links; the development form (room.html?room=&name=) joins
// at once unless it asks for the lobby with lobby=1.
function wantsLobby() {
  return state.mode === 'meeting' || query.get('lobby') === '1';
}

async function main() {
  installTestHooks();
  ui.roomName.textContent = state.room;
  document.title = `${state.room || 'Room'} – mixmeet`;
  ui.unmute.addEventListener('click', enableSound);
  ui.remoteVideo.addEventListener('playing', () => {
    mark('playing');
    // A late 'playing' (the stream resumed after a stall) must not hide what the page says
    // once the meeting ended or we were removed: that text stays until the user acts.
    if (!state.ended && !state.meetingEnded && !state.removed && !ui.remoteVideo.hidden) {
      ui.placeholder.hidden = true;
    }
  });
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    ui.remoteVideo.requestVideoFrameCallback((now) => {
      state.timings.firstFrame ??= Math.round(now);
    });
  }
  initScreens();
  initStatus();
  initRoster();
  initChat();
  initControls();
  initRecording();
  initStreaming();
  initDevices();
  initSelfView();
  initSession();
  initModeration();
  initLayout();
  initShare();

  if (state.mode === 'meeting') {
    if (!(await prepareMeeting())) {
      set({ ended: true });
      return;
    }
  } else {
    const problem = roomError(state.room) || nameError(state.name);
    if (problem) {
      ui.placeholder.textContent = 'Not connected.';
      set({ ended: true, phase: 'call' });
      showError(`Cannot join: ${problem}`, { fatal: true });
      return;
    }
  }

  if (wantsLobby()) {
    const guest = state.mode === 'meeting' && !state.user;
    state.name = await runLobby({
      title: `Join “${(state.meeting && state.meeting.title) || state.room}”`,
      askName: guest,
      signInHref: guest ? `/login.html?${new URLSearchParams({ next: location.pathname })}` : null,
    });
  } else {
    set({ phase: 'call' });
    await openLocalMedia();
  }
  mark('localMedia');
  set({ phase: 'call' });
  await connect();
}

main();
