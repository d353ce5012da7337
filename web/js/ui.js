// Small helpers shared by the account pages, the dashboard and the room page. Everything
// user-provided goes into the page through textContent (via el()), never as HTML.

import { ApiError } from './api.js';

// el('li', {className: 'x', dataset: {id: 1}}, 'text', childNode, ...)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, v);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- time

export function formatDateTime(ms) {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(ms) {
  return new Date(ms).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function formatTime(ms, { seconds = false } = {}) {
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  });
}

// 3723000 → "1:02:03"
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- meeting ids

// "abc-defg-hij", "ABCDEFGHIJ", " https://host/m/abc-defg-hij?x " → "abc-defg-hij"; else null.
export function parseMeetingId(input) {
  let text = String(input || '').trim();
  const inPath = /\/m\/([A-Za-z-]+)/.exec(text);
  if (inPath) text = inPath[1];
  const letters = text.replace(/-/g, '').toLowerCase();
  if (!/^[a-z]{10}$/.test(letters)) return null;
  if (/-/.test(text) && !/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/i.test(text)) return null;
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
}

export function meetingUrl(id) {
  return `${location.origin}/m/${id}`;
}

// ---------------------------------------------------------------- account rules (docs/api.md)

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;

export function usernameError(username) {
  const u = String(username || '').trim().toLowerCase();
  if (!u) return 'Please choose a username.';
  if (u.length < 3 || u.length > 32) return 'The username must be 3–32 characters long.';
  if (!USERNAME_PATTERN.test(u)) return 'The username may only contain a–z, 0–9, “_”, “.” and “-”.';
  return null;
}

export function displayNameError(name) {
  const n = String(name || '').trim();
  if (!n) return 'Please enter a display name.';
  if ([...n].length > 64) return 'The display name is too long: at most 64 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(n)) return 'The display name must not contain control characters.';
  return null;
}

export function emailError(email) {
  const e = String(email || '').trim();
  if (!e) return 'Please enter your email address.';
  if (!/^[^\s@]+@[^\s@]+$/.test(e)) return 'That does not look like an email address.';
  return null;
}

// NIST SP 800-63B as the server applies it: ≥ 8 characters, not the username or email,
// not one repeated character.
export function passwordError(password, { username = '', email = '' } = {}) {
  const p = String(password || '');
  if ([...p].length < 8) return 'The password must be at least 8 characters long.';
  if (/^(.)\1*$/su.test(p)) return 'The password must not be one repeated character.';
  const lower = p.toLowerCase();
  if (username && lower === String(username).trim().toLowerCase()) return 'The password must not be your username.';
  if (email && lower === String(email).trim().toLowerCase()) return 'The password must not be your email address.';
  return null;
}

// ---------------------------------------------------------------- forms

// A form's error box (.form-error) and busy state.
export class FormUi {
  constructor(form) {
    this.form = form;
    this.errorBox = form.querySelector('.form-error');
    this.okBox = form.querySelector('.form-ok');
    this.button = form.querySelector('button[type=submit]');
    form.addEventListener('input', () => this.clear());
  }

  clear() {
    if (this.errorBox) {
      this.errorBox.hidden = true;
      this.errorBox.textContent = '';
    }
    for (const input of this.form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  }

  error(message, input = null) {
    if (this.okBox) this.okBox.hidden = true;
    this.errorBox.textContent = message;
    this.errorBox.hidden = false;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }

  ok(message) {
    this.clear();
    if (!this.okBox) return;
    this.okBox.textContent = message;
    this.okBox.hidden = false;
  }

  busy(on) {
    if (this.button) this.button.disabled = on;
    this.form.setAttribute('aria-busy', String(on));
  }
}

// A message for people from anything thrown by the API wrapper.
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.code === 'rate-limited' && err.retryAfterMs) {
      // One "try again" only: the server's own ("Try again later.") gives way to the exact wait.
      const minutes = Math.ceil(err.retryAfterMs / 60000);
      const reason = err.message.replace(/\s*(please\s+)?try again\b[^.]*\.?\s*$/i, '');
      return `${reason} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    }
    return err.message;
  }
  return err && err.message ? err.message : String(err);
}

// Fills the shared top bar (#user-name, #signout-button) of signed-in pages.
export function setupTopbar(user, { onSignOut }) {
  const name = $('user-name');
  if (name) name.textContent = user.displayName;
  const button = $('signout-button');
  if (button) button.addEventListener('click', onSignOut);
}
