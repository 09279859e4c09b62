// Keygate portal: small helpers for the page: the status line, busy buttons,
// the return address and navigation.

import { text } from './texts.js';

// byId returns the element with id, or null.
export function byId(id) {
  return document.getElementById(id);
}

// show sets the status line: kind is "" (progress), "ok" or "error". The line
// is a live region, so screen readers announce it.
export function show(message, kind) {
  const el = byId('status');
  if (!el) {
    return;
  }
  el.textContent = message || '';
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
}

// busy marks a button as working (disabled, aria-busy, a spinner from CSS)
// or gives it back. Callers set it back in a finally block.
export function busy(button, on) {
  if (!button) {
    return;
  }
  button.disabled = on;
  if (on) {
    button.setAttribute('aria-busy', 'true');
  } else {
    button.removeAttribute('aria-busy');
  }
}

// rd is the address to return to, from this page's query; the portal checks it.
export function rd() {
  return new URLSearchParams(window.location.search).get('rd') || '';
}

// withRD returns path with this page's rd appended, when there is one.
export function withRD(path) {
  const r = rd();
  if (!r) {
    return path;
  }
  return path + (path.includes('?') ? '&' : '?') + 'rd=' + encodeURIComponent(r);
}

// follow goes to an address the portal answered with. Only http(s) is followed.
export function follow(address, replace) {
  let url;
  try {
    url = new URL(address, window.location.href);
  } catch (e) {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    show(text('error_bad_redirect'), 'error');
    return;
  }
  show(text('status_redirecting'), '');
  if (replace) {
    window.location.replace(url.href);
  } else {
    window.location.assign(url.href);
  }
}

// toSignIn sends a visitor without a session to the sign-in page, to come
// back here afterwards.
export function toSignIn() {
  window.location.replace('/?rd=' + encodeURIComponent(window.location.href));
}

// setHidden shows or hides the element with id.
export function setHidden(id, hidden) {
  const el = byId(id);
  if (el) {
    el.hidden = hidden;
  }
}

// setText sets the text of the element with id.
export function setText(id, value) {
  const el = byId(id);
  if (el) {
    el.textContent = value;
  }
}

// element makes an element with a class and text.
export function element(tag, className, content) {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (content !== undefined) {
    el.textContent = content;
  }
  return el;
}
