import type { Services } from '../lib/composition.js';
import { itemView } from '../lib/drives/views.js';
import type { Handler } from '../lib/http/pipeline.js';
import { driveRefOf, json, originOf } from '../lib/http/responses.js';

/** GET {drive}/root and GET {drive}/items/{itemId} (no itemId param means the root). */
export const makeGetItem =
  ({ authenticate, drives, items, config }: Pick<Services, 'authenticate' | 'drives' | 'items' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'read');
    const item = await items.get(drive, request.params.itemId ?? 'root');
    return json(200, itemView(drive, item, originOf(request, config.PUBLIC_BASE_URL)));
  };
