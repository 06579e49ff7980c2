/**
 * GET /api/signing-key (public, issue 24): the installation's Ed25519 public keys, current and retired, with
 * their fingerprints (= the key ids every seal, snapshot, export and audit signature names), so anyone can
 * check a signature without logging in. Never a private key.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PublicSigningKey } from '../../auth/signing-keys.ts';
import { documentedInput } from './schemas.ts';

const keySchema = z.strictObject({
  keyId: z.string().describe('fingerprint: SHA-256 of the raw public key, hex'),
  publicKey: z.string().describe('the 32 raw Ed25519 public-key bytes, base64'),
  pem: z.string().describe('the same key as SubjectPublicKeyInfo PEM'),
  createdAt: z.string(),
  retiredAt: z.string().optional(),
  current: z.boolean(),
});
const answer = z.strictObject({ algorithm: z.literal('Ed25519'), current: z.string(), keys: z.array(keySchema) });

export function signingKeyRoutes(deps: { keys: () => readonly PublicSigningKey[] }) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/api/signing-key',
      {
        schema: {
          tags: ['evidence'],
          summary: "The installation's Ed25519 public keys and fingerprints (public: no login)",
          response: { 200: answer },
        },
        ...documentedInput,
      },
      async () => {
        const keys = deps.keys();
        return { algorithm: 'Ed25519' as const, current: keys.find((k) => k.current)?.keyId ?? '', keys: [...keys] };
      },
    );
  };
}
