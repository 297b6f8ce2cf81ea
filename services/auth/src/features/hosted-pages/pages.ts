import type { SignInProvider } from '../../core/sign-in/sign-in-provider';
import { accountText } from './account.text';
import { html, type Markup } from './markup';
import { mfaText } from './mfa.text';
import { liveRegions, type PageSpec } from './page-shell';
import { sharedText } from './shared.text';
import { signInText } from './sign-in.text';
import { signUpText } from './sign-up.text';

/** A text field with its label and the element its error is written into (`<id>-error`). */
function field(input: { id: string; label: string; type?: string; autocomplete: string; hint?: string; extra?: Markup }): Markup {
  const describedBy = [input.hint ? `${input.id}-hint` : '', `${input.id}-error`].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${input.id}">${input.label}</label>
${input.hint ? html`<p class="hint" id="${input.id}-hint">${input.hint}</p>` : ''}
<input id="${input.id}" name="${input.id}" type="${input.type ?? 'text'}" autocomplete="${input.autocomplete}" aria-describedby="${describedBy}"${input.extra ?? ''}>
<p class="field-error" id="${input.id}-error"></p>
</div>`;
}
const digits = html` inputmode="numeric" maxlength="6"`;

/**
 * A page from its text file, its script and its body: the title and language come from the
 * text, the script gets the page's client text and return_to, and the body starts with the
 * heading and the two live regions.
 */
function pageOf(t: { title: string; heading: string; client: object }, script: string, data: { returnTo?: string | null }, body: Markup): PageSpec {
  return {
    lang: sharedText.lang,
    title: t.title,
    script,
    data: { text: t.client, ...data },
    main: html`<h1>${t.heading}</h1>
${liveRegions}
${body}`,
  };
}

/** Appends the page's allow-listed return_to to an internal link. */
const withReturnTo = (path: string, returnTo: string | null) => (returnTo ? `${path}?return_to=${encodeURIComponent(returnTo)}` : path);

export function signInPage(state: { returnTo: string | null; providers: readonly SignInProvider[] }): PageSpec {
  const t = signInText;
  const providerHref = (provider: SignInProvider) => {
    if (!state.returnTo) return provider.href;
    const url = new URL(provider.href, 'http://relative.invalid');
    url.searchParams.set('return_to', state.returnTo);
    return url.origin === 'http://relative.invalid' ? `${url.pathname}${url.search}` : url.toString();
  };
  return pageOf(
    t,
    'sign-in.js',
    { returnTo: state.returnTo },
    html`<section id="passkey-section" aria-labelledby="passkey-heading" hidden>
<h2 id="passkey-heading">${t.passkeyHeading}</h2>
<button type="button" id="passkey-button">${t.passkeyButton}</button>
</section>
<form id="identify-form" novalidate aria-labelledby="email-heading">
<h2 id="email-heading">${t.emailHeading}</h2>
${field({ id: 'email', label: t.emailLabel, type: 'email', autocomplete: 'username webauthn' })}
<button type="submit">${t.continueButton}</button>
</form>
<section id="methods" aria-labelledby="methods-heading" hidden>
<h2 id="methods-heading" tabindex="-1">${t.methodsHeading}</h2>
<p>${t.signingInAs} <strong id="chosen-email"></strong></p>
<p><button type="button" class="secondary" id="change-email">${t.changeEmail}</button></p>
<form id="password-form" novalidate>
${field({ id: 'password', label: t.passwordLabel, type: 'password', autocomplete: 'current-password' })}
<button type="submit">${t.passwordButton}</button>
</form>
<div class="choices">
<button type="button" class="secondary" id="send-code">${t.sendCodeButton}</button>
<button type="button" class="secondary" id="send-link">${t.sendLinkButton}</button>
<button type="button" class="secondary" id="email-passkey" hidden>${t.emailPasskeyButton}</button>
</div>
</section>
<form id="code-form" novalidate aria-labelledby="code-heading" hidden>
<h2 id="code-heading" tabindex="-1">${t.codeHeading}</h2>
${field({ id: 'code', label: t.codeLabel, autocomplete: 'one-time-code', extra: digits })}
<button type="submit">${t.codeButton}</button>
<button type="button" class="secondary" id="resend-code">${t.resendButton}</button>
</form>
${
  state.providers.length
    ? html`<section aria-labelledby="providers-heading">
<h2 id="providers-heading">${t.providersHeading}</h2>
<ul class="providers">${state.providers.map((provider) => html`<li><a class="button secondary" id="provider-${provider.id}" href="${providerHref(provider)}">${provider.label}</a></li>`)}</ul>
</section>`
    : ''
}
<p>${t.noAccount} <a href="${withReturnTo('/auth/ui/sign-up', state.returnTo)}">${t.signUpLink}</a></p>`,
  );
}

export function signUpPage(state: { returnTo: string | null }): PageSpec {
  const t = signUpText;
  return pageOf(
    t,
    'sign-up.js',
    { returnTo: state.returnTo },
    html`<form id="sign-up-form" novalidate>
${field({ id: 'email', label: t.emailLabel, type: 'email', autocomplete: 'email' })}
${field({ id: 'name', label: t.nameLabel, autocomplete: 'name' })}
${field({ id: 'password', label: t.passwordLabel, type: 'password', autocomplete: 'new-password', hint: t.passwordHint })}
<button type="submit">${t.submitButton}</button>
</form>
<section id="done" aria-labelledby="done-heading" hidden>
<h2 id="done-heading" tabindex="-1">${t.doneHeading}</h2>
<p id="done-message"></p>
</section>
<p>${t.passwordless}</p>
<p>${t.haveAccount} <a href="${withReturnTo('/auth/ui/sign-in', state.returnTo)}">${t.signInLink}</a></p>`,
  );
}

export function mfaPage(state: { returnTo: string | null }): PageSpec {
  const t = mfaText;
  return pageOf(
    t,
    'mfa.js',
    { returnTo: state.returnTo },
    html`<p id="expired" hidden>${t.expired} <a href="${withReturnTo('/auth/ui/sign-in', state.returnTo)}">${t.signInAgain}</a></p>
<p id="intro" hidden>${t.intro}</p>
<form id="totp-form" novalidate aria-labelledby="totp-heading" hidden>
<h2 id="totp-heading">${t.totpHeading}</h2>
${field({ id: 'totp-code', label: t.totpLabel, autocomplete: 'one-time-code', extra: digits })}
<button type="submit">${t.verifyButton}</button>
</form>
<section id="sms-section" aria-labelledby="sms-heading" hidden>
<h2 id="sms-heading">${t.smsHeading}</h2>
<button type="button" class="secondary" id="sms-send">${t.smsSendButton}</button>
<form id="sms-form" novalidate hidden>
${field({ id: 'sms-code', label: t.smsLabel, autocomplete: 'one-time-code', extra: digits })}
<button type="submit">${t.verifyButton}</button>
</form>
</section>
<form id="backup-form" novalidate aria-labelledby="backup-heading" hidden>
<h2 id="backup-heading">${t.backupHeading}</h2>
${field({ id: 'backup-code', label: t.backupLabel, autocomplete: 'off' })}
<button type="submit">${t.backupButton}</button>
</form>`,
  );
}

export function accountPage(state: { email: string }): PageSpec {
  const t = accountText;
  return pageOf(
    t,
    'account.js',
    {},
    html`<p id="reauthenticate" hidden><a href="/auth/ui/sign-in">${t.reauthenticate}</a></p>
<section aria-labelledby="profile-heading">
<h2 id="profile-heading" class="visually-hidden">${t.signedInAs}</h2>
<p>${t.signedInAs} <strong id="account-email">${state.email}</strong></p>
<button type="button" class="secondary" id="sign-out">${t.signOutButton}</button>
</section>
<section aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">${t.passkeysHeading}</h2>
<p>${t.passkeysIntro}</p>
<ul class="items" id="passkey-list"></ul>
<form id="add-passkey-form" novalidate>
${field({ id: 'passkey-name', label: t.passkeyNameLabel, autocomplete: 'off' })}
<button type="submit" id="add-passkey">${t.addPasskeyButton}</button>
</form>
<p id="passkeys-unsupported" hidden>${t.passkeysUnsupported}</p>
</section>
<section aria-labelledby="mfa-heading">
<h2 id="mfa-heading">${t.mfaHeading}</h2>
<p id="mfa-summary"></p>
<div id="totp-setup" hidden>
<button type="button" class="secondary" id="totp-start">${t.totpStartButton}</button>
<div id="totp-enroll" hidden>
<p>${t.totpScan}</p>
<img id="totp-qr" alt="${t.totpQrAlt}" width="200" height="200">
<p>${t.totpKeyLabel}: <code id="totp-secret"></code></p>
<form id="totp-confirm-form" novalidate>
${field({ id: 'totp-code', label: t.totpCodeLabel, autocomplete: 'one-time-code', extra: digits })}
<button type="submit">${t.turnOnButton}</button>
</form>
</div>
</div>
<div id="sms-setup" hidden>
<form id="sms-start-form" novalidate>
${field({ id: 'sms-phone', label: t.smsPhoneLabel, type: 'tel', autocomplete: 'tel' })}
<button type="submit" class="secondary">${t.smsSendButton}</button>
</form>
<form id="sms-confirm-form" novalidate hidden>
${field({ id: 'sms-code', label: t.smsCodeLabel, autocomplete: 'one-time-code', extra: digits })}
<button type="submit">${t.turnOnButton}</button>
</form>
</div>
<div id="backup-codes" hidden>
<h3 id="backup-codes-heading" tabindex="-1">${t.backupCodesHeading}</h3>
<p>${t.backupCodesIntro}</p>
<ul class="codes" id="backup-code-list"></ul>
</div>
</section>
<section aria-labelledby="sessions-heading">
<h2 id="sessions-heading">${t.sessionsHeading}</h2>
<ul class="items" id="session-list"></ul>
</section>
<section aria-labelledby="linked-heading">
<h2 id="linked-heading">${t.linkedHeading}</h2>
<p id="linked-none">${t.linkedNone}</p>
<ul class="items" id="linked-list"></ul>
<p id="link-more" hidden>${t.linkMore}</p>
<ul class="items" id="link-offers"></ul>
</section>`,
  );
}
