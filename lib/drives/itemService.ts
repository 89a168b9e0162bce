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
