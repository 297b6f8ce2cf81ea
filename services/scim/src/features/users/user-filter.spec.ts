import { describe, expect, it } from 'vitest';
import { matchesFilter } from '../../core/filter.evaluator';
import { parseFilter } from '../../core/filter.parser';
import { userResourceType } from './user.schema';
import { scimTypeOf } from '../../core/scim-error.fixtures';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ada = {
  id: '8f4c9a1e-0000-4000-8000-000000000001',
  externalId: 'Ada-001',
  userName: 'Ada@Example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { department: 'Engineering', manager: { value: 'boss-1' } },
  meta: { created: '2024-01-02T03:04:05.000Z', lastModified: '2024-06-01T00:00:00.000Z' },
};
const matches = (filter: string) => matchesFilter({ kind: 'resource', type: userResourceType }, ada, parseFilter(filter));

describe('SCIM filters (RFC 7644 section 3.4.2.2), evaluated in memory', () => {
  it('eq ignores case on userName (caseExact false) but not on externalId (caseExact true)', () => {
    expect(matches('userName eq "ada@example.com"')).toBe(true);
    expect(matches('externalId eq "Ada-001"')).toBe(true);
    expect(matches('externalId eq "ada-001"')).toBe(false);
  });

  it('ne is true for a different value and for an absent attribute, false for an equal one', () => {
    expect(matches('userName ne "grace@example.com"')).toBe(true);
    expect(matches('nickName ne "x"')).toBe(true);
    expect(matches('userName ne "ADA@example.com"')).toBe(false);
  });

  it('co, sw and ew match substrings, prefixes and suffixes', () => {
    expect(matches('userName co "@exam"')).toBe(true);
    expect(matches('userName co "nobody"')).toBe(false);
    expect(matches('name.familyName sw "love"')).toBe(true);
    expect(matches('name.familyName sw "lace"')).toBe(false);
    expect(matches('name.familyName ew "LACE"')).toBe(true);
    expect(matches('name.familyName ew "love"')).toBe(false);
  });

  it('gt, ge, lt and le order strings and dateTimes, on both sides of the boundary', () => {
    expect(matches('name.givenName gt "Ad"')).toBe(true);
    expect(matches('name.givenName gt "Ada"')).toBe(false);
    expect(matches('name.givenName ge "Ada"')).toBe(true);
    expect(matches('name.givenName lt "Adb"')).toBe(true);
    expect(matches('name.givenName lt "Ada"')).toBe(false);
    expect(matches('name.givenName le "Ada"')).toBe(true);
    expect(matches('meta.created gt "2024-01-02T03:04:04Z"')).toBe(true);
    expect(matches('meta.created gt "2024-01-02T03:04:05Z"')).toBe(false);
  });

  it('pr is true for a present value and false for an absent one', () => {
    expect(matches('name.givenName pr')).toBe(true);
    expect(matches('title pr')).toBe(false);
  });

  it('and, or and not combine, with not > and > or precedence and parentheses', () => {
    expect(matches('userName eq "x" or active eq true and name.givenName eq "Ada"')).toBe(true);
    expect(matches('(userName eq "x" or active eq true) and name.givenName eq "Bob"')).toBe(false);
    expect(matches('not (userName eq "x")')).toBe(true);
    expect(matches('not (active eq true)')).toBe(false);
    expect(matches('userName eq "x" OR name.givenName Eq "ada"')).toBe(true);
  });

  it('value paths match within one element of a multi-valued attribute', () => {
    expect(matches('emails[type eq "work" and value co "@example.com"]')).toBe(true);
    // Both conditions hold, but on different elements: no match.
    expect(matches('emails[type eq "home" and value co "@example.com"]')).toBe(false);
    expect(matches('emails[type eq "work"].value eq "ada@example.com"')).toBe(true);
    expect(matches('emails[type eq "home"].value eq "ada@example.com"')).toBe(false);
  });

  it('resolves attribute names and extension URNs regardless of case', () => {
    expect(matches('USERNAME eq "ada@example.com"')).toBe(true);
    expect(matches('Name.GivenName eq "Ada"')).toBe(true);
    expect(matches(`${ENTERPRISE}:department eq "engineering"`)).toBe(true);
    expect(matches(`${ENTERPRISE.toUpperCase()}:manager.value eq "boss-1"`)).toBe(true);
  });

  it('compares a multi-valued complex attribute through its value sub-attribute', () => {
    expect(matches('emails co "home.example"')).toBe(true);
    expect(matches('emails.value eq "ada@example.com"')).toBe(true);
  });

  it('refuses malformed filters and meaningless comparisons with 400 invalidFilter', () => {
    for (const bad of ['userName eq', 'userName zz "x"', '(userName eq "x"', 'userName eq "x" and', 'unknownAttr eq "x"', 'active gt true', 'name eq "x"', 'userName eq 1', 'meta.created gt "yesterday"', '"x" eq userName', 'emails[type eq "work"']) {
      expect(scimTypeOf(() => matches(bad)), bad).toBe('invalidFilter');
    }
    expect(scimTypeOf(() => parseFilter(`${'('.repeat(40)}userName eq "x"${')'.repeat(40)}`))).toBe('invalidFilter');
    expect(scimTypeOf(() => parseFilter(`userName eq "${'x'.repeat(5_000)}"`))).toBe('invalidFilter');
  });
});
