import { odata, type TransactionAction } from '@azure/data-tables';
import type { Drive, Item } from '../drives/drive.js';
import { ItemService } from '../drives/itemService.js';
import { itemFromRow } from '../drives/itemRows.js';
import { accessDenied, GraphError, invalidRequest, itemNotFound } from '../http/errors.js';
import { effectiveExpiration, type EffectiveExpiration } from '../policy/expiration.js';
import type { TenantSettingsStore } from '../policy/tenantSettings.js';
import { isNotFound, isPreconditionFailed } from '../storage/errors.js';
import { rowKeys } from '../storage/keys.js';
import type { Entity, Table } from '../storage/tables.js';
import { isExpired, type Link } from './link.js';
import { linkIdentity, passwordVerifier } from './linkIdentity.js';
import { identityRow, linkFromRow, linkProps } from './linkRows.js';

export interface PermissionEntry {
  readonly link: Link;
  /** The `p:` row's ETag: what `If-Match` is compared with. */
  readonly etag: string;
  /** The ancestor the link was made on, when it is inherited. */
  readonly inheritedFrom?: Item;
}

export interface PermissionChanges {
  /** undefined: leave it; null: remove it (within policy); a string: set it. */
  readonly expirationDateTime?: string | null;
  readonly password?: string | null;
}

/**
 * Permissions of an item: its own links plus those inherited from its ancestors, up to and including the nearest
 * item marked by `retainInheritedPermissions: false`. One query reads the item, its ancestors and the drive's links
 * together, so the cost does not grow with depth.
 */
export class PermissionService {
  constructor(
    private readonly table: Table,
    private readonly items: ItemService,
    private readonly settings: TenantSettingsStore,
  ) {}

  async list(drive: Drive, itemRef: string | undefined): Promise<{ item: Item; entries: PermissionEntry[] }> {
    const itemId = ItemService.itemId(drive, itemRef);
    const shape = await this.items.shape(drive, itemId);
    const chain = [itemId, ...[...shape.ancestors].reverse()];
    const itemRows = chain.map((id) => odata`RowKey eq ${rowKeys.item(id)}`).join(' or ');
    // Links of the chain only: filtered by the service, so what crosses the wire does not grow with the drive.
    const chainLinks = chain.map((id) => odata`itemId eq ${id}`).join(' or ');
    const linkRows = odata`RowKey ge ${rowKeys.permissionRange.from} and RowKey lt ${rowKeys.permissionRange.to}`;
    const rows = await this.table.query(`${odata`PartitionKey eq ${drive.id}`} and ((${linkRows} and (${chainLinks})) or ${itemRows})`);
    const items = new Map<string, Item>();
    const links: Entity[] = [];
    for (const row of rows) {
      if (String(row.rowKey).startsWith('i:')) {
        const item = itemFromRow(drive.id, row);
        items.set(item.id, item);
      } else links.push(row);
    }
    const item = items.get(itemId);
    if (!item) throw itemNotFound();

    // Where links apply from: the item, then ancestors nearest first, until one that stops inheritance.
    const sources = new Map<string, Item | undefined>([[itemId, undefined]]);
    if (!item.stopsInheritance) {
      for (const ancestorId of chain.slice(1)) {
        const ancestor = items.get(ancestorId);
        if (!ancestor) break;
        sources.set(ancestorId, ancestor);
        if (ancestor.stopsInheritance) break;
      }
    }
    const entries = links
      .map((row) => ({ link: linkFromRow(row), etag: String(row.etag) }))
      .filter(({ link }) => sources.has(link.itemId) && !isExpired(link))
      .map(({ link, etag }) => {
        const from = sources.get(link.itemId);
        return from ? { link, etag, inheritedFrom: from } : { link, etag };
      })
      .sort((a, b) => (a.link.createdDateTime < b.link.createdDateTime ? -1 : a.link.createdDateTime > b.link.createdDateTime ? 1 : 0));
    return { item, entries };
  }

  async get(drive: Drive, itemRef: string | undefined, permissionId: string | undefined): Promise<PermissionEntry> {
    const { entries } = await this.list(drive, itemRef);
    const entry = entries.find(({ link }) => link.id === permissionId);
    if (!entry) throw itemNotFound('The permission does not exist on this item.');
    return entry;
  }

  /** Only the item's own links can be changed or deleted through it; inherited ones are 403 and stay as they are. */
  private async own(drive: Drive, itemRef: string | undefined, permissionId: string | undefined, ifMatch: string | null) {
    const entry = await this.get(drive, itemRef, permissionId);
    if (entry.inheritedFrom) throw accessDenied('Inherited permissions cannot be changed or deleted through a descendant; use the item they were created on.');
    if (ifMatch !== null && ifMatch.trim() !== '*' && ifMatch.trim() !== entry.etag) {
      throw new GraphError('preconditionFailed', 'The permission has changed since the ETag in If-Match was read.');
    }
    return entry;
  }

