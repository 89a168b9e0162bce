import { rowKeys } from '../storage/keys.js';
import type { Entity } from '../storage/tables.js';
import type { Link, LinkScope, LinkType, Recipient } from './link.js';

/**
 * A link is stored twice in its drive's partition, always written together in one transaction: under its
 * permission id (`p:`, for get/list/delete and token resolution) and under its identity (`k:`, so create-or-return
 * is one point read and insert-if-absent on that key gives exactly-once creation).
 */
export function linkProps(link: Link) {
  return {
    permissionId: link.id,
    itemId: link.itemId,
    type: link.type,
    scope: link.scope,
    appId: link.appId,
    appDisplayName: link.appDisplayName ?? '',
    createdBy: link.createdBy,
    createdByName: link.createdByName ?? '',
    createdDateTime: link.createdDateTime,
    expirationDateTime: link.expirationDateTime ?? '',
    passwordHash: link.passwordHash ?? '',
    recipients: JSON.stringify(link.recipients),
    secret: link.secret,
    identity: link.identity,
    subject: link.subject,
    expirationKey: link.expirationKey,
  };
}

export const permissionRow = (link: Link) => ({ partitionKey: link.driveId, rowKey: rowKeys.permission(link.id), ...linkProps(link) });
export const identityRow = (link: Link) => ({ partitionKey: link.driveId, rowKey: rowKeys.linkIdentity(link.identity), ...linkProps(link) });

export function linkFromRow(row: Entity): Link {
  const text = (name: string) => String(row[name] ?? '');
  const optional = (name: string) => text(name) || undefined;
  const appDisplayName = optional('appDisplayName');
  const expirationDateTime = optional('expirationDateTime');
  const passwordHash = optional('passwordHash');
  const createdByName = optional('createdByName');
  return {
    id: text('permissionId'),
    driveId: String(row.partitionKey ?? ''),
    itemId: text('itemId'),
    type: text('type') as LinkType,
    scope: text('scope') as LinkScope,
    appId: text('appId'),
    createdBy: text('createdBy'),
    createdDateTime: text('createdDateTime'),
    recipients: JSON.parse(text('recipients') || '[]') as Recipient[],
    secret: text('secret'),
    identity: text('identity'),
    subject: text('subject'),
    expirationKey: text('expirationKey'),
    ...(appDisplayName ? { appDisplayName } : {}),
    ...(expirationDateTime ? { expirationDateTime } : {}),
    ...(passwordHash ? { passwordHash } : {}),
    ...(createdByName ? { createdByName } : {}),
  };
}
