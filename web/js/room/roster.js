// The participant list ("In this room"): rendered from state.roster, which the server's
// roster message replaces whole.

import { ui } from './dom.js';
import { hostMenu, rosterBadges } from './moderation.js';
import { notify } from './notify.js';
import { set, state, subscribe } from './store.js';

export function renderRoster() {
  ui.roster.replaceChildren();
  for (const participant of state.roster) {
    const item = document.createElement('li');
    item.textContent = participant.name;
    // The same account twice (two tabs, laptop and phone): each connection is its own
    // participant, numbered by the server.
    if (participant.device > 0) {
      const device = document.createElement('span');
      device.className = 'device';
      device.textContent = ` (device ${participant.device})`;
      item.append(device);
    }
    if (participant.id === state.participantId) {
      const you = document.createElement('span');
      you.className = 'you';
      you.textContent = ' (you)';
      item.append(you);
    }
    item.append(rosterBadges(participant));
    const menu = hostMenu(participant);
    if (menu) item.append(menu);
    item.dataset.participantId = participant.id;
    ui.roster.append(item);
  }
  ui.rosterCount.textContent = String(state.roster.length);
}

export function initRoster() {
  subscribe(['roster', 'participantId'], renderRoster);
}

// Who joined and who left between two rosters ([{id, name}]), leaving us out.
export function rosterChanges(before, after, selfId) {
  const beforeIds = new Set(before.map((p) => p.id));
  const afterIds = new Set(after.map((p) => p.id));
  return {
    joined: after.filter((p) => !beforeIds.has(p.id) && p.id !== selfId),
    left: before.filter((p) => !afterIds.has(p.id) && p.id !== selfId),
  };
}

// Registers the roster message handler on a SignalingClient. The first roster of a session
// is who was already there: only later changes are announced.
export function attachRoster(signaling) {
  let first = true;
  signaling.on('roster', (message) => {
    const roster = Array.isArray(message.participants) ? message.participants : [];
    if (!first) {
      const { joined, left } = rosterChanges(state.roster, roster, state.participantId);
      for (const p of joined) notify(`${p.name} joined`, 'info');
      for (const p of left) notify(`${p.name} left`, 'info');
    }
    first = false;
    set({ roster });
  });
}
