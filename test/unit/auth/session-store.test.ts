import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessions, sessionKey } from '../../../src/auth/session-store.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fileIn = () => {
  dir = mkdtempSync(join(tmpdir(), 'kzm-sessions-'));
  return join(dir, 'auth', 'sessions.json');
};

describe('dashboard sessions kept in the data dir (issue 25)', () => {
  it('issue 25: a restart logs nobody out: a session made before is found by a new store on the same file', async () => {
    const file = fileIn();
    const s = await createSessions({ file }).create('aigerim');
    const again = await createSessions({ file }).get(s.id);
    expect(again).toEqual({ id: s.id, user: 'aigerim', expiresMs: s.expiresMs });
  });

  it('issue 25: only the SHA-256 of a session id is on disk, never the id; the file is 0600', async () => {
    const file = fileIn();
    const s = await createSessions({ file }).create('aigerim');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(s.id);
    expect(text).toContain(sessionKey(s.id));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('an expired session is refused and removed, after a restart too', async () => {
    const file = fileIn();
    let t = 1_000_000;
    const now = () => t;
    const s = await createSessions({ file, ttlMs: 60_000, now }).create('a');
    t += 60_000;
    expect(await createSessions({ file, ttlMs: 60_000, now }).get(s.id)).toBeUndefined();
    expect(readFileSync(file, 'utf8')).not.toContain(sessionKey(s.id));
  });

  it('a logout removes the session for the next start as well', async () => {
    const file = fileIn();
    const store = createSessions({ file });
    const s = await store.create('a');
    await store.delete(s.id);
    expect(await createSessions({ file }).get(s.id)).toBeUndefined();
  });

  it('bounded: the 4th session of max 3 drops the oldest', async () => {
    const file = fileIn();
    const store = createSessions({ file, max: 3 });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await store.create(`u${i}`)).id);
    const reread = createSessions({ file, max: 3 });
    expect(await reread.get(ids[0]!)).toBeUndefined();
    for (const id of ids.slice(1)) expect(await reread.get(id)).toBeDefined();
  });

  it('a damaged sessions file logs nobody in and is reported, the start goes on', async () => {
    const file = fileIn();
    await createSessions({ file }).create('a');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"sessions":[{"key":"nothex","user":"a","expiresMs":1}]}');
    const errors: string[] = [];
    const store = createSessions({ file, onError: (e) => errors.push(e.message) });
    expect(errors[0]).toMatch(/sessions\.json.*key/);
    expect(await store.get('anything')).toBeUndefined();
  });
});
