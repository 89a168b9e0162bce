import type { TransactionAction } from '@azure/data-tables';
import type { Drive } from '../drives/drive.js';
import { newPermissionId, newTokenSecret } from '../drives/ids.js';
import { ItemService } from '../drives/itemService.js';
import { invalidRequest, itemNotFound } from '../http/errors.js';
import type { Principal } from '../identity/principal.js';
import { effectiveExpiration } from '../policy/expiration.js';
import { checkLinkAllowed, linkDefaults } from '../policy/linkRules.js';
import type { TenantSettingsStore } from '../policy/tenantSettings.js';
import { isConflict, isNotFound, isPreconditionFailed } from '../storage/errors.js';
import { rowKeys } from '../storage/keys.js';
import type { Table } from '../storage/tables.js';
import { normalizeRecipients, type CreateLinkRequest } from './createLinkRequest.js';
import { isExpired, type Link } from './link.js';
import { linkIdentity, linkSubject, passwordVerifier } from './linkIdentity.js';
import { identityRow, linkFromRow, permissionRow } from './linkRows.js';

export interface CreateLinkResult {
  readonly created: boolean;
  readonly link: Link;
}

/**
 * createLink's create-or-return. The hot path (the link exists) is one point read of the identity row; creating is
 * one transaction that checks the item still exists, reserves the identity and stores the link, all or nothing.
 */
export class LinkService {
  constructor(
    private readonly table: Table,
    private readonly items: ItemService,
    private readonly settings: TenantSettingsStore,
  ) {}

  async createOrReturn(principal: Principal, drive: Drive, itemRef: string | undefined, request: CreateLinkRequest): Promise<CreateLinkResult> {
    const settings = await this.settings.get(drive.tenantId);
    const { type, scope } = linkDefaults(drive, settings, request);
    const recipients = normalizeRecipients(request.recipients ?? []);
    checkLinkAllowed(drive, settings, { type, scope, hasRecipients: recipients.length > 0, sendNotification: request.sendNotification });

    const itemId = ItemService.itemId(drive, itemRef);
    if (drive.driveType === 'personal' && itemId === drive.rootId) {
      throw invalidRequest('Drives with a driveType of personal cannot create or modify permissions on the root item.');
    }
    const expiration = effectiveExpiration(request.expirationDateTime, scope, settings);
    const subject = linkSubject({ driveId: drive.id, itemId, appId: principal.appId, type, scope, recipients });
    const verifier = request.password === undefined ? undefined : await passwordVerifier(request.password, subject);
    const identity = linkIdentity(subject, expiration.key, verifier);

    const existing = await this.table.get(drive.id, rowKeys.linkIdentity(identity));
    const existingLink = existing && linkFromRow(existing);
    if (existingLink && !isExpired(existingLink)) return { created: false, link: existingLink };

    // Only createOnly needs to know the item's kind; whether it exists is checked by the transaction below.
    if (type === 'createOnly' && !(await this.items.shape(drive, itemId)).isFolder) {
      throw invalidRequest("Link type 'createOnly' is only available for folders.");
    }

    const link: Link = {
      id: newPermissionId(),
      driveId: drive.id,
      itemId,
      type,
      scope,
      appId: principal.appId,
      ...(principal.appDisplayName ? { appDisplayName: principal.appDisplayName } : {}),
      createdBy: principal.objectId,
      ...(principal.name ? { createdByName: principal.name } : principal.isApp && principal.appDisplayName ? { createdByName: principal.appDisplayName } : {}),
      createdDateTime: new Date().toISOString(),
      ...(expiration.value ? { expirationDateTime: expiration.value } : {}),
      ...(verifier ? { passwordHash: verifier } : {}),
      recipients,
      secret: newTokenSecret(),
      identity,
      subject,
      expirationKey: expiration.key,
    };
    const actions: TransactionAction[] = [
      // Fails the whole transaction with 404 if the item was deleted meanwhile: no link on a ghost.
      [
        'update',
        { partitionKey: drive.id, rowKey: rowKeys.item(itemId), ...(request.retainInheritedPermissions === false ? { stopsInheritance: true } : {}) },
        'Merge',
        { etag: '*' },
      ],
      // An expired link with the same identity gives way to the new one; its permission row stays, expired.
      existing ? ['update', identityRow(link), 'Replace', { etag: existing.etag }] : ['create', identityRow(link)],
      ['create', permissionRow(link)],
    ];
    try {
      await this.table.transact(actions);
      return { created: true, link };
    } catch (error) {
      if (isConflict(error) || isPreconditionFailed(error)) {
        // Another request created this very link first: theirs is the answer.
        const winner = await this.table.get(drive.id, rowKeys.linkIdentity(identity));
        if (winner) return { created: false, link: linkFromRow(winner) };
      }
      if (isNotFound(error)) throw itemNotFound();
      throw error;
    }
  }
}
