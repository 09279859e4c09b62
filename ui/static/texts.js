// Keygate portal: the texts of the page's language, from the portal's catalog.
// The server puts the catalog on <body data-texts="{...}">; nothing here holds
// words of its own, so a translation needs only a new catalog file.

const texts = (() => {
  try {
    return JSON.parse(document.body.dataset.texts || '{}');
  } catch (e) {
    return {};
  }
})();

// text returns the text under key with {name} placeholders filled from vars.
// A missing key shows as itself, which a test of the catalog catches.
export function text(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }
  return s;
}

// hasText reports whether the catalog has key.
export function hasText(key) {
  return Object.prototype.hasOwnProperty.call(texts, key);
}

// formatDate renders an RFC 3339 time in the page's language, or "" for a
// missing or zero time.
export function formatDate(value) {
  if (!value) {
    return '';
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) {
    return '';
  }
  try {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
    }).format(d);
  } catch (e) {
    return d.toLocaleString();
  }
}
