// What every hosted page's script shares: its text and state, calls to auth's JSON API, and the
// two live regions (#status, polite; #error, role=alert) through which screen readers hear news.

const dataBlock = document.getElementById('page-data');
/** The page's state and text, from its JSON data block. */
export const page = JSON.parse(dataBlock ? dataBlock.textContent : '{}');
export const text = page.text || {};

/** `{name}` placeholders filled from `values`. */
export function format(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));
}

export const byId = (id) => document.getElementById(id);

/**
 * Calls auth's JSON API on this origin. Bodies are always JSON: a cross-site page cannot send
 * such a request without a CORS preflight, which auth never grants.
 */
export async function api(method, path, body) {
  const options = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['content-type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, status: 0, body: { code: 'network' } };
  }
  let json = {};
  try {
    json = await response.json();
  } catch {
    json = {};
  }
  return { ok: response.ok, status: response.status, body: json };
}

/** The message for an API answer, by its error code; the server's words only as a last resort. */
export function messageFor(answer) {
  const errors = text.errors || {};
  const code = answer && answer.body ? answer.body.code : undefined;
  if (code === 'network') return errors.network;
  return errors[code] || (answer && answer.body && answer.body.details) || errors.generic;
}

/** Says something in the polite live region (progress, success). */
export function announce(message) {
  byId('error').textContent = '';
  byId('status').textContent = message;
}

/**
 * Shows an error in the alert region, which screen readers read out at once. With a field, the
 * message also goes under it, the field is marked invalid and gets the focus.
 */
export function showError(message, field) {
  byId('status').textContent = '';
  byId('error').textContent = message;
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    const holder = byId(`${field.id}-error`);
    if (holder) holder.textContent = message;
    field.focus();
  }
}

/** Clears every error of a form (or of the page) before a new attempt. */
export function clearErrors(scope = document) {
  byId('error').textContent = '';
  for (const field of scope.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
  for (const holder of scope.querySelectorAll('.field-error')) holder.textContent = '';
}

/** Shows a part of the page and moves the focus to its heading (or first field), so keyboard and screen reader users follow. */
export function reveal(element, focusTarget) {
  element.hidden = false;
  const target = focusTarget || element.querySelector('[tabindex="-1"], input, button');
  if (target) target.focus();
}

/** Disables a form's buttons while a request runs, so a double press sends nothing twice. */
export async function busy(element, work) {
  const buttons = element.tagName === 'BUTTON' ? [element] : [...element.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

const MFA_KEY = 'malet.mfa';

/** Where a finished sign-in goes: the allow-listed return_to the server kept, else the account page. */
export function afterSignIn() {
  window.location.assign(page.returnTo || '/auth/ui/account');
}

/** A sign-in answer: a session (go on) or a second factor to answer on the MFA page. */
export function continueSignIn(answer) {
  if (answer.body.mfa_required) {
    sessionStorage.setItem(MFA_KEY, JSON.stringify({ token: answer.body.mfa_token, methods: answer.body.mfa_methods }));
    const query = page.returnTo ? `?return_to=${encodeURIComponent(page.returnTo)}` : '';
    window.location.assign(`/auth/ui/mfa${query}`);
    return;
  }
  afterSignIn();
}

/** The pending second step of this tab's sign-in, if any (and forgets it once used). */
export const pendingMfa = {
  read() {
    try {
      return JSON.parse(sessionStorage.getItem(MFA_KEY) || 'null');
    } catch {
      return null;
    }
  },
  store(value) {
    sessionStorage.setItem(MFA_KEY, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(MFA_KEY);
  },
};

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
