/**
 * Where seals are kept with the state (issue 24): behind `SealStore`, so it can move to the shared state store
 * (issue 25's PostgreSQL) later. The embedded default is files: `<dataDir>/seals/<site>/<day>/v<N>.json`
 * (immutable, created exclusively: two sealers never write one version twice) and `<dataDir>/seals/<site>/head.json`,
 * the digest the site's next seal chains to. Folders 0700, files 0600.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../util/json-file.ts';
import { ensurePrivateDir } from '../util/private-dir.ts';
import { SealError, sealSchema, type Seal } from './seal-types.ts';

export interface SealHead {
  readonly digest: string;
  readonly day: string;
  readonly version: number;
}

export interface SealStore {
  /** Sites with at least one seal. */
  sites(): string[];
  /** The site's sealed days, ascending. */
  days(site: string): string[];
  /** The site's newest sealed day (cheap: asked for every stored message). */
  lastDay(site: string): string | undefined;
  /** Every version of a site's day, ascending (empty when unsealed). */
  versions(site: string, day: string): Seal[];
  latest(site: string, day: string): Seal | undefined;
  /** The site's last seal (what the next one chains to). */
  head(site: string): SealHead | undefined;
  /** Store a new version; false when that version exists already (another sealer was first). */
  put(seal: Seal): boolean;
}

const headSchema = z.strictObject({
  digest: z.string(),
  day: z.string(),
  version: z.number().int(),
});
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const fail = (m: string) => new SealError(m);

export const sealsDir = (dataDir: string) => join(dataDir, 'seals');

export function createFileSealStore(dataDir: string): SealStore {
  const root = sealsDir(dataDir);
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  };
  const versionsOf = (site: string, day: string) =>
    list(join(root, site, day))
      .flatMap((f) => (/^v(\d+)\.json$/.exec(f) ? [Number(/^v(\d+)/.exec(f)![1])] : []))
      .sort((a, b) => a - b);
  const read = (site: string, day: string, v: number): Seal =>
    readJsonFile(join(root, site, day, `v${v}.json`), sealSchema, fail)!;
  // The newest day per site, kept until the site's folder changes (a new day folder changes its mtime).
  const last = new Map<string, { mtimeMs: number; day: string | undefined }>();
  const days = (site: string) => list(join(root, site)).filter((d) => DAY.test(d));
  return {
    lastDay(site) {
      let mtimeMs: number;
      try {
        mtimeMs = statSync(join(root, site)).mtimeMs;
      } catch {
        return undefined;
      }
      const c = last.get(site);
      if (c && c.mtimeMs === mtimeMs) return c.day;
      const day = days(site).at(-1);
      last.set(site, { mtimeMs, day });
      return day;
    },
    sites: () => list(root).filter((s) => !s.startsWith('.')),
    days,
    versions: (site, day) => versionsOf(site, day).map((v) => read(site, day, v)),
    latest(site, day) {
      const v = versionsOf(site, day).at(-1);
      return v === undefined ? undefined : read(site, day, v);
    },
    head: (site) => readJsonFile(join(root, site, 'head.json'), headSchema, fail),
    put(seal) {
      ensurePrivateDir(root);
      ensurePrivateDir(join(root, seal.site));
      const dir = join(root, seal.site, seal.day);
      ensurePrivateDir(dir);
      try {
        writeFileSync(join(dir, `v${seal.version}.json`), `${JSON.stringify(seal)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
      writeJsonFile(join(root, seal.site, 'head.json'), { digest: seal.digest, day: seal.day, version: seal.version });
      return true;
    },
  };
}
