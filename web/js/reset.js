// Set a new password with the single-use token from the emailed link /reset.html?token=...
import { api, setCsrfToken } from './api.js';
import { $, FormUi, errorText, passwordError } from './ui.js';

const form = $('reset-form');
const password = $('password');
const password2 = $('password2');
const ui = new FormUi(form);
const token = new URLSearchParams(location.search).get('token') || '';

if (!token) {
  form.hidden = true;
  $('reset-missing').hidden = false;
} else {
  // Keep the token out of the address bar (and of anything that reads it later).
  history.replaceState(null, '', '/reset.html');
  password.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const problem = passwordError(password.value);
  if (problem) return ui.error(problem, password);
  if (password.value !== password2.value) return ui.error('The two passwords differ.', password2);
  ui.busy(true);
  try {
    await api.post('/api/password/reset', { token, password: password.value });
    setCsrfToken(null); // every session of the user was signed out
    form.hidden = true;
    $('reset-done').hidden = false;
  } catch (err) {
    ui.busy(false);
    if (err.code === 'bad-token') {
      ui.error('This link is no longer valid (used, expired or mistyped). Ask for a new one on the “Forgot your password?” page.');
    } else {
      ui.error(errorText(err), err.code === 'weak-password' ? password : null);
    }
  }
});
