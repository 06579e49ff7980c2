import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigMain } from '../../src/cli/broker-config.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { MOSQUITTO_USER, brokerConfigOwnerArgs, startMosquitto } from '../helpers/mosquitto.ts';
import { issueCredentials, tryConnect, type IssuedCredential } from '../helpers/mqtt-auth.ts';
import { DEVICES_DIR } from '../helpers/service.ts';

/**
 * Issue 21: `broker-config` wrote its files 0600 root in a 0700 folder, and Debian's mosquitto, started as root,
 * drops to the user `mosquitto` before it opens them: "Unable to open pwfile". `--owner mosquitto` gives them to
 * that user, modes unchanged. Only meaningful as root (otherwise mosquitto keeps the caller's user).
 */
describe.skipIf(brokerConfigOwnerArgs().length === 0)(
  'broker-config --owner: Debian mosquitto reads its 0600 files',
  () => {
    let dir: string;
    let creds: Record<string, IssuedCredential>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kzm-owner-'));
      chmodSync(dir, 0o755); // as /etc/mosquitto
      const file = join(dir, 'credentials.yaml');
      creds = await issueCredentials(file, loadRegistry(DEVICES_DIR), [{ id: 'ekb-1-m01' }]);
      Object.assign(process.env, { KZM_REGISTRY_DIR: DEVICES_DIR, KZM_MQTT_CREDENTIALS_FILE: file, KZM_DATA_DIR: dir });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** mosquitto with the snippet of `out` (and its log on stderr, so a refusal says why). */
    const mosquittoWith = (out: string) =>
      startMosquitto(`${readFileSync(join(out, 'kzmeter.conf'), 'utf8')}\nlog_dest stderr\n`);

    it('without --owner: root 0600 files in a 0700 folder, mosquitto cannot open them (the issue)', async () => {
      const out = join(dir, 'as-root');
      expect(await brokerConfigMain(['mosquitto', '--out', out], () => {})).toBe(0);
      expect(statSync(join(out, 'passwd')).uid).toBe(0);
      await expect(mosquittoWith(out)).rejects.toThrow(/Unable to open pwfile/);
    });

    it("with --owner mosquitto: the folder 0700 and passwd, acl 0600 are that user's; mosquitto starts and checks secrets", async () => {
      const out = join(dir, 'owned');
      const uid = Number(execFileSync('id', ['-u', MOSQUITTO_USER], { encoding: 'utf8' }));
      const said: string[] = [];
      expect(await brokerConfigMain(['mosquitto', '--out', out, '--owner', MOSQUITTO_USER], (s) => said.push(s))).toBe(
        0,
      );
      expect(said.join('\n')).toContain(`(owner ${MOSQUITTO_USER})`);
      for (const [f, mode] of [
        [out, 0o700],
        [join(out, 'passwd'), 0o600],
        [join(out, 'acl'), 0o600],
      ] as const) {
        expect(statSync(f).uid, f).toBe(uid);
        expect(statSync(f).mode & 0o777, f).toBe(mode);
      }
      const mosq = await mosquittoWith(out);
      try {
        const c = await tryConnect(mosq.url, { ...creds['ekb-1-m01']!, clientId: 'x' });
        expect(typeof c).not.toBe('number');
        if (typeof c !== 'number') await c.endAsync();
        expect([4, 5]).toContain(
          await tryConnect(mosq.url, { username: 'ekb-1-m01', password: 'guess', clientId: 'y' }),
        );
      } finally {
        await mosq.stop();
      }
    });

    it('an unknown owner is a command-line error (exit 2) and writes nothing', async () => {
      expect(
        await brokerConfigMain(['mosquitto', '--out', join(dir, 'none'), '--owner', 'no-such-user-kzm'], () => {}),
      ).toBe(2);
      expect(() => statSync(join(dir, 'none'))).toThrow();
    });
  },
);
