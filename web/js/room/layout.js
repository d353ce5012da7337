// The composite's layout as the page sees it: the picker (grid / speaker / presentation, "mine"
// or, for the host, "for everyone"), clickable tiles over the received video (the server's
// `layout` message gives every tile's rectangle in composite pixels), pinning someone for
// ourselves (the speaker layout with them large, for this viewer only), the host's actions on
// a participant from the tile menu, and the mirrored self-view drawn over our own tile.
//
// Nothing here is rendered into the video: the tile buttons and the self-view are page
// elements laid over the <video>, placed where object-fit: contain draws the composite.

import { $, ui } from './dom.js';
import { amHost, hostAction } from './moderation.js';
import { refs, set, state, subscribe } from './store.js';

const el = {
  picker: $('layout-select'),
  meetingPicker: $('meeting-layout-select'),
  meetingLabel: $('meeting-layout-label'),
  tiles: $('tile-layer'),
  self: $('tile-self'),
};

function send(message) {
  if (refs.signaling) refs.signaling.send(message);
}

// Our choice: 'auto' follows the meeting's layout.
export function chooseLayout(layout) {
  send({ type: 'set-layout', layout });
}

// The host sets the meeting's layout (the server refuses anyone else: not-host).
export function chooseMeetingLayout(layout) {
  send({ type: 'set-layout', layout, scope: 'meeting' });
}

// Pins `participantId` for ourselves (null: unpin, back to our layout choice).
export function pin(participantId) {
  send(participantId ? { type: 'set-layout', layout: 'speaker', pin: participantId }
    : { type: 'set-layout', layout: state.layout?.choice === 'speaker' ? 'speaker' : 'auto', pin: '' });
}

// Where the composite is drawn inside the <video> element (object-fit: contain), in CSS
// pixels relative to the element, and the scale from composite pixels.
export function videoBox(video, layout) {
  const width = layout.width || video.videoWidth;
  const height = layout.height || video.videoHeight;
  const boxW = video.clientWidth;
  const boxH = video.clientHeight;
  if (!width || !height || !boxW || !boxH) return null;
  const scale = Math.min(boxW / width, boxH / height);
  return {
    x: video.offsetLeft + (boxW - width * scale) / 2,
    y: video.offsetTop + (boxH - height * scale) / 2,
    scale,
  };
}

// The tile whose menu is open: the tiles are rebuilt on every roster and layout, and a menu
// must not snap shut under the pointer because someone raised a hand.
let openTile = null;

function closeMenus(except) {
  for (const menu of el.tiles.querySelectorAll('.tile-menu')) if (menu !== except) menu.hidden = true;
  if (!except) openTile = null;
}

function tileMenu(participant, tile) {
  const menu = document.createElement('div');
  menu.className = 'tile-menu';
  menu.hidden = openTile !== tile.id;
  menu.addEventListener('click', (event) => event.stopPropagation());
  const title = document.createElement('p');
  title.className = 'tile-menu-title';
  title.textContent = participant ? participant.name : tile.id;
  menu.append(title);
  const pinned = state.layout?.pin === tile.id;
  const pinButton = document.createElement('button');
  pinButton.type = 'button';
  pinButton.className = 'small tile-pin';
  pinButton.textContent = pinned ? 'Unpin' : 'Pin for me';
  pinButton.addEventListener('click', (event) => {
    event.stopPropagation();
    menu.hidden = true;
    openTile = null;
    pin(pinned ? null : tile.id);
  });
  menu.append(pinButton);
  // The host's actions on this participant (the server checks them: not-host otherwise).
  if (participant && amHost() && participant.id !== state.participantId) {
    const action = (label, type, danger = false) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = danger ? 'small danger' : 'small';
      b.textContent = label;
      b.addEventListener('click', () => {
        menu.hidden = true;
        openTile = null;
        hostAction(type, participant.id);
      });
      menu.append(b);
    };
    if (participant.mic) action('Mute', 'mute');
    else action('Ask to unmute', 'unmute-request');
    if (participant.camera) action('Stop video', 'stop-video');
    action('Make host', 'make-host');
    action('Remove', 'remove', true);
  }
  return menu;
}

export function renderTiles() {
  const layout = state.layout;
  el.tiles.replaceChildren();
  el.self.hidden = true;
  if (!layout || !Array.isArray(layout.tiles) || state.phase !== 'call' || !state.inCall) return;
  const box = videoBox(ui.remoteVideo, layout);
  if (!box) return;
  for (const tile of layout.tiles) {
    const participant = state.roster.find((p) => p.id === tile.id);
    const rect = {
      left: `${box.x + tile.x * box.scale}px`,
      top: `${box.y + tile.y * box.scale}px`,
      width: `${tile.width * box.scale}px`,
      height: `${tile.height * box.scale}px`,
    };
    const hit = document.createElement('div');
    hit.className = 'tile-hit';
    hit.dataset.participantId = tile.id;
    if (layout.pin === tile.id) hit.classList.add('pinned');
    Object.assign(hit.style, rect);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'tile-button';
    button.title = participant ? `${participant.name}: pin or act` : 'Pin';
    button.setAttribute('aria-label', button.title);
    const menu = tileMenu(participant, tile);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      closeMenus(menu);
      menu.hidden = !menu.hidden;
      openTile = menu.hidden ? null : tile.id;
    });
    hit.append(button, menu);
    el.tiles.append(hit);
    if (tile.id === state.participantId) placeSelf(rect);
  }
}

// Our own camera, mirrored, over our tile (the composite shows it unmirrored and later).
function placeSelf(rect) {
  const track = refs.localStream ? refs.localStream.getVideoTracks()[0] : null;
  if (!track || state.cameraOff || !state.localVideo) return;
  const shown = el.self.srcObject ? el.self.srcObject.getVideoTracks()[0] : null;
  if (shown !== track) el.self.srcObject = new MediaStream([track]);
  Object.assign(el.self.style, rect);
  el.self.hidden = false;
}

function renderPickers() {
  const layout = state.layout;
  el.picker.disabled = !layout;
  el.picker.value = layout?.pin ? 'speaker' : layout?.choice || 'auto';
  const host = amHost();
  el.meetingLabel.hidden = !host;
  el.meetingPicker.disabled = !host || !layout;
  if (layout?.meetingLayout) el.meetingPicker.value = layout.meetingLayout;
}

export function attachLayout(signaling) {
  signaling.on('layout', (message) => set({ layout: message }));
}

export function initLayout() {
  el.picker.addEventListener('change', () => chooseLayout(el.picker.value));
  el.meetingPicker.addEventListener('change', () => chooseMeetingLayout(el.meetingPicker.value));
  document.addEventListener('click', () => closeMenus(null));
  subscribe(['layout', 'roster', 'participantId', 'phase', 'inCall', 'localVideo', 'cameraOff'],
    renderTiles);
  subscribe(['layout', 'roster', 'participantId'], renderPickers);
  ui.remoteVideo.addEventListener('resize', renderTiles);
  ui.remoteVideo.addEventListener('loadedmetadata', renderTiles);
  // The stage changes size with the window and with the chat panel opening or closing.
  if (typeof ResizeObserver === 'function') new ResizeObserver(renderTiles).observe(ui.remoteVideo);
  else window.addEventListener('resize', renderTiles);
  renderPickers();
}
