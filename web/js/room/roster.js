// The participant list ("In this room"): rendered from state.roster, which the server's
// roster message replaces whole.

import { ui } from './dom.js';
import { hostMenu, rosterBadges } from './moderation.js';
import { set, state, subscribe } from './store.js';

export function renderRoster() {
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

// Registers the roster message handler on a SignalingClient.
export function attachRoster(signaling) {
  signaling.on('roster', (message) => {
    set({ roster: Array.isArray(message.participants) ? message.participants : [] });
  });
}
