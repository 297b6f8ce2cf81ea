// The sign-up page: email and password; a verification link follows by email.
import { EMAIL_PATTERN, announce, api, busy, byId, clearErrors, format, messageFor, reveal, showError, text } from './common.js';

const form = byId('sign-up-form');
const PASSWORD_CODES = /^auth:password_/;

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const email = byId('email');
  const name = byId('name');
  const password = byId('password');
  const address = email.value.trim();
  if (!address) return showError(text.errors.emailRequired, email);
  if (!EMAIL_PATTERN.test(address)) return showError(text.errors.emailInvalid, email);
  if (!password.value) return showError(text.errors.passwordRequired, password);
  announce(text.creating);
  await busy(form, async () => {
    const body = { email: address, password: password.value, ...(name.value.trim() ? { name: name.value.trim() } : {}) };
    const answer = await api('POST', '/auth/register', body);
    if (!answer.ok) {
      const field = PASSWORD_CODES.test(answer.body.code || '') ? password : (answer.body.fields || []).includes('email') ? email : undefined;
      return showError(messageFor(answer), field);
    }
    form.hidden = true;
    byId('done-message').textContent = format(text.done, { email: address });
    announce(format(text.done, { email: address }));
    reveal(byId('done'), byId('done-heading'));
  });
});
