export { startTestPostgres, createTestDatabase, type TestPostgres } from './postgres';
export { startTestRedis, type TestRedis } from './redis';
export { freePort, waitFor } from './net';
export { mailBaseline, startSmtpCatcher, type CaughtMail, type MailBox, type SmtpCatcher } from './smtp';
export { startNodeProcess, waitForReady, type ManagedProcess } from './process';
export { xmllint, xpath, sitemapLocs, expectValidRss, rssParser, SITEMAP_XSD, SITEINDEX_XSD, RFC_822, W3C_DATETIME } from './xml';
export { startDnsServer, type DnsServer } from './dns';
export { launchChromium, type Browser, type BrowserContext } from './browser';
export { startOAuthProviderStandIn, standInAuthEnv, standInEndpoints, STAND_IN_PROVIDERS, type OAuthProviderStandIn, type StandInProvider, type StandInUser, type StandInEndpoints } from './oauth-stand-in';
