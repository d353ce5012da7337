// Sign in with email or username and password; then go to ?next= (a local path) or /.
import { api, currentUser, nextPath } from './api.js';
import { $, FormUi, errorText } from './ui.js';

const form = $('login-form');
const loginInput = $('login');
const passwordInput = $('password');
const ui = new FormUi(form);
const next = nextPath();

if (next !== '/') $('register-link').href = `/register.html?${new URLSearchParams({ next })}`;

// Already signed in: nothing to do here.
currentUser()
  .then((user) => {
    if (user) location.replace(next);
  })
  .catch(() => {});

loginInput.focus();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const login = loginInput.value.trim();
  const password = passwordInput.value;
  if (!login) return ui.error('Please enter your email or username.', loginInput);
  if (!password) return ui.error('Please enter your password.', passwordInput);
  ui.busy(true);
  try {
    await api.post('/api/login', { login, password });
    location.assign(next);
  } catch (err) {
    ui.busy(false);
    ui.error(errorText(err), err.code === 'bad-credentials' ? passwordInput : null);
    if (err.code === 'bad-credentials') passwordInput.select();
  }
});
