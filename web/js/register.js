// Create an account (POST /api/register) with the rules of docs/api.md checked first.
import { api, nextPath } from './api.js';
import { $, FormUi, displayNameError, emailError, errorText, passwordError, usernameError } from './ui.js';

const form = $('register-form');
const inputs = {
  email: $('email'),
  username: $('username'),
  displayName: $('display-name'),
  password: $('password'),
  password2: $('password2'),
};
const ui = new FormUi(form);
const next = nextPath();
if (next !== '/') $('login-link').href = `/login.html?${new URLSearchParams({ next })}`;
inputs.email.focus();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = inputs.email.value.trim();
  const username = inputs.username.value.trim().toLowerCase();
  const displayName = inputs.displayName.value.trim();
  const password = inputs.password.value;
  const checks = [
    [emailError(email), inputs.email],
    [usernameError(username), inputs.username],
    [displayNameError(displayName), inputs.displayName],
    [passwordError(password, { username, email }), inputs.password],
    [password !== inputs.password2.value ? 'The two passwords differ.' : null, inputs.password2],
  ];
  for (const [problem, input] of checks) {
    if (problem) return ui.error(problem, input);
  }
  ui.busy(true);
  try {
    await api.post('/api/register', { email, username, displayName, password });
    location.assign(next);
  } catch (err) {
    ui.busy(false);
    const field = {
      'email-taken': inputs.email,
      'username-taken': inputs.username,
      'weak-password': inputs.password,
    }[err.code];
    ui.error(errorText(err), field || null);
  }
});
