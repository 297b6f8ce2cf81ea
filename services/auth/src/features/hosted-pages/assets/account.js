// The account page: passkeys (add, rename, remove), two-step verification (authenticator app
// with its QR code, text messages), signed-in devices (sign out one), linked accounts (unlink
// one, link another provider on offer), and signing out.
import { announce, api, busy, byId, clearErrors, format, messageFor, reveal, showError, text } from './common.js';
import { createPasskey, passkeysSupported } from './webauthn.js';

const dateOf = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An API failure: its message, and a way back to signing in when the change needs a fresh sign-in. */
function fail(answer, field) {
  byId('reauthenticate').hidden = answer.body.code !== 'auth:reauthentication_required';
  if (answer.status === 401) window.location.assign('/auth/ui/sign-in');
  showError(messageFor(answer), field);
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---- passkeys -----------------------------------------------------------------------------------

async function loadPasskeys() {
  const answer = await api('GET', '/auth/passkeys');
  if (!answer.ok) return fail(answer);
  const list = byId('passkey-list');
  list.replaceChildren(...answer.body.passkeys.map(passkeyItem));
  if (!answer.body.passkeys.length) list.append(element('li', { text: text.passkeysEmpty }));
}

function passkeyItem(passkey) {
  const used = passkey.last_used_at ? format(text.lastUsed, { date: dateOf(passkey.last_used_at) }) : text.neverUsed;
  const item = element('li', { 'data-passkey-id': passkey.id }, [
    element('strong', { text: passkey.name }),
    element('span', { class: 'meta', text: `${format(text.added, { date: dateOf(passkey.created_at) })}, ${used}` }),
  ]);
  const rename = element('button', { type: 'button', class: 'secondary', 'aria-label': format(text.renameAria, { name: passkey.name }), text: text.rename });
  const remove = element('button', { type: 'button', class: 'secondary', 'aria-label': format(text.removeAria, { name: passkey.name }), text: text.remove });
  rename.addEventListener('click', () => showRenameForm(item, passkey, rename));
  remove.addEventListener('click', async () => {
    clearErrors();
    await busy(remove, async () => {
      const answer = await api('DELETE', `/auth/passkeys/${encodeURIComponent(passkey.id)}`);
      if (!answer.ok) return fail(answer);
      await loadPasskeys();
      announce(text.passkeyRemoved);
      byId('add-passkey').focus();
    });
  });
  item.append(element('div', {}, [rename, remove]));
  return item;
}

function showRenameForm(item, passkey, opener) {
  const id = `rename-${passkey.id}`;
  const input = element('input', { id, name: id, type: 'text', autocomplete: 'off', 'aria-describedby': `${id}-error` });
  input.value = passkey.name;
  const cancel = element('button', { type: 'button', class: 'secondary', text: text.cancel });
  const form = element('form', { novalidate: '' }, [
    element('div', { class: 'field' }, [
      element('label', { for: id, text: format(text.renameLabel, { name: passkey.name }) }),
      input,
      element('p', { class: 'field-error', id: `${id}-error` }),
    ]),
    element('button', { type: 'submit', text: text.save }),
    cancel,
  ]);
  cancel.addEventListener('click', () => {
    form.remove();
    opener.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const name = input.value.trim();
    if (!name || name.length > 64) return showError(text.errors.nameInvalid, input);
    await busy(form, async () => {
      const answer = await api('PATCH', `/auth/passkeys/${encodeURIComponent(passkey.id)}`, { name });
      if (!answer.ok) return fail(answer, input);
      await loadPasskeys();
      announce(text.passkeyRenamed);
      byId('passkey-list').querySelector(`[data-passkey-id="${CSS.escape(passkey.id)}"] button`)?.focus();
    });
  });
  item.append(form);
  input.focus();
}

byId('add-passkey-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const nameField = byId('passkey-name');
  const name = nameField.value.trim();
  if (name.length > 64) return showError(text.errors.nameInvalid, nameField);
  await busy(event.target, async () => {
    const start = await api('POST', '/auth/passkey/register/start');
    if (!start.ok) return fail(start);
    let credential;
    try {
      credential = await createPasskey(start.body.publicKey);
    } catch {
      return showError(text.errors.passkeyCancelled);
    }
    const answer = await api('POST', '/auth/passkey/register/finish', { ...credential, ...(name ? { name } : {}) });
    if (!answer.ok) return fail(answer);
    nameField.value = '';
    await loadPasskeys();
    announce(text.passkeyAdded);
  });
});

// ---- two-step verification ----------------------------------------------------------------------

async function loadMfa() {
  const answer = await api('GET', '/auth/mfa/status');
  if (!answer.ok) return fail(answer);
  const status = answer.body;
  byId('mfa-summary').textContent = status.enabled
    ? format(text.mfaOn, { methods: status.methods.map((method) => text.methodNames[method] || method).join(', ') })
    : text.mfaOff;
  byId('totp-setup').hidden = status.totp.enabled;
  byId('sms-setup').hidden = status.sms.enabled;
}

function showBackupCodes(codes) {
  if (!codes || !codes.length) return;
  byId('backup-code-list').replaceChildren(...codes.map((code) => element('li', { text: code })));
  reveal(byId('backup-codes'), byId('backup-codes-heading'));
}

function sixDigits(field) {
  const value = field.value.replace(/\s/g, '');
  if (/^\d{6}$/.test(value)) return value;
  showError(text.errors.codeInvalid, field);
  return null;
}

