import { apiBase } from '../http/responses.js';
import type { Drive, Item } from './drive.js';

/** A drive's owner as Graph's identitySet. */
export function ownerOf(drive: Drive) {
  switch (drive.ownerKind) {
    case 'user':
      return { user: { id: drive.ownerId, ...(drive.ownerName ? { displayName: drive.ownerName } : {}) } };
    case 'group':
      return { group: { id: drive.ownerId } };
    case 'site':
      return { user: { displayName: 'System Account' } };
  }
}

/** Graph's `drive` resource. */
export const driveView = (drive: Drive, origin: string) => ({
  '@odata.context': `${apiBase(origin)}/$metadata#drives/$entity`,
  id: drive.id,
  driveType: drive.driveType,
  createdDateTime: drive.createdDateTime,
  owner: ownerOf(drive),
});

export const itemPath = (drive: Drive, relative: string) => `/drives/${drive.id}/root:${relative}`;

/** Graph's `driveItem` resource; the root carries the `root` facet and a parentReference without id or path. */
export function itemView(drive: Drive, item: Item, origin?: string) {
  const isRoot = item.id === drive.rootId;
  const parentPath = item.path.slice(0, item.path.lastIndexOf('/'));
  return {
    ...(origin ? { '@odata.context': `${apiBase(origin)}/$metadata#drives('${drive.id}')/items/$entity` } : {}),
    id: item.id,
    name: item.name,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    parentReference: isRoot
      ? { driveId: drive.id, driveType: drive.driveType }
      : { driveId: drive.id, driveType: drive.driveType, id: item.parentId, path: itemPath(drive, parentPath) },
    ...(item.isFolder ? { folder: {} } : { file: {} }),
    ...(isRoot ? { root: {} } : {}),
  };
}
