// Keygate portal: submits the forms as JSON and follows the portal's answer.
'use strict';

(function () {
  // rd is the address to return to, passed on to the portal that checks it.
  function rd() {
    return new URLSearchParams(window.location.search).get('rd') || '';
  }

  // post sends body as JSON and resolves to the parsed answer, or throws an
  // Error carrying the portal's message.
  async function post(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw new Error('The portal cannot be reached. Check your connection and try again.');
    }
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      // A proxy page or an empty answer: fall through with no data.
    }
    if (!res.ok) {
      throw new Error(data.message || 'Something went wrong. Please try again.');
    }
    return data;
  }

  // follow goes to an absolute http(s) address from the portal.
  function follow(address) {
    const url = new URL(address, window.location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error('The portal answered with an unusable address.');
    }
    window.location.assign(url.href);
  }

  function show(el, text, isError) {
    el.textContent = text;
    el.classList.toggle('error', Boolean(isError));
  }

  function setUpSignIn(form) {
    const message = document.getElementById('message');
    const button = document.getElementById('submit');
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      const remember = document.getElementById('remember-me');
      const body = {
        username: form.elements.username.value.trim(),
        password: form.elements.password.value,
        remember_me: Boolean(remember && remember.checked),
        rd: rd(),
      };
      if (!body.username || !body.password) {
        show(message, 'Enter your username and password.', true);
        return;
      }
      button.disabled = true;
      show(message, 'Signing in…', false);
      try {
        const answer = await post('/api/login/password', body);
        follow(answer.redirect);
      } catch (e) {
        show(message, e.message, true);
        form.elements.password.value = '';
        form.elements.password.focus();
        button.disabled = false;
      }
    });
  }

  async function signOut(container) {
    const message = document.getElementById('message');
    try {
      const answer = await post('/api/logout', { rd: rd() });
      if (rd()) {
        follow(answer.redirect);
        return;
      }
      show(message, '', false);
      document.getElementById('signed-out').hidden = false;
    } catch (e) {
      show(message, e.message, true);
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    const form = document.getElementById('signin');
    if (form) {
      setUpSignIn(form);
    }
    const logout = document.getElementById('logout');
    if (logout) {
      signOut(logout);
    }
  });
})();
