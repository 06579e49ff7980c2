import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeCredential } from '../../../src/auth/credential-admin.ts';
import { loadClientIdBindings } from '../../../src/auth/mqtt-client-ids.ts';
import { createIdentityTable } from '../../../src/auth/mqtt-credentials.ts';

describe('MQTT client ids bound to identities at first use (issue 21, F1)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-cids-'));
    file = join(dir, 'data', 'mqtt-client-ids.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the first user of an id, keeps it across a reload, in a 0600 file', async () => {
    const b = loadClientIdBindings({ file });
    expect(b.ownerOf('DVES_5C1A2B')).toBeUndefined();
    b.bind('ekb-1-m05', 'DVES_5C1A2B');
    expect(b.ownerOf('DVES_5C1A2B')).toBe('ekb-1-m05');
    await b.flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadClientIdBindings({ file }).ownerOf('DVES_5C1A2B')).toBe('ekb-1-m05');
  });

  it('keeps an identity at its most recent ids: only its own new ids push its old ones out', async () => {
    const b = loadClientIdBindings({ file, perIdentity: 3 });
    for (const id of ['fw', 'mosq-1', 'mosq-2']) b.bind('m1', id);
    b.bind('m1', 'fw'); // used again: most recent
    for (let i = 0; i < 100; i++) b.bind('m2', `m2-${i}`); // another identity's churn cannot free m1's ids
    b.bind('m1', 'mosq-3');
    expect(b.ownerOf('fw')).toBe('m1');
    expect(b.ownerOf('mosq-1')).toBeUndefined();
    expect(b.ownerOf('mosq-2')).toBe('m1');
    expect(b.size()).toBe(6);
    await b.flush();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { identities: Record<string, string[]> };
    expect(saved.identities.m1).toEqual(['mosq-2', 'fw', 'mosq-3']);
  });

  it('an invalid file refuses to load, naming the file and the entry', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ identities: { m1: 'fw' } }));
    expect(() => loadClientIdBindings({ file: join(dir, 'bad.json') })).toThrow(/bad\.json: identities\.m1/);
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => loadClientIdBindings({ file: join(dir, 'bad.json') })).toThrow(/not valid JSON/);
  });

  it("declared ids (credentials.yaml clientIds) belong to their identity; another's, a meter's or the service's are refused", async () => {
    const creds = join(dir, 'credentials.yaml');
    const meterIds = new Set(['m1', 'm2']);
    await changeCredential({ file: creds, action: 'issue', id: 'm1', meterIds, clientIds: ['DVES_A1B2C3'] });
    await expect(
      changeCredential({ file: creds, action: 'issue', id: 'm2', meterIds, clientIds: ['DVES_A1B2C3'] }),
    ).rejects.toThrow('client id "DVES_A1B2C3" already belongs to "m1"');
    await expect(
      changeCredential({ file: creds, action: 'issue', id: 'm2', meterIds, clientIds: ['m1'] }),
    ).rejects.toThrow(/already belongs to "m1"/);
    await expect(
      changeCredential({ file: creds, action: 'issue', id: 'm2', meterIds, clientIds: ['has space'] }),
    ).rejects.toThrow(/printable ASCII/);
    const table = createIdentityTable({ file: creds, meterIds: [...meterIds], serviceClientIds: ['kzmeter-ingest'] });
    expect(table.clientIdOwner('DVES_A1B2C3')).toEqual({ kind: 'identity', identityId: 'm1' });
    expect(table.clientIdOwner('m2')).toEqual({ kind: 'meter', meterId: 'm2' });
    expect(table.clientIdOwner('kzmeter-ingest')).toEqual({ kind: 'service' });
    expect(table.clientIdOwner('mosq-abc')).toBeUndefined();
  });
});
