// Keygate portal: runs the script of the page named by <body data-page>.
// No framework, no inline script: the Content-Security-Policy allows only
// the portal's own files.

import { signInPage } from './signin.js';
import { twoFactorPage } from './twofactor.js';
import { stepUpPage } from './stepup.js';
import { settingsPage } from './settings.js';
import { tokensSection } from './tokens.js';
import { enrollPage } from './enroll.js';
import { logoutPage } from './logout.js';

const pages = {
  signin: signInPage,
  twofactor: twoFactorPage,
  stepup: stepUpPage,
  settings: () => Promise.all([settingsPage(), tokensSection()]),
  enroll: enrollPage,
  logout: logoutPage,
};

const run = pages[document.body.dataset.page];
if (run) {
  run();
}
