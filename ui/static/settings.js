// Keygate portal, page "/settings": the signed-in user's security keys and
// passkeys: list, add (after confirming who they are with a one-time code),
// rename and delete.

import * as api from './api.js';
import * as webauthn from './webauthn.js';
import { signedInSession } from './session.js';
import { text, formatDate } from './texts.js';
import { byId, show, busy, rd, withRD, setHidden, setText, element } from './dom.js';

// elevationCodes are the API's answers to a change that needs a fresh
// identity check; the page then asks for a code and tries again.
const elevationCodes = ['elevation_required'];

// state is what the page knows: the session and until when changes are allowed.
const state = { session: null, elevatedUntil: 0, pendingAction: null };

export async function settingsPage() {
  state.session = await signedInSession();
  if (!state.session) {
    return;
  }
  setText('who', text('signed_in_as', { name: state.session.display_name || state.session.username, user: state.session.username }));
  byId('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    addCredential();
  });
  byId('code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    verifyCode();
  });
  byId('code-cancel').addEventListener('click', cancelCode);
  byId('code-resend').addEventListener('click', sendCode);
  if (!webauthn.supported()) {
    setText('add-note', text(window.isSecureContext ? 'webauthn_unsupported_browser' : 'webauthn_insecure'));
    setHidden('add-note', false);
    byId('add-button').disabled = true;
  }
  await loadCredentials();
}

async function loadCredentials() {
  let list;
  try {
    list = await api.get('/api/webauthn/credentials');
  } catch (e) {
    show(e.message, 'error');
    return;
  }
  list = Array.isArray(list) ? list : (list && list.credentials) || [];
  const ul = byId('credentials');
  ul.replaceChildren(...list.map(credentialItem));
  setHidden('no-credentials', list.length > 0);
  updateContinue(list.length);
  if (state.session.level !== 'two_factor' && list.length > 0) {
    showSecondStepFirst();
  }
}

// showSecondStepFirst replaces the add form for a user who has a credential
// but signed in with one factor: the portal adds another only after two.
function showSecondStepFirst() {
  setHidden('add-form', true);
  setHidden('code-form', true);
  setHidden('add-second-step', false);
  byId('add-second-step-link').href = '/2fa?rd=' + encodeURIComponent(window.location.href);
}

// updateContinue points "Continue" at the second step when the session has
// one factor and can now add the second; else at the return address.
function updateContinue(count) {
  const link = byId('continue');
  const s = state.session;
  if (s.level === 'one_factor' && s.factors.includes('password') && count > 0 && rd()) {
    link.href = withRD('/2fa');
  }
  link.hidden = !link.getAttribute('href');
}

// credentialItem renders one credential summary.
function credentialItem(c) {
  const li = element('li', 'credential');
  li.dataset.id = c.id;
  const head = element('div', 'credential-head');
  const name = element('h3', 'credential-name', c.description || text('cred_unnamed'));
  head.append(name);
  head.append(element('span', 'badge', text(c.discoverable ? 'cred_type_passkey' : 'cred_type_key')));
  head.append(element('span', 'badge', text(c.backup_eligible ? 'cred_synced' : 'cred_device_bound')));
  li.append(head);
  const meta = element('dl', 'credential-meta');
  addMeta(meta, text('cred_authenticator'), c.authenticator || text('cred_authenticator_unknown'));
  addMeta(meta, text('cred_created'), formatDate(c.created_at) || '—');
  addMeta(meta, text('cred_last_used'), formatDate(c.last_used_at) || text('cred_never_used'));
  li.append(meta);
  if (c.clone_warning) {
    const warn = element('p', 'warning', text('cred_clone_warning'));
    warn.setAttribute('role', 'note');
    li.append(warn);
  }
  li.append(actions(c, li, name));
  return li;
}

function addMeta(dl, label, value) {
  dl.append(element('dt', '', label), element('dd', '', value));
}

// actions builds the rename and delete controls of one credential.
function actions(c, li, name) {
  const box = element('div', 'credential-actions');
  const rename = element('button', 'secondary small', text('cred_rename'));
  rename.type = 'button';
  const remove = element('button', 'danger small', text('cred_delete'));
  remove.type = 'button';
  box.append(rename, remove);
  labelActions(box, c.description);
  rename.addEventListener('click', () => startRename(c, li, box, name));
  remove.addEventListener('click', () => confirmDelete(c, li, box));
  return box;
}

// labelActions names a credential's buttons for screen readers.
function labelActions(box, description) {
  const [rename, remove] = box.querySelectorAll('button');
  rename.setAttribute('aria-label', text('cred_rename_named', { name: description }));
  remove.setAttribute('aria-label', text('cred_delete_named', { name: description }));
}

