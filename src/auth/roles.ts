/**
 * People's roles, each with the rights of the one before it (issue 11):
 *   viewer      meters, ledger, periods read-only
 *   operator    + rejected payloads, the live view, /metrics
 *   accountant  + close, reopen, exports
 *   admin       + users and credentials
 */
export const ROLES = ['viewer', 'operator', 'accountant', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
