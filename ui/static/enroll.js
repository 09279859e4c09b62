// Keygate portal, page "/enroll": the landing page of an invite link. The
// invited person creates a passkey and is signed in.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { text } from './texts.js';
import { byId, show, busy, follow, setHidden } from './dom.js';

export function enrollPage() {
  const token = new URLSearchParams(window.location.search).get('token') || '';
  // The token is a one-time secret: keep it out of the address bar and history.
  if (token && window.history.replaceState) {
    window.history.replaceState(null, '', window.location.pathname);
  }
  const form = byId('enroll-form');
  const button = byId('enroll-button');
  if (!token) {
    show(text('enroll_no_token'), 'error');
    button.disabled = true;
    return;
  }
  if (!webauthn.supported()) {
    show(text(window.isSecureContext ? 'webauthn_unsupported_browser' : 'webauthn_insecure'), 'error');
    button.disabled = true;
    return;
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    enroll(token, form, button);
  });
}

async function enroll(token, form, button) {
  const description = form.elements.description.value.trim();
  busy(button, true);
  show(text('status_create'), '');
  try {
    const options = await api.post('/api/enroll/options', { token, description });
    const credential = await webauthn.create(options.publicKey, null);
    show(text('status_saving'), '');
    const answer = await api.post('/api/enroll', { token, credential, description });
    setHidden('enroll-form', true);
    show(text('enroll_done'), 'ok');
    follow(answer.redirect);
  } catch (e) {
    show(webauthn.errorMessage(e, 'create'), 'error');
    busy(button, false);
    button.focus();
  }
}
