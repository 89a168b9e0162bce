import type { Services } from '../lib/composition.js';
import type { Handler } from '../lib/http/pipeline.js';
import { driveRefOf, noContent } from '../lib/http/responses.js';

/** DELETE {drive}/items/{itemId}: the item, its descendants and their links. */
export const makeDeleteItem =
  ({ authenticate, drives, items }: Pick<Services, 'authenticate' | 'drives' | 'items'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'write');
    await items.delete(drive, request.params.itemId);
    return noContent();
  };
