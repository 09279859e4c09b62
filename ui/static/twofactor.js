// Keygate portal, page "/2fa": the second step after a password (touch a
// security key or use a passkey), or the password after a passkey that did
// not verify the user.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { signedInSession } from './session.js';
import { text } from './texts.js';
import { submitPassword } from './password.js';
import { byId, show, busy, rd, withRD, follow, setHidden, setText } from './dom.js';

export async function twoFactorPage() {
  const session = await signedInSession();
  if (!session) {
    return;
  }
  if (rd()) {
    // Signing out here leads back to the sign-in page, for the same app.
    byId('other-account').href = '/logout?rd=' + encodeURIComponent(window.location.origin + withRD('/'));
  }
  setText('who', text('signed_in_as', { name: session.display_name || session.username, user: session.username }));
  const f = session.factors;
  if (f.includes('passkey') && !f.includes('password')) {
    passwordStep(session);
    return;
  }
  keyStep();
}

function keyStep() {
  setHidden('key-step', false);
  const button = byId('key-button');
  if (!webauthn.supported()) {
    show(text(window.isSecureContext ? 'webauthn_unsupported_browser' : 'webauthn_insecure'), 'error');
    button.disabled = true;
    return;
  }
  button.addEventListener('click', () => useKey(button));
  useKey(button); // most browsers allow the first request without a click
}

async function useKey(button) {
  busy(button, true);
  show(text('status_key'), '');
  try {
    const options = await api.post('/api/login/webauthn/options', {});
    const credential = await webauthn.get(options.publicKey, null, null);
    show(text('status_checking'), '');
    const answer = await api.post('/api/login/webauthn', { credential, rd: rd() });
    follow(answer.redirect);
  } catch (e) {
    if (e instanceof api.APIError && e.code === 'no_credentials') {
      setHidden('no-key', false);
      byId('add-key').href = withRD('/settings');
    }
    show(webauthn.errorMessage(e, 'get'), 'error');
    busy(button, false);
    button.focus();
  }
}

function passwordStep(session) {
  setHidden('password-step', false);
  const form = byId('password-form');
  form.elements.username.value = session.username;
  form.elements.password.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = form.elements.password.value;
    if (!password) {
      show(text('password_missing'), 'error');
      form.elements.password.focus();
      return;
    }
    await submitPassword(form, byId('password-button'),
      { username: session.username, password, remember_me: false, rd: rd() });
  });
}
