import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usernameBase, usernameCandidates } from '../src/domain/username';
import { startUsersTestInstance } from './users-test-instance';

let users: Awaited<ReturnType<typeof startUsersTestInstance>>;
beforeAll(async () => {
  users = await startUsersTestInstance();
});
afterAll(() => users?.stop());

const userCreated = (userId: string, preferred: string) => ({
  id: randomUUID(),
  topic: 'user.created',
  payload: { user_id: userId, email: `${preferred}@example.com`, preferred_username: preferred },
});

describe('usernames', () => {
  it('derives URL-safe lower-case usernames from an email local part', () => {
    expect(usernameBase('user')).toBe('user');
    expect(usernameBase('José.Pérez+news')).toBe('jose_perez_news');
    expect(usernameBase('a')).toBe('user_a');
    expect(usernameBase('日本')).toBe('user');
    expect(usernameBase('x'.repeat(60))).toHaveLength(24);
  });

  it('suffixes collisions deterministically from the user id', () => {
    const id = '2b1c7d8e-0000-4000-8000-000000000001';
    const digest = createHash('sha256').update(id).digest('hex');
    expect(usernameCandidates('user', id).slice(0, 2)).toEqual(['user', `user_${digest.slice(0, 4)}`]);
    expect(usernameCandidates('user', id)).toEqual(usernameCandidates('user', id));
  });
});

describe('profiles from auth\'s user.created events', () => {
  it('creates the profile once, however often the event is delivered', async () => {
    const userId = randomUUID();
    const event = userCreated(userId, 'user');
    expect(await users.deliver(event)).toEqual({ status: 200, body: { status: 'applied' } });
    expect(await users.deliver(event)).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect((await users.profiles.findById(userId))?.username).toBe('user');
  });

  it('gives a colliding second user the deterministic suffix', async () => {
    const userId = randomUUID();
    await users.deliver(userCreated(userId, 'user'));
    const expected = `user_${createHash('sha256').update(userId).digest('hex').slice(0, 4)}`;
    expect((await users.profiles.findById(userId))?.username).toBe(expected);
    const response = await fetch(`${users.url}/internal/users/${userId}`, { headers: { 'x-internal-token': await users.signInternalToken() } });
    expect(await response.json()).toEqual({ id: userId, username: expected, display_name: null });
  });

  it('applies a display name from user.updated, once', async () => {
    const userId = randomUUID();
    await users.deliver(userCreated(userId, 'named'));
    const update = { id: randomUUID(), topic: 'user.updated', payload: { user_id: userId, display_name: 'Grace Hopper' } };
    expect((await users.deliver(update)).body).toEqual({ status: 'applied' });
    expect((await users.deliver(update)).body).toEqual({ status: 'duplicate' });
    expect((await users.profiles.findById(userId))?.displayName).toBe('Grace Hopper');
    const emailOnly = { id: randomUUID(), topic: 'user.updated', payload: { user_id: userId, email: 'new@example.com' } };
    expect((await users.deliver(emailOnly)).body).toEqual({ status: 'applied' });
    expect((await users.profiles.findById(userId))?.displayName).toBe('Grace Hopper');
  });

  it('acknowledges unknown topics and rejects malformed events with 400', async () => {
    expect((await users.deliver({ id: randomUUID(), topic: 'user.renamed', payload: {} })).body).toEqual({ status: 'ignored' });
    const bad = await users.deliver({ id: 'not-a-uuid', topic: 'user.created', payload: {} });
    expect(bad.status).toBe(400);
    const missing = await users.deliver({ id: randomUUID(), topic: 'user.created', payload: { email: 'x@example.com' } });
    expect(missing.status).toBe(400);
  });

  it('answers 404 in the error shape for an unknown or malformed id', async () => {
    for (const id of [randomUUID(), 'nope']) {
      const response = await fetch(`${users.url}/internal/users/${id}`, { headers: { 'x-internal-token': await users.signInternalToken() } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ status: 404, code: 'user:not_found' });
    }
  });
});
