// Keygate portal, the "Access tokens" section of "/settings": list, create
// (after touching a security key or using a passkey) and revoke the tokens
// native clients use where rules allow tokens.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { text, formatDate } from './texts.js';
import { byId, show, busy, setHidden, element } from './dom.js';

export async function tokensSection() {
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    createToken();
  });
  await loadTokens();
}

async function loadTokens() {
  let list;
  try {
    list = await api.get('/api/tokens');
  } catch (e) {
    show(e.message, 'error');
    return;
  }
  byId('tokens').replaceChildren(...list.map(tokenItem));
  setHidden('no-tokens', list.length > 0);
}

function tokenItem(t) {
  const li = element('li', 'credential');
  li.dataset.id = t.id;
  li.append(element('strong', 'token-name', t.name));
  const scope = [t.hosts.join(', '), t.paths.join(', '), t.methods.join(', ')].filter(Boolean).join(' · ');
  li.append(element('span', 'meta', scope));
  const used = t.last_used_at ? text('tokens_used', { date: formatDate(t.last_used_at), ip: t.last_used_ip || '' }) : text('tokens_never_used');
  const expiry = t.expired ? text('tokens_expired') : text('tokens_expires', { date: formatDate(t.expires_at) });
  li.append(element('span', 'meta', used + ' · ' + expiry));
  const revoke = element('button', 'secondary', text('tokens_revoke'));
  revoke.type = 'button';
  revoke.addEventListener('click', () => revokeToken(t.id, revoke));
  li.append(revoke);
  return li;
}

// list splits a comma-separated field.
function list(value) {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function createToken() {
  const form = byId('token-form');
  const button = byId('token-button');
  const body = {
    name: form.elements.name.value.trim(),
    hosts: list(form.elements.hosts.value),
    paths: list(form.elements.paths.value),
    methods: list(form.elements.methods.value.toUpperCase()),
    expires_in_days: Number(form.elements.days.value),
  };
  busy(button, true);
  try {
    let created;
    try {
      created = await api.post('/api/tokens', body);
    } catch (e) {
      if (!(e instanceof api.APIError) || e.code !== 'step_up_required') {
        throw e;
      }
      await stepUp();
      created = await api.post('/api/tokens', body);
    }
    byId('token-text').value = created.token;
    setHidden('token-shown', false);
    byId('token-text').select();
    show('', '');
    await loadTokens();
  } catch (e) {
    show(webauthn.errorMessage(e, 'get'), 'error');
  } finally {
    busy(button, false);
  }
}

// stepUp touches any of the user's keys, so that the session has a fresh one.
async function stepUp() {
  show(text('tokens_step_up'), '');
  const options = await api.post('/api/login/step-up/options', { require: '' });
  const credential = await webauthn.get(options.publicKey, null, null);
  await api.post('/api/login/webauthn', { credential, rd: '' });
}

async function revokeToken(id, button) {
  busy(button, true);
  try {
    await api.del('/api/tokens/' + encodeURIComponent(id));
    show(text('tokens_revoked'), '');
    await loadTokens();
  } catch (e) {
    show(e.message, 'error');
    busy(button, false);
  }
}
