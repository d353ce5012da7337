// Notifications ("toasts"): short messages in the corner that go away by themselves.
// Any module calls notify(text, kind); they are announced to screen readers (aria-live).
//
//   kind: 'info' (default) | 'ok' | 'warn' | 'bad'
//   options.timeoutMs: how long it stays (default 4 s; 0 = until clicked)
//
// window.mixmeet.notifications() (test hooks) lists the texts shown so far.

const MAX_SHOWN = 4;
const shown = []; // {text, kind, at} of every notification, oldest first (bounded)

function container() {
  let box = document.getElementById('toasts');
  if (!box) {
    box = document.createElement('div');
    box.id = 'toasts';
    box.className = 'toasts';
    box.setAttribute('role', 'status');
    box.setAttribute('aria-live', 'polite');
    document.body.append(box);
  }
  return box;
}

export function notify(text, kind = 'info', { timeoutMs = 4000 } = {}) {
  const box = container();
  const toast = document.createElement('div');
  toast.className = 'toast';
  toast.dataset.kind = kind;
  toast.textContent = String(text);
  toast.addEventListener('click', () => toast.remove());
  box.append(toast);
  while (box.children.length > MAX_SHOWN) box.firstElementChild.remove();
  shown.push({ text: String(text), kind, at: Math.round(performance.now()) });
  if (shown.length > 100) shown.shift();
  if (timeoutMs > 0) setTimeout(() => toast.remove(), timeoutMs);
  return toast;
}

// Every notification shown so far (the last 100): for tests.
export function notifications() {
  return shown.map((n) => ({ ...n }));
}
