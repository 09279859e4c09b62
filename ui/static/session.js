// Keygate portal: the session a page for signed-in users starts from.

import * as api from './api.js';
import { show, toSignIn } from './dom.js';

// signedInSession returns the browser's session, or null once it has shown
// why it could not be read or sent an anonymous browser to sign in.
export async function signedInSession() {
  let session;
  try {
    session = await api.get('/api/session');
  } catch (e) {
    show(e.message, 'error');
    return null;
  }
  if (!session.authenticated) {
    toSignIn();
    return null;
  }
  return session;
}
