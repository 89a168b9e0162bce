import { timingSafeEqual } from 'node:crypto';
import type { Drive, Item } from '../drives/drive.js';
import type { DriveService } from '../drives/driveService.js';
import { decodeToken } from '../drives/ids.js';
import type { ItemService } from '../drives/itemService.js';
import { GraphError } from '../http/errors.js';
import { mayTouchDrive } from '../identity/access.js';
import type { Principal } from '../identity/principal.js';
import { rowKeys } from '../storage/keys.js';
import type { Table } from '../storage/tables.js';
import { isExpired, type Link, type Recipient } from './link.js';
import { passwordMatches } from './linkIdentity.js';
import { linkFromRow } from './linkRows.js';

export interface Share {
  readonly drive: Drive;
  readonly item: Item;
  readonly link: Link;
}

/**
 * What resolving a link found. `notFound` covers unknown, deleted, expired and forbidden alike, so a caller learns
 * nothing about links it may not use.
 */
export type Resolution =
  | { readonly status: 'ok'; readonly share: Share }
  | { readonly status: 'notFound' }
  | { readonly status: 'signInRequired'; readonly link: Link }
  | { readonly status: 'passwordRequired'; readonly link: Link; readonly wrongPassword: boolean };

const MAX_ENCODED_URL = 4096;

/**
 * The token inside a share id: `s!<token>`, `u!<unpadded base64url of a webUrl>` (Graph's encoding of sharing URLs),
 * or a bare token.
 */
export function tokenOf(shareIdOrEncodedUrl: string): string | undefined {
  if (shareIdOrEncodedUrl.length > MAX_ENCODED_URL) return undefined;
  if (shareIdOrEncodedUrl.startsWith('s!')) return shareIdOrEncodedUrl.slice(2);
  if (shareIdOrEncodedUrl.startsWith('u!')) {
    const encoded = shareIdOrEncodedUrl.slice(2);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    let url: URL;
    try {
      url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    return /^\/(?:s|embed)\/([A-Za-z0-9_-]{64})\/?$/.exec(url.pathname)?.[1];
  }
  return shareIdOrEncodedUrl;
}

/** A recipient matches by object id, or by e-mail / user name (case-insensitive); an alias by the user name's local part. */
function isRecipient(principal: Principal, recipients: readonly Recipient[]): boolean {
  const names = [principal.email, principal.username].filter((name): name is string => !!name).map((name) => name.toLowerCase());
  return recipients.some((recipient) => {
    if ('objectId' in recipient) return recipient.objectId === principal.objectId;
    if ('email' in recipient) return names.includes(recipient.email);
    return names.some((name) => name === recipient.alias || name.split('@')[0] === recipient.alias);
  });
}

export class ShareResolver {
  constructor(
    private readonly table: Table,
    private readonly drives: DriveService,
    private readonly items: ItemService,
  ) {}

  /**
   * Who may use a link: anonymous — anyone; organization — signed-in users of the drive's tenant; users — the
   * recipients. People who may read the drive anyway can always resolve its links. Password links need the
   * password; expired links stop working at their expiry instant.
   */
  async resolve(token: string, caller: { principal?: Principal; password?: string }): Promise<Resolution> {
    const parts = decodeToken(token);
    if (!parts) return { status: 'notFound' };
    const drive = await this.drives.find(parts.driveId);
    if (!drive) return { status: 'notFound' };
    const row = await this.table.get(drive.id, rowKeys.permission(parts.permissionId));
    if (!row) return { status: 'notFound' };
    const link = linkFromRow(row);
    const expected = Buffer.from(link.secret, 'base64url');
    const given = Buffer.from(parts.secret, 'base64url');
    if (expected.length !== given.length || !timingSafeEqual(expected, given) || isExpired(link)) return { status: 'notFound' };

    const { principal } = caller;
    const insider = principal !== undefined && mayTouchDrive(principal, drive, 'read');
    if (link.scope !== 'anonymous' && !insider) {
      if (!principal) return { status: 'signInRequired', link };
      const allowed = link.scope === 'organization' ? principal.tenantId === drive.tenantId : isRecipient(principal, link.recipients);
      if (!allowed) return { status: 'notFound' };
    }
    if (link.passwordHash) {
      const ok = caller.password !== undefined && caller.password.length <= 256 && (await passwordMatches(caller.password, link.subject, link.passwordHash));
      if (!ok) return { status: 'passwordRequired', link, wrongPassword: caller.password !== undefined };
    }
    try {
      return { status: 'ok', share: { drive, item: await this.items.get(drive, link.itemId), link } };
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return { status: 'notFound' };
      throw error;
    }
  }
}
