// Keygate portal: the password request that the sign-in page and the
// password step after a passkey share.

import * as api from './api.js';
import { text } from './texts.js';
import { show, busy, follow } from './dom.js';

// submitPassword posts body to the password sign-in and follows the answer's
// redirect. On a refusal it says why, clears the password field, gives it the
// focus back and frees the button. beforeLeaving, when given, runs once the
// password was accepted.
export async function submitPassword(form, button, body, beforeLeaving) {
  busy(button, true);
  show(text('status_signing_in'), '');
  try {
    const answer = await api.post('/api/login/password', body);
    if (beforeLeaving) {
      beforeLeaving();
    }
    follow(answer.redirect);
  } catch (e) {
    show(e.message, 'error');
    form.elements.password.value = '';
    form.elements.password.focus();
    busy(button, false);
  }
}
