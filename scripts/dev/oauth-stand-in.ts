/**
 * The sign-in providers' stand-in under `pnpm dev` (one process, every provider under its own
 * path: http://localhost:3020/google, /apple, /twitter, /facebook, /github). `pnpm dev` points
 * auth at it for every provider without credentials, so /auth/oauth/<provider> works out of the
 * box: the stand-in signs in the user `login_hint` names (default user@example.com) without a form.
 */
import { startOAuthProviderStandIn } from '@malet/testing';

const port = Number(process.env.PORT ?? 3020);
const standIn = await startOAuthProviderStandIn({ port, host: '127.0.0.1', publicHost: 'localhost' });
console.log(`OAuth provider stand-in on ${standIn.url} (google, apple, twitter, facebook, github)`);

const stop = () => void standIn.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
