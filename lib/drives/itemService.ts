import { odata } from '@azure/data-tables';
import { GraphError, invalidRequest, itemNotFound } from '../http/errors.js';
import { LruCache } from '../cache.js';
import { isConflict, isNotFound } from '../storage/errors.js';
import { rowKeys } from '../storage/keys.js';
import type { Table } from '../storage/tables.js';
import type { Drive, Item } from './drive.js';
import { ITEM_ID, newItemId } from './ids.js';
import { itemEntity, itemFromRow } from './itemRows.js';
import { nameProblem } from './names.js';

/** Deep enough for any real folder tree, small enough that an item row stays far below Table Storage's limits. */
export const MAX_DEPTH = 64;

/** Rows per entity-group transaction (Table Storage's limit). */
const TRANSACTION_LIMIT = 100;

/** Groups of rows that must be deleted together (an item and its name), packed into batches of at most `limit`. */
function batches(groups: string[][], limit: number): string[][][] {
  const result: string[][][] = [];
  let current: string[][] = [];
  let size = 0;
  for (const group of groups) {
    if (size + group.length > limit) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(group);
    size += group.length;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * Items of a drive. An item's place in the tree (parent, path, ancestors) never changes once created (there is no
 * move), so those facts are cached; whether the item still exists is always checked by the write that depends on it.
 */
export class ItemService {
  private readonly shapes = new LruCache<string, Item>(50_000);

  constructor(private readonly table: Table) {}

  /** The id a route used, with `root` resolved; anything that cannot be one of our ids is simply not found. */
  static itemId(drive: Drive, itemRef: string | undefined): string {
    if (itemRef === undefined) throw itemNotFound();
    if (itemRef.toLowerCase() === 'root') return drive.rootId;
    if (!ITEM_ID.test(itemRef)) throw itemNotFound();
    return itemRef;
  }

  /** Current state of an item, read from storage. */
  async get(drive: Drive, itemRef: string | undefined): Promise<Item> {
    const id = ItemService.itemId(drive, itemRef);
    const row = await this.table.get(drive.id, rowKeys.item(id));
    if (!row) throw itemNotFound();
    const item = itemFromRow(drive.id, row);
    this.shapes.set(`${drive.id}/${id}`, item);
    return item;
  }

  /** An item's immutable shape (kind, name, place in the tree), from cache when possible. */
  async shape(drive: Drive, itemId: string): Promise<Item> {
    return this.shapes.get(`${drive.id}/${itemId}`) ?? this.get(drive, itemId);
  }

  /**
   * Deletes an item, its descendants and all their links. Table Storage transactions hold at most 100 rows, so a big
   * tree takes several; they run links first, then items deepest first, the item itself last. Every intermediate
   * state is a consistent, smaller tree (no orphan item, no link on a missing item), and a retry finishes the job.
   */
  async delete(drive: Drive, itemRef: string | undefined): Promise<void> {
    const item = await this.get(drive, itemRef);
    if (item.id === drive.rootId) throw invalidRequest('The root folder of a drive cannot be deleted.');
    const rows = await this.table.query(odata`PartitionKey eq ${drive.id} and RowKey gt ${'i:'} and RowKey lt ${'q'}`, [
      'RowKey',
      'ancestors',
      'itemId',
      'parentId',
      'name',
    ]);
    const doomed = rows
      .filter((row) => String(row.rowKey).startsWith('i:'))
      .map((row) => ({ id: String(row.rowKey).slice(2), parentId: String(row.parentId), name: String(row.name), ancestors: JSON.parse(String(row.ancestors ?? '[]')) as string[] }))
      .filter((candidate) => candidate.id === item.id || candidate.ancestors.includes(item.id))
      .sort((a, b) => b.ancestors.length - a.ancestors.length);
    const doomedIds = new Set(doomed.map((candidate) => candidate.id));
    const linkKeys = rows
      .filter((row) => /^[pk]:/.test(String(row.rowKey)) && doomedIds.has(String(row.itemId)))
      .map((row) => [String(row.rowKey)]);
    const itemKeys = doomed.map((candidate) => [rowKeys.item(candidate.id), rowKeys.childName(candidate.parentId, candidate.name)]);
    try {
      for (const batch of batches([...linkKeys, ...itemKeys], TRANSACTION_LIMIT)) {
        await this.table.transact(batch.flat().map((rowKey) => ['delete', { partitionKey: drive.id, rowKey }]));
      }
    } catch (error) {
      if (isNotFound(error)) throw itemNotFound();
      throw error;
    }
    for (const id of doomedIds) this.shapes.delete(`${drive.id}/${id}`);
  }

  async createChild(drive: Drive, parentRef: string | undefined, child: { name: string; isFolder: boolean }): Promise<Item> {
    const name = child.name.normalize('NFC');
    const problem = nameProblem(name);
    if (problem) throw invalidRequest(problem);
    const parent = await this.get(drive, parentRef);
    if (!parent.isFolder) throw invalidRequest('Children can only be created in a folder.');
    if (parent.ancestors.length + 1 >= MAX_DEPTH) throw invalidRequest(`Folders cannot be nested more than ${MAX_DEPTH} levels deep.`);

    const now = new Date().toISOString();
    const item: Item = {
      id: newItemId(),
      driveId: drive.id,
      name,
      parentId: parent.id,
      path: `${parent.path}/${name}`,
      ancestors: [...parent.ancestors, parent.id],
      isFolder: child.isFolder,
      createdDateTime: now,
      lastModifiedDateTime: now,
      stopsInheritance: false,
    };
    try {
      // The name reservation and the item land together or not at all; the merge fails if the parent was deleted.
      await this.table.transact([
        ['update', { partitionKey: drive.id, rowKey: rowKeys.item(parent.id), lastModifiedDateTime: now }, 'Merge', { etag: '*' }],
        ['create', { partitionKey: drive.id, rowKey: rowKeys.childName(parent.id, name), itemId: item.id }],
        ['create', itemEntity(item)],
      ]);
    } catch (error) {
      if (isConflict(error)) {
        throw new GraphError('nameAlreadyExists', 'An item with the same name already exists under the parent.');
      }
      if (isNotFound(error)) throw itemNotFound();
      throw error;
    }
    this.shapes.set(`${drive.id}/${item.id}`, item);
    return item;
  }
}