byId('totp-start').addEventListener('click', async (event) => {
  clearErrors();
  await busy(event.currentTarget, async () => {
    const answer = await api('POST', '/auth/mfa/totp/enroll');
    if (!answer.ok) return fail(answer);
    byId('totp-qr').src = answer.body.qr_code;
    byId('totp-secret').textContent = answer.body.secret;
    reveal(byId('totp-enroll'), byId('totp-code'));
  });
});

/** Confirming a pending factor with its code: it turns on, and the first one brings the backup codes. */
function confirmFactorWith(formId, fieldId, path, turnedOn) {
  const form = byId(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    const field = byId(fieldId);
    const code = sixDigits(field);
    if (!code) return;
    await busy(form, async () => {
      const answer = await api('POST', path, { code });
      if (!answer.ok) return fail(answer, field);
      form.hidden = true;
      await loadMfa();
      // Turning a factor on signs out the devices that never passed one: the list shows it.
      if (answer.body.revoked_sessions > 0) await loadSessions();
      announce(turnedOn);
      showBackupCodes(answer.body.backup_codes);
    });
  });
}
confirmFactorWith('totp-confirm-form', 'totp-code', '/auth/mfa/totp/confirm', text.totpOn);
confirmFactorWith('sms-confirm-form', 'sms-code', '/auth/mfa/sms/confirm', text.smsOn);

byId('sms-start-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const field = byId('sms-phone');
  const phone = field.value.replace(/[\s()-]/g, '');
  if (!/^\+[1-9]\d{7,14}$/.test(phone)) return showError(text.errors.phoneInvalid, field);
  await busy(event.target, async () => {
    const answer = await api('POST', '/auth/mfa/sms/enroll', { phone });
    if (!answer.ok) return fail(answer, field);
    announce(format(text.smsSent, { phone: answer.body.phone }));
    reveal(byId('sms-confirm-form'), byId('sms-code'));
  });
});

// ---- devices ------------------------------------------------------------------------------------

async function loadSessions() {
  const answer = await api('GET', '/auth/sessions');
  if (!answer.ok) return fail(answer);
  byId('session-list').replaceChildren(...answer.body.sessions.map(sessionItem));
}

function sessionItem(session) {
  const device = session.device || text.unknownDevice;
  const seen = dateOf(session.last_seen_at);
  const item = element('li', {}, [
    element('strong', { text: device }),
    element('span', { class: 'meta', text: [session.current ? text.thisDevice : null, format(text.lastSeen, { date: seen }), session.ip].filter(Boolean).join(', ') }),
  ]);
  if (!session.current) {
    const signOut = element('button', { type: 'button', class: 'secondary', 'aria-label': format(text.signOutDeviceAria, { device, date: seen }), text: text.signOutDevice });
    signOut.addEventListener('click', async () => {
      clearErrors();
      await busy(signOut, async () => {
        const answer = await api('DELETE', `/auth/sessions/${encodeURIComponent(session.id)}`);
        if (!answer.ok) return fail(answer);
        await loadSessions();
loadLinked();
        announce(text.deviceSignedOut);
        byId('sessions-heading').setAttribute('tabindex', '-1');
        byId('sessions-heading').focus();
      });
    });
    item.append(element('div', {}, [signOut]));
  }
  return item;
}

// ---- linked accounts ----------------------------------------------------------------------------

const providerName = (provider) => text.providerNames[provider] || provider;

async function loadLinked() {
  const answer = await api('GET', '/auth/oauth/connections');
  if (!answer.ok) return fail(answer);
  const { connections, available } = answer.body;
  byId('linked-none').hidden = connections.length > 0;
  byId('linked-list').replaceChildren(...connections.map(linkedItem));
  const linked = new Set(connections.map((connection) => connection.provider));
  // Linking is a browser round trip through the provider (GET /auth/oauth/<provider>/link).
  const offers = available.filter((provider) => !linked.has(provider));
  byId('link-more').hidden = offers.length === 0;
  byId('link-offers').replaceChildren(
    ...offers.map((provider) =>
      element('li', {}, [element('a', { href: `/auth/oauth/${encodeURIComponent(provider)}/link`, id: `link-${provider}`, text: format(text.linkProvider, { provider: providerName(provider) }) })]),
    ),
  );
}

function linkedItem(connection) {
  const provider = providerName(connection.provider);
  const item = element('li', { 'data-provider': connection.provider }, [
    element('strong', { text: provider }),
    element('span', { class: 'meta', text: [connection.email || connection.display_name, format(text.linkedAs, { date: dateOf(connection.linked_at) })].filter(Boolean).join(', ') }),
  ]);
  const unlink = element('button', { type: 'button', class: 'secondary', 'aria-label': format(text.unlinkAria, { provider }), text: text.unlink });
  unlink.addEventListener('click', async () => {
    clearErrors();
    await busy(unlink, async () => {
      const answer = await api('POST', '/auth/oauth/connections/unlink', { provider: connection.provider });
      if (!answer.ok) return fail(answer);
      await loadLinked();
      announce(format(text.unlinked, { provider }));
      byId('linked-heading').setAttribute('tabindex', '-1');
      byId('linked-heading').focus();
    });
  });
  item.append(element('div', {}, [unlink]));
  return item;
}

byId('sign-out').addEventListener('click', async (event) => {
  await busy(event.currentTarget, () => api('POST', '/auth/logout'));
  window.location.assign('/auth/ui/sign-in');
});

if (!passkeysSupported()) {
  byId('add-passkey-form').hidden = true;
  byId('passkeys-unsupported').hidden = false;
}
loadPasskeys();
loadMfa();
loadSessions();
loadLinked();
