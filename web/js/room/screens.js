// Which of the page's screens shows, from state.phase: the lobby (#prejoin), the call
// (#room-main and the control bar), the "You left" screen (#left) or a notice (#notice).

import { $, ui } from './dom.js';
import { state, subscribe } from './store.js';

export function renderScreen() {
  const phase = state.phase;
  ui.prejoin.hidden = phase !== 'lobby';
  ui.roomMain.hidden = phase !== 'call';
  ui.controls.hidden = phase !== 'call';
  ui.left.hidden = phase !== 'left';
  ui.notice.hidden = phase !== 'notice';
  ui.pill.hidden = phase !== 'call';
  // Notices and the "You left" card look like the account pages: no room top bar.
  document.body.classList.toggle('page-card', phase === 'notice' || phase === 'left');
  const topbar = $('room-name')?.closest('.topbar');
  if (topbar) topbar.hidden = phase === 'notice' || phase === 'left';
}

// The narrow layout puts the chat over the video, between the top bar and the control bar:
// it needs their heights (which change when the controls wrap) as CSS variables.
function trackBarHeights() {
  const root = document.documentElement;
  const bars = [
    [document.querySelector('.topbar'), '--topbar-height'],
    [ui.controls, '--controls-height'],
  ];
  const update = () => {
    for (const [bar, name] of bars) {
      if (bar && !bar.hidden) root.style.setProperty(name, `${bar.offsetHeight}px`);
    }
  };
  if ('ResizeObserver' in window) {
    const observer = new ResizeObserver(update);
    for (const [bar] of bars) if (bar) observer.observe(bar);
  }
  subscribe(['phase'], update);
  update();
}

export function initScreens() {
  subscribe(['phase'], renderScreen);
  renderScreen();
  trackBarHeights();
}
