import { z } from 'zod';
import type { Services } from '../lib/composition.js';
import { itemView } from '../lib/drives/views.js';
import { odataObject, parseWith, readJson } from '../lib/http/body.js';
import { invalidRequest } from '../lib/http/errors.js';
import type { Handler } from '../lib/http/pipeline.js';
import { driveRefOf, json, originOf } from '../lib/http/responses.js';

const facet = z.record(z.string(), z.unknown());
const childSchema = z.strictObject({
  name: z.string().max(1024),
  folder: facet.optional(),
  file: facet.optional(),
});

/** POST {drive}/items/{parentId}/children (or {drive}/root/children): `{"name": "...", "folder": {}}` or `{"name": "...", "file": {}}`. */
export const makeCreateChild =
  ({ authenticate, drives, items, config }: Pick<Services, 'authenticate' | 'drives' | 'items' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const raw = odataObject(await readJson(request), { keepAnnotations: ['@microsoft.graph.conflictBehavior'] });
    // Only "fail" is implemented, which is also what happens when nothing is said.
    const behavior = raw['@microsoft.graph.conflictBehavior'] ?? 'fail';
    if (behavior !== 'fail') throw invalidRequest("Only the conflict behavior 'fail' is supported.");
    delete raw['@microsoft.graph.conflictBehavior'];
    const body = parseWith(childSchema, raw, 'driveItem');
    if ((body.folder === undefined) === (body.file === undefined)) {
      throw invalidRequest("A new item needs exactly one of the 'folder' or 'file' facets.");
    }
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'write');
    const item = await items.createChild(drive, request.params.parentId ?? 'root', { name: body.name, isFolder: body.folder !== undefined });
    return json(201, itemView(drive, item, originOf(request, config.PUBLIC_BASE_URL)));
  };
