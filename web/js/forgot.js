// Ask for a password-reset link. The server always answers 202, whether or not the
// account exists, and so does this page.
import { api } from './api.js';
import { $, FormUi, emailError, errorText } from './ui.js';

const form = $('forgot-form');
const email = $('email');
const ui = new FormUi(form);
email.focus();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = email.value.trim();
  const problem = emailError(value);
  if (problem) return ui.error(problem, email);
  ui.busy(true);
  try {
    await api.post('/api/password/forgot', { email: value });
    form.hidden = true;
    $('forgot-done').hidden = false;
  } catch (err) {
    ui.busy(false);
    ui.error(errorText(err));
  }
});
