import { createHash, scrypt, timingSafeEqual } from 'node:crypto';
import type { LinkScope, LinkType, Recipient } from './link.js';

/**
 * scrypt cost: N=2^14, r=8 (16 MiB, tens of milliseconds): slow enough to make guessing expensive, cheap enough to
 * sit on the createLink path.
 */
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 32;

/** What a link is about and for whom: fixed for the link's life (a PATCH can change expiry and password only). */
export interface SubjectParts {
  driveId: string;
  itemId: string;
  appId: string;
  type: LinkType;
  scope: LinkScope;
  recipients: readonly Recipient[];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');

/** The fixed part of a link's identity; also the salt of its password verifier, so a PATCH of the expiry keeps it. */
export const linkSubject = (parts: SubjectParts) =>
  sha256(JSON.stringify([parts.driveId, parts.itemId, parts.appId, parts.type, parts.scope, parts.recipients]));

/**
 * The salt is derived from the link's identity rather than drawn at random, so the same password for the same link
 * gives the same verifier: that is what lets concurrent password requests meet on one row (exactly-once), while
 * links that differ in anything get different salts.
 */
export function passwordVerifier(password: string, base: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), `sharing-link-password:${base}`, KEY_LENGTH, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(key.toString('base64url')),
    );
  });
}

export async function passwordMatches(password: string, base: string, stored: string): Promise<boolean> {
  const candidate = Buffer.from(await passwordVerifier(password, base), 'base64url');
  const expected = Buffer.from(stored, 'base64url');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/** Everything that makes two createLink requests ask for the same link. */
export const linkIdentity = (subject: string, expirationKey: string, verifier: string | undefined) =>
  sha256(`${subject}\n${expirationKey}\n${verifier ?? ''}`);
