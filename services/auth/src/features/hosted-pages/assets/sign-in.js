// The sign-in page: passkey (button, autofill in the email field, or for a given email), email
// code, magic link, password.
import { EMAIL_PATTERN, announce, api, busy, byId, clearErrors, continueSignIn, format, messageFor, page, reveal, showError, text } from './common.js';
import { autofillSupported, getPasskey, passkeysSupported } from './webauthn.js';

const email = byId('email');
const identifyForm = byId('identify-form');
const methods = byId('methods');
const codeForm = byId('code-form');
let chosenEmail = '';
/** The autofill request waiting in the email field; aborted before any other passkey request. */
let autofill = null;

async function finishWithPasskey(start, signal) {
  const assertion = await getPasskey(start, signal);
  announce(text.signingIn);
  const answer = await api('POST', '/auth/passkey/login/finish', assertion);
  if (!answer.ok) throw answer;
  continueSignIn(answer);
}

/** A passkey sign-in from a button: without an email (any passkey) or for the chosen email. */
async function passkeySignIn(button, body) {
  clearErrors();
  autofill?.abort();
  let signedIn = false;
  await busy(button, async () => {
    const start = await api('POST', '/auth/passkey/login/start', body);
    if (!start.ok) return showError(messageFor(start));
    try {
      await finishWithPasskey(start.body);
      signedIn = true;
    } catch (failure) {
      showError(failure && failure.body ? messageFor(failure) : text.errors.passkeyCancelled);
    }
  });
  // Signed in, the page is on its way out: a fresh autofill request now could be answered before
  // it leaves and sign in a second time.
  if (!signedIn) startAutofill();
}

/**
 * Passkey autofill: a conditional request that the browser answers when the person picks a
 * passkey in the email field's suggestions. Restarted after each use or failure, since a
 * challenge works once and expires.
 */
async function startAutofill() {
  if (!(await autofillSupported())) return;
  autofill?.abort();
  const controller = new AbortController();
  autofill = controller;
  const start = await api('POST', '/auth/passkey/login/start', { mediation: 'conditional' });
  if (!start.ok || controller.signal.aborted) return;
  try {
    await finishWithPasskey(start.body, controller.signal);
  } catch (failure) {
    if (controller.signal.aborted) return;
    // A refusal is shown and ends autofill (a refused passkey must not be retried on its own);
    // an expired challenge or a dismissed prompt just starts a new request.
    if (failure && failure.body) {
      showError(messageFor(failure));
      if (failure.body.code !== 'passkey:challenge_invalid') return;
    }
    startAutofill();
  }
}

function validEmail() {
  const value = email.value.trim();
  if (!value) return showError(text.errors.emailRequired, email), null;
  if (!EMAIL_PATTERN.test(value)) return showError(text.errors.emailInvalid, email), null;
  return value;
}

identifyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors();
  const value = validEmail();
  if (!value) return;
  chosenEmail = value;
  byId('chosen-email').textContent = value;
  identifyForm.hidden = true;
  codeForm.hidden = true;
  reveal(methods, byId('methods-heading'));
});

byId('change-email').addEventListener('click', () => {
  clearErrors();
  methods.hidden = true;
  codeForm.hidden = true;
  reveal(identifyForm, email);
});

byId('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const password = byId('password');
  if (!password.value) return showError(text.errors.passwordRequired, password);
  await busy(event.target, async () => {
    const answer = await api('POST', '/auth/login', { email: chosenEmail, password: password.value });
    if (!answer.ok) return showError(messageFor(answer), answer.body.code === 'auth:invalid_credentials' ? password : undefined);
    announce(text.signedIn);
    continueSignIn(answer);
  });
});

async function sendCode(button) {
  clearErrors();
  await busy(button, async () => {
    const answer = await api('POST', '/auth/email/login/start', { email: chosenEmail });
    if (!answer.ok) return showError(messageFor(answer));
    methods.hidden = true;
    reveal(codeForm, byId('code'));
    announce(format(text.codeSent, { email: chosenEmail }));
  });
}
byId('send-code').addEventListener('click', (event) => sendCode(event.currentTarget));
byId('resend-code').addEventListener('click', (event) => sendCode(event.currentTarget));

codeForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const code = byId('code');
  const value = code.value.replace(/\s/g, '');
  if (!/^\d{6}$/.test(value)) return showError(text.errors.codeInvalid, code);
  await busy(codeForm, async () => {
    const answer = await api('POST', '/auth/email/login/finish', { email: chosenEmail, code: value });
    if (!answer.ok) return showError(messageFor(answer), code);
    announce(text.signedIn);
    continueSignIn(answer);
  });
});

byId('send-link').addEventListener('click', async (event) => {
  clearErrors();
  await busy(event.currentTarget, async () => {
    const body = { email: chosenEmail, ...(page.returnTo ? { return_to: page.returnTo } : {}) };
    const answer = await api('POST', '/auth/magic-link/start', body);
    if (!answer.ok) return showError(messageFor(answer));
    announce(format(text.linkSent, { email: chosenEmail }));
  });
});

if (passkeysSupported()) {
  byId('passkey-section').hidden = false;
  byId('email-passkey').hidden = false;
  byId('passkey-button').addEventListener('click', (event) => passkeySignIn(event.currentTarget, {}));
  byId('email-passkey').addEventListener('click', (event) => passkeySignIn(event.currentTarget, { email: chosenEmail }));
  startAutofill();
}
