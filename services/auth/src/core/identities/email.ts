/** One spelling per mailbox for lookups and uniqueness: trimmed, lower-cased, NFC. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
