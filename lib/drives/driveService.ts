import { LruCache } from '../cache.js';
import { GUID } from '../objects.js';
import { invalidRequest, itemNotFound } from '../http/errors.js';
import { mayTouchDrive, requireAccess, type Access } from '../identity/access.js';
import type { Principal } from '../identity/principal.js';
import { isConflict } from '../storage/errors.js';
import { rowKeys } from '../storage/keys.js';
import type { Entity, Table } from '../storage/tables.js';
import type { Drive, DriveRef, DriveType } from './drive.js';
import { DRIVE_ID, driveIdFor, newItemId, type OwnerKind } from './ids.js';
import { itemEntity } from './itemRows.js';

/** Group and site ids are opaque to us (site ids contain commas); any printable text of sane length is accepted. */
const OPAQUE_OWNER_ID = /^[^\u0000-\u001f\u007f-\u009f]{1,256}$/;

/**
 * Finds the drive a route names, applying SPEC section 3: no accepted scope is 403, `/me` with an app-only token
 * is 400, and a drive the caller may not touch is indistinguishable from one that does not exist (404).
 * Default drives are created on first use. Drives never change once created, so they are cached for good.
 */
export class DriveService {
  private readonly cache = new LruCache<string, Drive>(20_000);

  constructor(private readonly table: Table) {}

  async resolve(principal: Principal, ref: DriveRef, access: Access): Promise<Drive> {
    requireAccess(principal, access);
    if (ref.kind === 'id') {
      if (!DRIVE_ID.test(ref.driveId)) throw itemNotFound();
      const drive = await this.read(ref.driveId);
      if (!drive || !mayTouchDrive(principal, drive, access)) throw itemNotFound();
      return drive;
    }
    const owner = ownerOf(principal, ref);
    const ownership = { tenantId: principal.tenantId, ...owner };
    if (!mayTouchDrive(principal, ownership, access)) throw itemNotFound();
    const id = driveIdFor(principal.tenantId, owner.ownerKind, owner.ownerId);
    return (await this.read(id)) ?? (await this.create(id, principal, owner));
  }

  /** A drive by id with no access check: for link resolution, where the link itself is the grant. */
  find(id: string): Promise<Drive | undefined> {
    return DRIVE_ID.test(id) ? this.read(id) : Promise.resolve(undefined);
  }

  private async read(id: string): Promise<Drive | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = await this.table.get(id, rowKeys.drive);
    if (!row) return undefined;
    const drive = driveFromRow(id, row);
    this.cache.set(id, drive);
    return drive;
  }

  private async create(id: string, principal: Principal, owner: { ownerKind: OwnerKind; ownerId: string }): Promise<Drive> {
    const now = new Date().toISOString();
    const drive: Drive = {
      id,
      tenantId: principal.tenantId,
      ...owner,
      driveType: driveTypeOf(principal, owner.ownerKind),
      rootId: newItemId(),
      createdDateTime: now,
      ...(owner.ownerKind === 'user' && owner.ownerId === principal.objectId && principal.name ? { ownerName: principal.name } : {}),
    };
    const root = itemEntity({
      id: drive.rootId,
      driveId: id,
      name: 'root',
      parentId: '',
      path: '',
      ancestors: [],
      isFolder: true,
      createdDateTime: now,
      lastModifiedDateTime: now,
      stopsInheritance: false,
    });
    try {
      await this.table.transact([
        ['create', { partitionKey: id, rowKey: rowKeys.drive, ...driveProps(drive) }],
        ['create', root],
      ]);
    } catch (error) {
      // Someone created it first: theirs (and its root) is the drive.
      if (!isConflict(error)) throw error;
      const winner = await this.read(id);
      if (!winner) throw error;
      return winner;
    }
    this.cache.set(id, drive);
    return drive;
  }
}

function ownerOf(principal: Principal, ref: Exclude<DriveRef, { kind: 'id' }>): { ownerKind: OwnerKind; ownerId: string } {
  switch (ref.kind) {
    case 'me':
      if (principal.isApp) throw invalidRequest('/me request is only valid with delegated authentication flow.');
      return { ownerKind: 'user', ownerId: principal.objectId };
    case 'user':
      return { ownerKind: 'user', ownerId: userObjectId(principal, ref.userId) };
    case 'group':
      return { ownerKind: 'group', ownerId: opaqueOwnerId(principal, ref.groupId) };
    case 'site':
      return { ownerKind: 'site', ownerId: opaqueOwnerId(principal, ref.siteId) };
  }
}

/**
 * Users are addressed by object id. There is no directory here to turn a user principal name into an object id,
 * so a UPN is only understood when it is the caller's own.
 */
function userObjectId(principal: Principal, userId: string): string {
  if (GUID.test(userId)) return userId.toLowerCase();
  if (!principal.isApp && principal.username && principal.username.toLowerCase() === userId.toLowerCase()) return principal.objectId;
  throw itemNotFound();
}

function opaqueOwnerId(principal: Principal, id: string): string {
  // Personal accounts have no groups or sites.
  if (principal.personal || !OPAQUE_OWNER_ID.test(id)) throw itemNotFound();
  return GUID.test(id) ? id.toLowerCase() : id;
}

function driveTypeOf(principal: Principal, kind: OwnerKind): DriveType {
  if (kind === 'site') return 'documentLibrary';
  return kind === 'user' && principal.personal ? 'personal' : 'business';
}

function driveProps(drive: Drive) {
  return {
    tenantId: drive.tenantId,
    ownerKind: drive.ownerKind,
    ownerId: drive.ownerId,
    ownerName: drive.ownerName ?? '',
    driveType: drive.driveType,
    rootId: drive.rootId,
    createdDateTime: drive.createdDateTime,
  };
}

function driveFromRow(id: string, row: Entity): Drive {
  const ownerName = String(row.ownerName ?? '');
  return {
    id,
    tenantId: String(row.tenantId),
    ownerKind: String(row.ownerKind) as OwnerKind,
    ownerId: String(row.ownerId),
    driveType: String(row.driveType) as DriveType,
    rootId: String(row.rootId),
    createdDateTime: String(row.createdDateTime),
    ...(ownerName ? { ownerName } : {}),
  };
}
