import { describe, expect, it } from 'vitest';
import { signInPage } from './pages';

describe('the sign-in page’s provider buttons (AuthModule.signInProviders)', () => {
  const providers = [
    { id: 'google', label: 'Continue with Google', href: '/auth/oauth/google' },
    { id: 'acme', label: 'Continue with <Acme & Co>', href: 'https://sso.acme.example/start?tenant=1' },
  ];

  it('draws one labelled link per provider, in order, with their text escaped', () => {
    const markup = signInPage({ returnTo: null, providers }).main.value;
    expect(markup).toContain('<a class="button secondary" id="provider-google" href="/auth/oauth/google">Continue with Google</a>');
    expect(markup).toContain('id="provider-acme" href="https://sso.acme.example/start?tenant=1">Continue with &lt;Acme &amp; Co&gt;</a>');
    expect(markup.indexOf('provider-google')).toBeLessThan(markup.indexOf('provider-acme'));
  });

  it('passes the page’s allow-listed return_to on to each provider', () => {
    const markup = signInPage({ returnTo: 'http://localhost:3000/next', providers }).main.value;
    expect(markup).toContain('href="/auth/oauth/google?return_to=http%3A%2F%2Flocalhost%3A3000%2Fnext"');
    expect(markup).toContain('href="https://sso.acme.example/start?tenant=1&amp;return_to=http%3A%2F%2Flocalhost%3A3000%2Fnext"');
  });

  it('has no providers section when no module offers one', () => {
    expect(signInPage({ returnTo: null, providers: [] }).main.value).not.toContain('providers-heading');
  });
});
