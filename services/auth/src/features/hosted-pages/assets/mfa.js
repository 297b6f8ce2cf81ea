// The second step of a sign-in: a TOTP code, a texted code or a backup code, for the challenge
// the sign-in page stored in this tab (or a magic link put in the URL fragment).
import { afterSignIn, announce, api, busy, byId, clearErrors, format, messageFor, pendingMfa, showError, text } from './common.js';

/** A magic link with MFA due lands here with `#mfa_token=...&mfa_methods=...`; it is moved out of the address bar at once. */
function challengeFromFragment() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get('mfa_token');
  if (!token) return null;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  const challenge = { token, methods: (fragment.get('mfa_methods') || '').split(',').filter(Boolean) };
  pendingMfa.store(challenge);
  return challenge;
}

const challenge = challengeFromFragment() || pendingMfa.read();

async function answer(form, path, body, field) {
  clearErrors();
  await busy(form, async () => {
    const result = await api('POST', path, { mfa_token: challenge.token, ...body });
    if (!result.ok) return showError(messageFor(result), result.body.code === 'mfa:challenge_invalid' ? undefined : field);
    pendingMfa.clear();
    announce(text.signingIn);
    afterSignIn();
  });
}

function sixDigits(field) {
  const value = field.value.replace(/\s/g, '');
  if (/^\d{6}$/.test(value)) return value;
  showError(text.errors.codeInvalid, field);
  return null;
}

if (!challenge || !challenge.token) {
  byId('expired').hidden = false;
} else {
  byId('intro').hidden = false;
  const offered = new Set(challenge.methods || []);
  if (offered.has('totp')) {
    const form = byId('totp-form');
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const code = sixDigits(byId('totp-code'));
      if (code) answer(form, '/auth/mfa/verify', { code, method: 'totp' }, byId('totp-code'));
    });
  }
  if (offered.has('sms')) {
    byId('sms-section').hidden = false;
    const form = byId('sms-form');
    byId('sms-send').addEventListener('click', async (event) => {
      clearErrors();
      await busy(event.currentTarget, async () => {
        const sent = await api('POST', '/auth/mfa/verify', { mfa_token: challenge.token, method: 'sms' });
        if (!sent.ok) return showError(messageFor(sent));
        form.hidden = false;
        byId('sms-code').focus();
        announce(format(text.smsSent, { phone: sent.body.phone }));
      });
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const code = sixDigits(byId('sms-code'));
      if (code) answer(form, '/auth/mfa/verify', { code, method: 'sms' }, byId('sms-code'));
    });
  }
  if (offered.has('backup_code')) {
    const form = byId('backup-form');
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const field = byId('backup-code');
      if (field.value.trim().length < 10) return showError(text.errors.backupRequired, field);
      answer(form, '/auth/mfa/backup', { code: field.value.trim() }, field);
    });
  }
  // The first way in gets the focus, so a keyboard user starts typing at once.
  document.querySelector('main form:not([hidden]) input, main section:not([hidden]) > button')?.focus();
}
