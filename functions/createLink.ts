import type { Services } from '../lib/composition.js';
import { odataObject, parseWith, readJson } from '../lib/http/body.js';
import type { Handler } from '../lib/http/pipeline.js';
import { apiBase, driveRefOf, json, originOf } from '../lib/http/responses.js';
import { createLinkSchema } from '../lib/links/createLinkRequest.js';
import { permissionView } from '../lib/links/permissionView.js';

/** POST {drive}/items/{itemId}/createLink (or {drive}/root/createLink): 201 with a new link, 200 with the existing one. */
export const makeCreateLink =
  ({ authenticate, drives, links, config }: Pick<Services, 'authenticate' | 'drives' | 'links' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const body = parseWith(createLinkSchema, odataObject(await readJson(request)), 'createLink');
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'write');
    const { created, link } = await links.createOrReturn(principal, drive, request.params.itemId ?? 'root', body);
    const origin = originOf(request, config.PUBLIC_BASE_URL);
    return json(created ? 201 : 200, permissionView(link, { origin, withSecrets: true, context: `${apiBase(origin)}/$metadata#permission` }));
  };
