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
//   status.js    status pill, connection details, error banner
//   meeting.js   /m/<id>: meeting lookup, notices, guest name form
//   media.js     getUserMedia with fallbacks
//   session.js   the signaling socket: join, welcome/error/bye/close, leave
//   peer.js      RTCPeerConnection: offer/answer, ICE, playback, send-hint
//   chat.js      chat list, form, history
//   roster.js    participant list
//   controls.js  control bar: mute, camera, quality, leave
//   moderation.js meeting controls: hand, reactions, hang up/rejoin, host menu, waiting room
//   testhooks.js window.mixmeet for tests and the console

import { initChat } from './room/chat.js';
import { initControls, renderControls } from './room/controls.js';
import { ui } from './room/dom.js';
import { openLocalMedia } from './room/media.js';
import { prepareMeeting } from './room/meeting.js';
import { initModeration } from './room/moderation.js';
import { enableSound } from './room/peer.js';
import { initRoster } from './room/roster.js';
import { connect } from './room/session.js';
import { initStatus, showError } from './room/status.js';
import { mark, refs, set, state } from './room/store.js';
import { installTestHooks } from './room/testhooks.js';
import { nameError, roomError } from './validate.js';

export { CHAT_MAX } from './room/chat.js';

async function main() {
  installTestHooks();
  ui.roomName.textContent = state.room;
  document.title = `${state.room || 'Room'} – mixmeet`;
  ui.unmute.addEventListener('click', enableSound);
  ui.remoteVideo.addEventListener('playing', () => {
    mark('playing');
    ui.placeholder.hidden = true;
  });
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    ui.remoteVideo.requestVideoFrameCallback((now) => {
      state.timings.firstFrame ??= Math.round(now);
    });
  }
  initStatus();
  initRoster();
  initChat();
  initControls();
  initModeration();

  if (state.mode === 'meeting') {
    if (!(await prepareMeeting())) {
      set({ ended: true });
      return;
    }
  } else {
    const problem = roomError(state.room) || nameError(state.name);
    if (problem) {
      ui.placeholder.textContent = 'Not connected.';
      set({ ended: true });
      showError(`Cannot join: ${problem}`, { fatal: true });
      return;
    }
  }

  refs.localStream = await openLocalMedia();
  mark('localMedia');
  if (refs.localStream) {
    ui.localVideo.srcObject = new MediaStream(refs.localStream.getVideoTracks());
  }
  set({ mediaTried: true });
  renderControls();

  await connect();
}

main();
