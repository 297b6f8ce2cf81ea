import Bowser from 'bowser';

/** A readable device name from a user agent: browser and version, operating system. */
export function describeDevice(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const parsed = Bowser.parse(userAgent);
  const browser = [parsed.browser.name, parsed.browser.version?.split('.')[0]].filter(Boolean).join(' ');
  const os = [parsed.os.name, parsed.os.versionName ?? parsed.os.version].filter(Boolean).join(' ');
  if (!browser && !os) return null;
  return browser && os ? `${browser} on ${os}` : browser || os;
}
