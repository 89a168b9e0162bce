import { createHash } from 'node:crypto';

/**
 * Row keys of the drives table. Every part is either an id this service generated and validated against a strict
 * alphabet, or a hash: user-supplied text (names, group and site ids) never reaches a key as it was typed.
 */
export const rowKeys = {
  drive: 'drive',
  item: (itemId: string) => `i:${itemId}`,
  itemRange: { from: 'i:', to: 'i;' },
  childName: (parentId: string, name: string) => `n:${parentId}:${digest(name.normalize('NFC').toLowerCase())}`,
  permission: (permissionId: string) => `p:${permissionId}`,
  permissionRange: { from: 'p:', to: 'p;' },
  linkIdentity: (identityHash: string) => `k:${identityHash}`,
} as const;

/** Characters Table Storage refuses in keys (`/ \ # ?` and control characters); our keys must never contain them. */
const FORBIDDEN_IN_KEYS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
export const MAX_KEY_LENGTH = 512;

export function assertSafeKey(key: string): string {
  if (FORBIDDEN_IN_KEYS.test(key) || key.length > MAX_KEY_LENGTH) throw new Error('unsafe table key');
  return key;
}

/** base64url SHA-256: fixed length, key-safe, for text of any length and alphabet. */
export const digest = (text: string, bytes = 32) =>
  createHash('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString('base64url');
