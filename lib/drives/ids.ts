import { createHash, randomBytes } from 'node:crypto';

/**
 * Identifiers. Everything a caller could use to reach something (item, permission, link token) carries 128 random
 * bits from the CSPRNG; drive ids are derived from their owner so `/me/drive` needs no lookup to find its drive.
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Graph-like item ids (`01` + 26 base32 characters). */
export const newItemId = () => `01${base32(randomBytes(16))}`;
export const ITEM_ID = /^01[A-Z2-7]{26}$/;

export const newPermissionId = () => randomBytes(16).toString('base64url');

export const DRIVE_ID = /^b![A-Za-z0-9_-]{22}$/;

export type OwnerKind = 'user' | 'group' | 'site';

export function driveIdFor(tenantId: string, kind: OwnerKind, ownerId: string): string {
  const hash = createHash('sha256').update(`${tenantId}\n${kind}\n${ownerId}`, 'utf8').digest();
  return `b!${hash.subarray(0, 16).toString('base64url')}`;
}

/**
 * A link token locates its link without any index: drive id bytes, permission id bytes, then a 128-bit secret that
 * only the link row knows. Resolving a token is therefore one point read, and the index can never disagree with
 * the link (there is none).
 */
export interface TokenParts {
  driveId: string;
  permissionId: string;
  secret: string;
}

export const newTokenSecret = () => randomBytes(16).toString('base64url');

export function encodeToken(parts: TokenParts): string {
  return Buffer.concat([
    Buffer.from(parts.driveId.slice(2), 'base64url'),
    Buffer.from(parts.permissionId, 'base64url'),
    Buffer.from(parts.secret, 'base64url'),
  ]).toString('base64url');
}

export function decodeToken(token: string): TokenParts | undefined {
  if (!/^[A-Za-z0-9_-]{64}$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== 48) return undefined;
  return {
    driveId: `b!${raw.subarray(0, 16).toString('base64url')}`,
    permissionId: raw.subarray(16, 32).toString('base64url'),
    secret: raw.subarray(32, 48).toString('base64url'),
  };
}
