import type { Services } from '../lib/composition.js';
import { odataObject, parseWith, readJson } from '../lib/http/body.js';
import type { Handler } from '../lib/http/pipeline.js';
import { apiBase, json, originOf } from '../lib/http/responses.js';
import { requireSettingsAccess } from '../lib/policy/settingsAccess.js';
import { tenantSettingsSchema, type TenantSettings } from '../lib/policy/tenantSettings.js';

const patchSchema = tenantSettingsSchema.partial().strict();

const view = (settings: TenantSettings, origin: string) => ({
  '@odata.context': `${apiBase(origin)}/$metadata#admin/sharepoint/settings/$entity`,
  ...settings,
});

/** GET /admin/sharepoint/settings */
export const makeGetTenantSettings =
  ({ authenticate, settings, config }: Pick<Services, 'authenticate' | 'settings' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    requireSettingsAccess(principal, 'read');
    return json(200, view(await settings.get(principal.tenantId), originOf(request, config.PUBLIC_BASE_URL)));
  };

/** PATCH /admin/sharepoint/settings: merges the given properties. */
export const makePatchTenantSettings =
  ({ authenticate, settings, config }: Pick<Services, 'authenticate' | 'settings' | 'config'>): Handler =>
  async (request) => {
    const principal = await authenticate(request.headers.get('authorization'));
    requireSettingsAccess(principal, 'write');
    const changes = parseWith(patchSchema, odataObject(await readJson(request)), 'sharepointSettings');
    return json(200, view(await settings.update(principal.tenantId, changes), originOf(request, config.PUBLIC_BASE_URL)));
  };
