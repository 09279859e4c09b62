// Keygate portal, page "/": sign in with a username and password, with a
// passkey from the username field's autofill, or with the "Sign in with a
// passkey" button; or, when already signed in, offer to go on.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { text } from './texts.js';
import { submitPassword } from './password.js';
import { byId, show, busy, rd, withRD, follow, setHidden, setText } from './dom.js';

// renewMarginMs restarts the autofill request this long before its challenge expires.
const renewMarginMs = 5000;

// maxConditionalFailures stops renewing the autofill request after this many
// failures in a row, so that a browser that refuses at once is not asked forever.
const maxConditionalFailures = 3;

// conditional is the pending autofill request: its AbortController, the
// promise that settles when it ends, and the timer that renews it.
let conditional = null;
let conditionalFailures = 0;

export async function signInPage() {
  let session;
  try {
    session = await api.get('/api/session');
  } catch (e) {
    show(e.message, 'error');
    showForm(null);
    return;
  }
  if (session.authenticated) {
    signedIn(session);
    return;
  }
  showForm(session);
}

// signedIn handles a browser that already has a session. A one-factor
// session sent back here by an app (rd) goes on to its second step; anything
// else sees where it stands and where it can go.
function signedIn(session) {
  const secondStep = session.level === 'one_factor' && hasSecondStep(session);
  if (secondStep && rd()) {
    window.location.replace(withRD('/2fa'));
    return;
  }
  setHidden('signin-view', true);
  setHidden('signed-in-view', false);
  setText('signed-in-as', text('signed_in_as', { name: session.display_name || session.username, user: session.username }));
  const needsKey = session.level === 'one_factor' && !hasSecondStep(session);
  const cont = byId('continue');
  // An app that sent a one-factor session here wants more: going back would loop.
  cont.hidden = !cont.getAttribute('href') || (needsKey && Boolean(rd()));
  const verify = byId('second-step');
  verify.href = withRD('/2fa');
  verify.textContent = text(session.factors.includes('password') ? 'signed_in_use_key' : 'signed_in_enter_password');
  // Offered to finish a one-factor sign-in, or to confirm again (a fresh
  // factor) when an app sent a two-factor session back here.
  const refresh = session.level === 'two_factor' && Boolean(rd()) && session.credentials > 0;
  verify.hidden = !(secondStep || refresh);
  if (refresh) {
    verify.textContent = text('signed_in_use_key');
  }
  const add = byId('add-key');
  add.href = withRD('/settings');
  add.hidden = !needsKey;
  setText('signed-in-note', needsKey && rd() ? text('signed_in_needs_key') : '');
  byId('signed-in-heading').focus();
}

// hasSecondStep reports whether the session can reach two factors on /2fa:
// a password with a registered credential, or a passkey that still needs the password.
function hasSecondStep(session) {
  const f = session.factors;
  return (f.includes('password') && session.credentials > 0) || (f.includes('passkey') && !f.includes('password'));
}

function showForm(session) {
  const form = byId('signin');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    passwordSignIn(form);
  });
  const passkeyLogin = !session || session.passkey_login;
  if (!passkeyLogin) {
    return;
  }
  if (!webauthn.supported()) {
    setText('passkey-note', text(window.isSecureContext ? 'webauthn_unsupported_browser' : 'webauthn_insecure'));
    setHidden('passkey-note', false);
    return;
  }
  const button = byId('passkey');
  button.hidden = false;
  setHidden('or', false);
  button.addEventListener('click', () => modalPasskey(button));
  startConditional();
}

async function passwordSignIn(form) {
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    show(text('signin_missing'), 'error');
    (username ? form.elements.password : form.elements.username).focus();
    return;
  }
  await submitPassword(form, byId('submit'), { username, password, remember_me: rememberMe(), rd: rd() },
    stopConditional);
}

function rememberMe() {
  const box = byId('remember-me');
  return Boolean(box && box.checked);
}

// startConditional offers passkeys in the username field's autofill while
// the page is open. The request is renewed before its challenge expires, and
// stopped (stopConditional) before a modal request starts.
async function startConditional() {
  if (!(await webauthn.conditionalAvailable()) || conditional) {
    return;
  }
  const controller = new AbortController();
  const entry = { controller, done: null, timer: 0 };
  conditional = entry;
  entry.done = (async () => {
    let failed = false;
    try {
      const options = await api.post('/api/login/passkey/options', { conditional: true });
      if (controller.signal.aborted) {
        return;
      }
      const ttl = Number(options.publicKey.timeout) || 0;
      if (ttl > renewMarginMs) {
        entry.timer = setTimeout(() => renewConditional(entry), ttl - renewMarginMs);
      }
      const credential = await webauthn.get(options.publicKey, options.mediation || 'conditional', controller.signal);
      clearTimeout(entry.timer);
      await finishPasskey(credential, options.publicKey, null);
    } catch (e) {
      clearTimeout(entry.timer);
      // The browser's own refusals of an autofill request are not shown: the
      // person asked for nothing. The portal's refusal of a chosen passkey is.
      if (!controller.signal.aborted && e instanceof api.APIError) {
        show(e.message, 'error');
        failed = true;
      }
    } finally {
      if (conditional === entry) {
        conditional = null;
      }
    }
    if (failed && ++conditionalFailures < maxConditionalFailures) {
      startConditional(); // offer passkeys again after a refused one
    }
  })();
}

// renewConditional replaces an autofill request whose challenge is about to expire.
async function renewConditional(entry) {
  if (conditional !== entry) {
    return;
  }
  entry.controller.abort();
  await entry.done;
  startConditional();
}

// stopConditional aborts the autofill request, if any, and resolves when it
// has ended: the browser allows one WebAuthn request at a time.
async function stopConditional() {
  const entry = conditional;
  if (!entry) {
    return;
  }
  conditional = null;
  clearTimeout(entry.timer);
  entry.controller.abort();
  await entry.done;
}

async function modalPasskey(button) {
  busy(button, true);
  show(text('status_passkey'), '');
  try {
    await stopConditional();
    const options = await api.post('/api/login/passkey/options', { conditional: false });
    const credential = await webauthn.get(options.publicKey, null, null);
    await finishPasskey(credential, options.publicKey, button);
  } catch (e) {
    show(webauthn.errorMessage(e, 'get'), 'error');
    busy(button, false);
    button.focus();
    startConditional();
  }
}

// finishPasskey sends the assertion; a passkey that did not verify the user
// leads to the password step. A passkey the portal does not know (deleted)
// is reported to the browser, which may then stop offering it.
async function finishPasskey(credential, publicKey, button) {
  show(text('status_checking'), '');
  let answer;
  try {
    answer = await api.post('/api/login/passkey', { credential, remember_me: rememberMe(), rd: rd() });
  } catch (e) {
    if (e instanceof api.APIError && e.code === 'unknown_credential') {
      webauthn.signalUnknown(publicKey.rpId, credential.id);
    }
    throw e;
  }
  if (answer.next === 'password') {
    window.location.assign(withRD('/2fa'));
    return;
  }
  follow(answer.redirect);
  if (button) {
    button.disabled = true;
  }
}
