// Keygate portal: WebAuthn in the browser. Options arrive in the W3C JSON
// form and credentials leave as PublicKeyCredential.toJSON(); the browser's
// own parse*FromJSON and toJSON are used where they exist, with a small
// base64url fallback for browsers without them.

import { APIError } from './api.js';
import { text } from './texts.js';

// graceMs is added to the ceremony's own timeout before the page gives up on
// a browser that never answers, so that no button stays busy.
const graceMs = 10000;

// defaultTimeoutMs is used when the options name no timeout.
const defaultTimeoutMs = 120000;

// supported reports whether this browser can use passkeys and security keys here.
export function supported() {
  return Boolean(window.isSecureContext && window.PublicKeyCredential && navigator.credentials &&
    typeof navigator.credentials.create === 'function' && typeof navigator.credentials.get === 'function');
}

// conditionalAvailable reports whether passkeys can be offered in the
// username field's autofill (conditional mediation).
export async function conditionalAvailable() {
  if (!supported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') {
    return false;
  }
  try {
    return Boolean(await PublicKeyCredential.isConditionalMediationAvailable());
  } catch (e) {
    return false;
  }
}

// create runs navigator.credentials.create with creation options in JSON form
// and resolves to the new credential's JSON.
export async function create(publicKeyJSON, signal) {
  const publicKey = creationOptions(publicKeyJSON);
  return ceremony(publicKey.timeout, signal, (s) => navigator.credentials.create({ publicKey, signal: s }));
}

// get runs navigator.credentials.get with request options in JSON form and
// resolves to the assertion's JSON. mediation is "conditional" for autofill.
export async function get(publicKeyJSON, mediation, signal) {
  const publicKey = requestOptions(publicKeyJSON);
  const options = { publicKey };
  if (mediation) {
    options.mediation = mediation;
  }
  const timeout = mediation === 'conditional' ? 0 : publicKey.timeout;
  return ceremony(timeout, signal, (s) => navigator.credentials.get(Object.assign(options, { signal: s })));
}

// ceremony runs start with a signal that aborts when signal does or, unless
// timeoutMs is 0, when the browser has not answered well after timeoutMs.
async function ceremony(timeoutMs, signal, start) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal) {
    if (signal.aborted) {
      throw abortError();
    }
    signal.addEventListener('abort', onAbort, { once: true });
  }
  let timedOut = false;
  const timer = timeoutMs === 0 ? 0 : setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, (timeoutMs || defaultTimeoutMs) + graceMs);
  try {
    const cred = await start(controller.signal);
    if (!cred) {
      throw new DOMException('no credential', 'NotAllowedError');
    }
    return credentialJSON(cred);
  } catch (e) {
    if (timedOut) {
      throw new DOMException('the browser did not answer', 'TimeoutError');
    }
    throw e;
  } finally {
    clearTimeout(timer);
    if (signal) {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function abortError() {
  return new DOMException('aborted', 'AbortError');
}

// signalUnknown tells the browser that the relying party does not know a
// credential, where the browser supports it, so that its passkey manager can
// stop offering it. Failures are ignored: this is a courtesy.
export function signalUnknown(rpId, credentialId) {
  if (!rpId || !credentialId || !window.PublicKeyCredential ||
    typeof PublicKeyCredential.signalUnknownCredential !== 'function') {
    return;
  }
  PublicKeyCredential.signalUnknownCredential({ rpId, credentialId }).catch(() => {});
}

// errorMessage turns what a ceremony threw into a sentence that says what to
// do next. kind is "create" or "get".
export function errorMessage(err, kind) {
  if (err instanceof APIError) {
    return err.message;
  }
  const name = (err && err.name) || '';
  switch (name) {
    case 'NotAllowedError':
      return text(kind === 'create' ? 'webauthn_not_allowed_create' : 'webauthn_not_allowed_get');
    case 'InvalidStateError':
      return text(kind === 'create' ? 'webauthn_already_registered' : 'webauthn_invalid_state');
    case 'SecurityError':
      return text('webauthn_security');
    case 'AbortError':
      return text('webauthn_aborted');
    case 'TimeoutError':
      return text('webauthn_timeout');
    case 'NotSupportedError':
      return text('webauthn_not_supported');
    case 'ConstraintError':
      return text('webauthn_constraint');
    case 'NotReadableError':
    case 'UnknownError':
      return text('webauthn_device_error');
    default:
      return text('webauthn_unknown', { name: name || 'Error' });
  }
}

// creationOptions decodes PublicKeyCredentialCreationOptionsJSON.
export function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  const o = Object.assign({}, json);
  o.challenge = fromBase64URL(json.challenge);
  o.user = Object.assign({}, json.user, { id: fromBase64URL(json.user.id) });
  if (json.excludeCredentials) {
    o.excludeCredentials = json.excludeCredentials.map(descriptor);
  }
  return o;
}

// requestOptions decodes PublicKeyCredentialRequestOptionsJSON.
export function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  const o = Object.assign({}, json);
  o.challenge = fromBase64URL(json.challenge);
  if (json.allowCredentials) {
    o.allowCredentials = json.allowCredentials.map(descriptor);
  }
  return o;
}

function descriptor(d) {
  return Object.assign({}, d, { id: fromBase64URL(d.id) });
}

// credentialJSON is cred.toJSON(), or the same shape built by hand.
export function credentialJSON(cred) {
  if (typeof cred.toJSON === 'function') {
    return cred.toJSON();
  }
  const r = cred.response;
  const out = {
    id: cred.id,
    rawId: toBase64URL(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || null,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    response: { clientDataJSON: toBase64URL(r.clientDataJSON) },
  };
  if (r.attestationObject) {
    out.response.attestationObject = toBase64URL(r.attestationObject);
    out.response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    if (typeof r.getAuthenticatorData === 'function') {
      out.response.authenticatorData = toBase64URL(r.getAuthenticatorData());
    }
    if (typeof r.getPublicKeyAlgorithm === 'function') {
      out.response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    }
    const key = typeof r.getPublicKey === 'function' ? r.getPublicKey() : null;
    if (key) {
      out.response.publicKey = toBase64URL(key);
    }
  } else {
    out.response.authenticatorData = toBase64URL(r.authenticatorData);
    out.response.signature = toBase64URL(r.signature);
    out.response.userHandle = r.userHandle ? toBase64URL(r.userHandle) : null;
  }
  return out;
}

// toBase64URL encodes bytes as base64url without padding.
export function toBase64URL(buffer) {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    s += String.fromCharCode(bytes[i]);
  }
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// fromBase64URL decodes base64url, with or without padding, to an ArrayBuffer.
export function fromBase64URL(value) {
  const s = String(value).replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(s + '==='.slice((s.length + 3) % 4));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    bytes[i] = bin.charCodeAt(i);
  }
  return bytes.buffer;
}
