import { rowKeys } from '../storage/keys.js';
import type { Entity } from '../storage/tables.js';
import type { Item } from './drive.js';

export function itemEntity(item: Item) {
  return {
    partitionKey: item.driveId,
    rowKey: rowKeys.item(item.id),
    name: item.name,
    parentId: item.parentId,
    path: item.path,
    ancestors: JSON.stringify(item.ancestors),
    isFolder: item.isFolder,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    stopsInheritance: item.stopsInheritance,
  };
}

export function itemFromRow(driveId: string, row: Entity): Item {
  return {
    id: String(row.rowKey ?? '').slice(2),
    driveId,
    name: String(row.name),
    parentId: String(row.parentId ?? ''),
    path: String(row.path ?? ''),
    ancestors: JSON.parse(String(row.ancestors ?? '[]')) as string[],
    isFolder: row.isFolder === true,
    createdDateTime: String(row.createdDateTime),
    lastModifiedDateTime: String(row.lastModifiedDateTime),
    stopsInheritance: row.stopsInheritance === true,
  };
}
