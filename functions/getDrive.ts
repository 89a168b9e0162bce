import type { Services } from '../lib/composition.js';
import { driveView } from '../lib/drives/views.js';
import type { Handler } from '../lib/http/pipeline.js';
import { driveRefOf, json, originOf } from '../lib/http/responses.js';

/** GET {drive} */
export const makeGetDrive =
  ({ authenticate, drives, config }: Pick<Services, 'authenticate' | 'drives' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    const drive = await drives.resolve(principal, driveRefOf(request.params), 'read');
    return json(200, driveView(drive, originOf(request, config.PUBLIC_BASE_URL)));
  };
