export const LINK_TYPES = ['view', 'edit', 'embed', 'blocksDownload', 'createOnly'] as const;
export const LINK_SCOPES = ['anonymous', 'organization', 'users'] as const;

export type LinkType = (typeof LINK_TYPES)[number];
export type LinkScope = (typeof LINK_SCOPES)[number];

export type Recipient = { email: string } | { objectId: string } | { alias: string };

/** A sharing link as stored: everything needed to answer, resolve and compare it. */
export interface Link {
  readonly id: string;
  readonly driveId: string;
  readonly itemId: string;
  readonly type: LinkType;
  readonly scope: LinkScope;
  readonly appId: string;
  readonly appDisplayName?: string;
  readonly createdBy: string;
  readonly createdByName?: string;
  readonly createdDateTime: string;
  /** ISO 8601 without fractional seconds, or undefined for no expiry. */
  readonly expirationDateTime?: string;
  /** scrypt verifier of the password (base64url); undefined for no password. */
  readonly passwordHash?: string;
  readonly recipients: readonly Recipient[];
  /** The link token's secret half; the whole token is derived from ids plus this. */
  readonly secret: string;
  /** Hash of everything that makes two createLink requests ask for the same link. */
  readonly identity: string;
  /** The fixed part of the identity (item, app, type, scope, recipients); the password verifier's salt. */
  readonly subject: string;
  /** How the expiry takes part in the identity (see policy/expiration.ts). */
  readonly expirationKey: string;
}

/** `view`, `embed` and `blocksDownload` read; `edit` and `createOnly` write (Graph's createLink example that shows write for view is a doc error). */
export const rolesOf = (type: LinkType): ['read'] | ['write'] => (type === 'edit' || type === 'createOnly' ? ['write'] : ['read']);

export const isExpired = (link: Pick<Link, 'expirationDateTime'>, now = Date.now()) =>
  link.expirationDateTime !== undefined && Date.parse(link.expirationDateTime) <= now;
