// Keygate portal, page "/logout": signs out and says so, or goes on to rd.
// Reached from another site, the page shows a button instead, and signs out
// only when it is pressed.

import * as api from './api.js';
import { text } from './texts.js';
import { byId, show, rd, follow, setHidden } from './dom.js';

export function logoutPage() {
  const confirm = byId('confirm-button');
  if (!confirm) {
    signOut();
    return;
  }
  confirm.addEventListener('click', () => {
    setHidden('confirm', true);
    signOut();
  });
  confirm.focus();
}

async function signOut() {
  show(text('status_signing_out'), '');
  try {
    const answer = await api.post('/api/logout', { rd: rd() });
    if (rd()) {
      follow(answer.redirect, true);
      return;
    }
    show('', '');
    setHidden('signed-out', false);
    byId('signed-out-heading').focus();
  } catch (e) {
    show(e.message, 'error');
    setHidden('retry', false);
  }
}
