import { createHash } from 'node:crypto';

/**
 * Row keys of the drives table. Every part is either an id this service generated and validated against a strict
 * alphabet, or a hash: user-supplied text (names, group and site ids) never reaches a key as it was typed.
 */
export const rowKeys = {
  drive: 'drive',
  item: (itemId: string) => `i:${itemId}`,
  childName: (parentId: string, name: string) => `n:${parentId}:${digest(name.normalize('NFC').toLowerCase())}`,
  permission: (permissionId: string) => `p:${permissionId}`,
  permissionRange: { from: 'p:', to: 'p;' },
  linkIdentity: (identityHash: string) => `k:${identityHash}`,
} as const;

/** base64url SHA-256: fixed length, key-safe, for text of any length and alphabet. */
export const digest = (text: string, bytes = 32) =>
  createHash('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString('base64url');
