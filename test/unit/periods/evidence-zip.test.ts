import { generateKeyPairSync } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildEvidenceZip, utf8 } from '../../../src/periods/evidence.ts';
import { verifyEvidence } from '../../../src/periods/evidence-verify.ts';
import { fingerprintOf, rawPublicKey, signEd25519, type Signer } from '../../../src/util/ed25519.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const raw = rawPublicKey(publicKey);
const signer: Signer = {
  keyId: fingerprintOf(raw),
  sign: (d) => ({ keyId: fingerprintOf(raw), signature: signEd25519(privateKey, d) }),
};
const keys = utf8(JSON.stringify({ keys: [{ keyId: signer.keyId, publicKey: raw.toString('base64') }] }));
const input = {
  period: '2025-Q3',
  taxpayer: null,
  snapshotVersion: 1,
  snapshotDigest: 'x',
  files: [
    { name: 'ledger.csv', bytes: utf8('meter,kwh\nm1,12\n') },
    { name: 'keys.json', bytes: keys },
  ],
  signer,
};

describe('evidence package (issue 24)', () => {
  it('the same content makes the same bytes (fixed timestamps, sorted names)', () => {
    const a = buildEvidenceZip(input);
    const b = buildEvidenceZip({ ...input, files: [...input.files].reverse() });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(verifyEvidence(a, { keyId: signer.keyId })).toMatchObject({ ok: true, files: 3 });
  });

  it('a file added to the package, or one removed, is named', () => {
    const files = unzipSync(buildEvidenceZip(input));
    expect(verifyEvidence(zipSync({ ...files, 'extra.csv': utf8('x') }))).toEqual({
      ok: false,
      file: 'extra.csv',
      reason: expect.stringMatching(/not listed/),
    });
    const { ['ledger.csv']: _gone, ...rest } = files;
    expect(verifyEvidence(zipSync(rest))).toMatchObject({ ok: false, file: 'ledger.csv' });
  });

  it('a package re-signed with another key is refused when the key is given', () => {
    const other = generateKeyPairSync('ed25519');
    const oraw = rawPublicKey(other.publicKey);
    const forger: Signer = {
      keyId: fingerprintOf(oraw),
      sign: (d) => ({ keyId: fingerprintOf(oraw), signature: signEd25519(other.privateKey, d) }),
    };
    const forged = buildEvidenceZip({
      ...input,
      signer: forger,
      files: [
        input.files[0]!,
        {
          name: 'keys.json',
          bytes: utf8(JSON.stringify({ keys: [{ keyId: forger.keyId, publicKey: oraw.toString('base64') }] })),
        },
      ],
    });
    expect(verifyEvidence(forged)).toMatchObject({ ok: true });
    expect(verifyEvidence(forged, { keyId: signer.keyId })).toMatchObject({ ok: false, file: 'manifest.sig' });
  });
});