function startRename(c, li, box, name) {
  box.hidden = true;
  const form = element('form', 'inline-form');
  const id = 'rename-' + c.id.replace(/[^A-Za-z0-9_-]/g, '');
  const label = element('label', '', text('cred_new_name'));
  label.htmlFor = id;
  const input = element('input');
  input.id = id;
  input.type = 'text';
  input.maxLength = 64;
  input.required = true;
  input.value = c.description || '';
  const save = element('button', 'small', text('cred_save'));
  save.type = 'submit';
  const cancel = element('button', 'secondary small', text('cancel'));
  cancel.type = 'button';
  const row = element('div', 'row');
  row.append(save, cancel);
  form.append(label, input, row);
  li.append(form);
  input.focus();
  input.select();
  const close = () => {
    form.remove();
    box.hidden = false;
  };
  cancel.addEventListener('click', () => {
    close();
    box.querySelector('button').focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const description = input.value.trim();
    if (!description) {
      show(text('cred_name_missing'), 'error');
      input.focus();
      return;
    }
    busy(save, true);
    try {
      const summary = await api.patch('/api/webauthn/credentials/' + encodeURIComponent(c.id), { description });
      c.description = (summary && summary.description) || description;
      name.textContent = c.description;
      labelActions(box, c.description);
      close();
      show(text('cred_renamed', { name: c.description }), 'ok');
      box.querySelector('button').focus();
    } catch (e) {
      show(e.message, 'error');
      busy(save, false);
      input.focus();
    }
  });
}

function confirmDelete(c, li, box) {
  box.hidden = true;
  const panel = element('div', 'confirm');
  const question = element('p', '', text('cred_delete_confirm', { name: c.description }));
  const yes = element('button', 'danger small', text('cred_delete_yes'));
  yes.type = 'button';
  const no = element('button', 'secondary small', text('cancel'));
  no.type = 'button';
  const row = element('div', 'row');
  row.append(yes, no);
  panel.append(question, row);
  li.append(panel);
  no.focus();
  const close = () => {
    panel.remove();
    box.hidden = false;
  };
  no.addEventListener('click', () => {
    close();
    box.querySelectorAll('button')[1].focus();
  });
  yes.addEventListener('click', () => withElevation(yes, async () => {
    await api.del('/api/webauthn/credentials/' + encodeURIComponent(c.id));
    show(text('cred_deleted', { name: c.description }), 'ok');
    await loadCredentials();
    byId('credentials-heading').focus();
  }, close));
}

async function addCredential() {
  const button = byId('add-button');
  const description = byId('description').value.trim();
  await withElevation(button, async () => {
    show(text('status_create'), '');
    const options = await api.post('/api/webauthn/credentials/options', { description });
    const credential = await webauthn.create(options.publicKey, null);
    show(text('status_saving'), '');
    const summary = await api.post('/api/webauthn/credentials', { credential, description });
    byId('description').value = '';
    show(text('cred_added', { name: (summary && summary.description) || description }), 'ok');
    await loadCredentials();
  });
}

// withElevation runs action with button busy. When the portal answers that
// the change needs a fresh identity check, it asks for a one-time code and
// runs action again once the code is confirmed. onDone runs when the action
// has ended, or when the person gives up on the code.
async function withElevation(button, action, onDone) {
  if (state.elevatedUntil && Date.now() >= state.elevatedUntil) {
    state.pendingAction = { button, action, onDone };
    await sendCode();
    return;
  }
  busy(button, true);
  try {
    await action();
    if (onDone) {
      onDone();
    }
  } catch (e) {
    if (e instanceof api.APIError && elevationCodes.includes(e.code)) {
      state.pendingAction = { button, action, onDone };
      busy(button, false);
      await sendCode();
      return;
    }
    if (e instanceof api.APIError && e.code === 'two_factor_required') {
      showSecondStepFirst();
    }
    show(webauthn.errorMessage(e, 'create'), 'error');
  } finally {
    busy(button, false);
  }
}

// sendCode asks the portal to send a one-time code and shows the code form.
async function sendCode() {
  const resend = byId('code-resend');
  busy(resend, true);
  show(text('status_sending_code'), '');
  try {
    const answer = await api.post('/api/identity/code', {});
    setText('code-sent', text('identity_sent', { to: answer.sent_to || '' }));
    setHidden('code-form', false);
    show('', '');
    const input = byId('code');
    input.value = '';
    input.focus();
  } catch (e) {
    show(e.message, 'error');
  } finally {
    busy(resend, false);
  }
}

async function verifyCode() {
  const input = byId('code');
  const code = input.value.replace(/\s+/g, '');
  if (!code) {
    show(text('identity_missing'), 'error');
    input.focus();
    return;
  }
  const button = byId('code-button');
  busy(button, true);
  show(text('status_checking'), '');
  try {
    const answer = await api.post('/api/identity/verify', { code });
    const until = Date.parse(answer.elevated_until);
    state.elevatedUntil = Number.isNaN(until) ? Date.now() + 60000 : until;
    setHidden('code-form', true);
    show(text('identity_ok'), 'ok');
  } catch (e) {
    show(e.message, 'error');
    input.focus();
    busy(button, false);
    return;
  }
  busy(button, false);
  const pending = state.pendingAction;
  state.pendingAction = null;
  if (pending) {
    await withElevation(pending.button, pending.action, pending.onDone);
  }
}

function cancelCode() {
  setHidden('code-form', true);
  const pending = state.pendingAction;
  state.pendingAction = null;
  show('', '');
  if (pending && pending.onDone) {
    pending.onDone();
  }
  byId('add-button').focus();
}
