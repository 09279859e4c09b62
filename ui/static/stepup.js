// Keygate portal, page "/step-up": a rule requires another kind of security
// key or passkey than the one this session used. The page says which, offers
// only the credentials that qualify and, when none does, says how to get one.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { signedInSession } from './session.js';
import { text } from './texts.js';
import { byId, show, busy, rd, withRD, follow, setHidden, setText } from './dom.js';

// requirement is the require parameter authz put in this page's URL.
function requirement() {
  return new URLSearchParams(window.location.search).get('require') || '';
}

// describe words a requirement ("device_bound,cross-platform,max_age=900").
export function describe(require) {
  const items = require.split(',').filter(Boolean);
  const parts = [];
  if (items.includes('cross-platform')) {
    parts.push(text('stepup_need_security_key'));
  } else if (items.includes('platform')) {
    parts.push(text('stepup_need_platform'));
  } else {
    parts.push(text('stepup_need_any'));
  }
  if (items.includes('device_bound')) {
    parts.push(text('stepup_need_device_bound'));
  }
  if (items.includes('uv')) {
    parts.push(text('stepup_need_uv'));
  }
  if (items.some((i) => i.startsWith('aaguid='))) {
    parts.push(text('stepup_need_model'));
  }
  return parts.join(' ');
}

export async function stepUpPage() {
  const session = await signedInSession();
  if (!session) {
    return;
  }
  setText('who', text('signed_in_as', { name: session.display_name || session.username, user: session.username }));
  setText('need', describe(requirement()));
  byId('stepup-settings').href = withRD('/settings');
  const button = byId('stepup-button');
  if (!webauthn.supported()) {
    show(text(window.isSecureContext ? 'webauthn_unsupported_browser' : 'webauthn_insecure'), 'error');
    button.disabled = true;
    return;
  }
  button.addEventListener('click', () => stepUp(button));
  stepUp(button);
}

async function stepUp(button) {
  busy(button, true);
  show(text('status_key'), '');
  try {
    const options = await api.post('/api/login/step-up/options', { require: requirement() });
    if (options.credentials.length > 0) {
      setText('offered', text('stepup_offered', { names: options.credentials.join(', ') }));
      setHidden('offered', false);
    }
    const credential = await webauthn.get(options.publicKey, null, null);
    show(text('status_checking'), '');
    const answer = await api.post('/api/login/webauthn', { credential, rd: rd() });
    follow(answer.redirect);
  } catch (e) {
    if (e instanceof api.APIError && (e.code === 'no_qualifying_credential' || e.code === 'no_credentials')) {
      setHidden('no-qualifying', false);
      button.hidden = true;
      show(e.message, 'error');
      return;
    }
    show(webauthn.errorMessage(e, 'get'), 'error');
    busy(button, false);
    button.focus();
  }
}