  async delete(drive: Drive, itemRef: string | undefined, permissionId: string | undefined, ifMatch: string | null): Promise<void> {
    if (drive.driveType === 'personal' && ItemService.itemId(drive, itemRef) === drive.rootId) {
      throw invalidRequest('Drives with a driveType of personal cannot create or modify permissions on the root item.');
    }
    // Deletes inside a transaction cannot carry an ETag; If-Match was checked against the row just read, and both
    // rows go together or not at all.
    const { link } = await this.own(drive, itemRef, permissionId, ifMatch);
    const actions: TransactionAction[] = [['delete', { partitionKey: drive.id, rowKey: rowKeys.permission(link.id) }]];
    const key = await this.table.get(drive.id, rowKeys.linkIdentity(link.identity));
    if (key && key.permissionId === link.id) actions.push(['delete', { partitionKey: drive.id, rowKey: rowKeys.linkIdentity(link.identity) }]);
    await this.commit(actions);
  }

  /**
   * PATCH: `expirationDateTime` (anonymous links only; null removes it, or resets it to the tenant's maximum when
   * the policy requires one) and `password` (null removes it). The link's create-or-return identity moves with it.
   */
  async update(drive: Drive, itemRef: string | undefined, permissionId: string | undefined, changes: PermissionChanges, ifMatch: string | null): Promise<PermissionEntry> {
    const { link, etag } = await this.own(drive, itemRef, permissionId, ifMatch);
    let expiration: EffectiveExpiration = { key: link.expirationKey, ...(link.expirationDateTime ? { value: link.expirationDateTime } : {}) };
    if (changes.expirationDateTime !== undefined) {
      if (link.scope !== 'anonymous') throw invalidRequest('expirationDateTime can only be changed on anonymous links.');
      const settings = await this.settings.get(drive.tenantId);
      expiration = effectiveExpiration(changes.expirationDateTime ?? undefined, link.scope, settings);
    }
    let passwordHash = link.passwordHash;
    if (changes.password !== undefined) {
      passwordHash = changes.password === null ? undefined : await passwordVerifier(changes.password, link.subject);
    }
    const { expirationDateTime: _oldExpiry, passwordHash: _oldHash, ...rest } = link;
    const updated: Link = {
      ...rest,
      ...(expiration.value ? { expirationDateTime: expiration.value } : {}),
      ...(passwordHash ? { passwordHash } : {}),
      expirationKey: expiration.key,
      identity: linkIdentity(link.subject, expiration.key, passwordHash),
    };

    const actions: TransactionAction[] = [
      ['update', { partitionKey: drive.id, rowKey: rowKeys.permission(link.id), ...linkProps(updated) }, 'Replace', { etag }],
    ];
    if (updated.identity !== link.identity) {
      const [oldKey, newKey] = await Promise.all([
        this.table.get(drive.id, rowKeys.linkIdentity(link.identity)),
        this.table.get(drive.id, rowKeys.linkIdentity(updated.identity)),
      ]);
      if (oldKey && oldKey.permissionId === link.id) actions.push(['delete', { partitionKey: drive.id, rowKey: rowKeys.linkIdentity(link.identity) }]);
      // Take over the new identity unless another live link already holds it (that one keeps answering createLink).
      if (!newKey) actions.push(['create', identityRow(updated)]);
      else if (isExpired(linkFromRow(newKey))) actions.push(['update', identityRow(updated), 'Replace', { etag: String(newKey.etag) }]);
    } else {
      const key = await this.table.get(drive.id, rowKeys.linkIdentity(link.identity));
      if (key && key.permissionId === link.id) actions.push(['update', identityRow(updated), 'Replace', { etag: String(key.etag) }]);
    }
    await this.commit(actions);
    // The new ETag: one point read, rather than listing the item's permissions again.
    const row = await this.table.get(drive.id, rowKeys.permission(updated.id));
    if (!row) throw itemNotFound('The permission does not exist on this item.');
    return { link: linkFromRow(row), etag: String(row.etag) };
  }

  private async commit(actions: TransactionAction[]): Promise<void> {
    try {
      await this.table.transact(actions);
    } catch (error) {
      // Someone changed or removed the link (or its identity row) between our read and our write.
      if (isPreconditionFailed(error) || isNotFound(error)) {
        throw new GraphError('preconditionFailed', 'The permission was changed by another request; read it again and retry.');
      }
      throw error;
    }
  }
}
