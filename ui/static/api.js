// Keygate portal: calls to the portal's JSON API.

import { text, hasText } from './texts.js';

// requestTimeout bounds one API call, so that no button waits forever.
const requestTimeout = 30000;

// APIError is a refused or failed API call: the HTTP status (0 when the
// portal could not be reached), the stable code and a sentence to show.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'APIError';
    this.status = status;
    this.code = code;
  }
}

// call sends one request. A body, when given, goes as JSON; the browser adds
// Origin. It resolves to the parsed answer (null for 204) or throws an APIError.
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const controller = new AbortController();
  init.signal = controller.signal;
  const timer = setTimeout(() => controller.abort(), requestTimeout);
  try {
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      const timedOut = controller.signal.aborted;
      throw new APIError(0, timedOut ? 'timeout' : 'network', text(timedOut ? 'error_timeout' : 'error_network'));
    }
    let data = null;
    if (res.status !== 204) {
      try {
        data = await res.json();
      } catch (e) {
        // Not JSON: a proxy's own page, or nothing. The status decides.
      }
    }
    if (!res.ok) {
      throw refusal(res.status, data);
    }
    return data;
  } finally {
    clearTimeout(timer);
  }
}

// refusal builds the APIError of a non-2xx answer. The catalog may word a
// code itself ("error_" + code), for translations; else the portal's message.
function refusal(status, data) {
  const code = (data && typeof data.error === 'string' && data.error) || 'http_' + status;
  let message = data && typeof data.message === 'string' ? data.message : '';
  if (hasText('error_' + code)) {
    message = text('error_' + code);
  }
  if (!message) {
    message = text(status >= 500 ? 'error_server' : 'error_generic');
  }
  return new APIError(status, code, message);
}

export function get(path) {
  return call('GET', path);
}

export function post(path, body) {
  return call('POST', path, body === undefined ? {} : body);
}

export function patch(path, body) {
  return call('PATCH', path, body);
}

export function del(path) {
  return call('DELETE', path);
}
