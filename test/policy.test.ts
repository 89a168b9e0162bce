import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';
import { PERSONAL_TENANT, TENANT_B } from './helpers/idp.js';

let app: TestApp;
let admin: string;
let alice: string;

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.idp.user('admin', { scopes: 'SharePointTenantSettings.ReadWrite.All' });
  alice = await app.idp.user('alice', { scopes: 'Files.ReadWrite' });
});
afterAll(() => app.close());

const settings = (token = admin) => app.call('GET', '/v1.0/admin/sharepoint/settings', { token });
const patch = (body: unknown, token = admin) => app.call('PATCH', '/v1.0/admin/sharepoint/settings', { token, body });

async function newItem(token = alice, kind: 'file' | 'folder' = 'file') {
  const answer = await app.call('POST', '/v1.0/me/drive/items/root/children', {
    token,
    body: { name: `i-${Math.random().toString(36).slice(2)}`, [kind]: {} },
  });
  expect(answer.status).toBe(201);
  return answer.body.id as string;
}

const createLink = (id: string, body: unknown, token = alice) => app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token, body });

describe('tenant sharing settings', () => {
  it('start from the documented defaults and merge PATCHes', async () => {
    const tenantB = await app.idp.user('root', { tenant: TENANT_B, scopes: 'SharePointTenantSettings.ReadWrite.All' });
    const initial = await settings(tenantB);
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({
      sharingCapability: 'externalUserAndGuestSharing',
      defaultSharingLinkType: 'internal',
      defaultLinkPermission: 'view',
      requireAnonymousLinksExpireInDays: 0,
    });
    expect(initial.body['@odata.context']).toBe(`${app.origin}/v1.0/$metadata#admin/sharepoint/settings/$entity`);
    const patched = await patch({ requireAnonymousLinksExpireInDays: 14 }, tenantB);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ sharingCapability: 'externalUserAndGuestSharing', requireAnonymousLinksExpireInDays: 14 });
    await patch({ defaultLinkPermission: 'edit' }, tenantB);
    expect((await settings(tenantB)).body).toMatchObject({ defaultLinkPermission: 'edit', requireAnonymousLinksExpireInDays: 14 });
    // Tenants are isolated.
    expect((await settings()).body.requireAnonymousLinksExpireInDays).toBe(0);
  });

  it('a PATCH is seen at once by the instance that served it and within the staleness bound by the others', async () => {
    const prefix = app.config.TABLES_PREFIX;
    const services = { keys: { cooldownMs: 0 }, settingsMaxStalenessMs: 300 };
    const one = await startTestApp({ idp: app.idp, prefix, services });
    const two = await startTestApp({ idp: app.idp, prefix, services });
    try {
      const tenant = '77777777-7777-4777-8777-777777777777';
      const tenantAdmin = await app.idp.user('admin', { tenant, scopes: 'SharePointTenantSettings.ReadWrite.All' });
      const read = (instance: TestApp) => instance.call('GET', '/v1.0/admin/sharepoint/settings', { token: tenantAdmin });
      expect((await read(two)).body.defaultLinkPermission).toBe('view');
      await one.call('PATCH', '/v1.0/admin/sharepoint/settings', { token: tenantAdmin, body: { defaultLinkPermission: 'edit' } });
      expect((await read(one)).body.defaultLinkPermission).toBe('edit');
      await new Promise((done) => setTimeout(done, 400));
      expect((await read(two)).body.defaultLinkPermission).toBe('edit');
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('refuse bad values and unknown properties with 400, changing nothing', async () => {
    for (const body of [
      { sharingCapability: 'everyone' },
      { requireAnonymousLinksExpireInDays: 731 },
      { requireAnonymousLinksExpireInDays: -1 },
      { requireAnonymousLinksExpireInDays: 1.5 },
      { requireAnonymousLinksExpireInDays: '7' },
      { defaultSharingLinkType: 'anonymous' },
      { defaultLinkPermission: 'write' },
      { isSiteCreationEnabled: true },
    ]) {
      expectGraphError(await patch(body), 400, 'invalidRequest');
    }
    expect((await settings()).body).toMatchObject({ sharingCapability: 'externalUserAndGuestSharing', requireAnonymousLinksExpireInDays: 0 });
  });

  it('need SharePointTenantSettings permissions (scope or app role), and not in the personal tenant', async () => {
    expectGraphError(await settings(alice), 403, 'accessDenied');
    const reader = await app.idp.user('reader', { scopes: 'SharePointTenantSettings.Read.All' });
    expect((await settings(reader)).status).toBe(200);
    expectGraphError(await patch({ defaultLinkPermission: 'edit' }, reader), 403, 'accessDenied');
    const daemon = await app.idp.app('policy-bot', { roles: ['SharePointTenantSettings.ReadWrite.All'] });
    expect((await settings(daemon)).status).toBe(200);
    const filesDaemon = await app.idp.app('files-bot', { roles: ['Files.ReadWrite.All'] });
    expectGraphError(await settings(filesDaemon), 403, 'accessDenied');
    const personal = await app.idp.user('pat', { tenant: PERSONAL_TENANT, scopes: 'SharePointTenantSettings.ReadWrite.All' });
    expectGraphError(await settings(personal), 400, 'invalidRequest');
  });
});

describe('policy applied to createLink', () => {
  it('anonymous links need externalUserAndGuestSharing; organization links keep working', async () => {
    const tenant = '33333333-3333-4333-8333-333333333333';
    const tenantAdmin = await app.idp.user('admin', { tenant, scopes: 'SharePointTenantSettings.ReadWrite.All' });
    const user = await app.idp.user('user', { tenant });
    const id = await newItem(user);
    expect((await createLink(id, { type: 'view', scope: 'anonymous' }, user)).status).toBe(201);
    for (const capability of ['disabled', 'externalUserSharingOnly', 'existingExternalUserSharingOnly']) {
      await patch({ sharingCapability: capability }, tenantAdmin);
      const error = expectGraphError(await createLink(id, { type: 'view', scope: 'anonymous' }, user), 403, 'accessDenied');
      expect(error.message).toMatch(/anonymous.*disabled.*organization/i);
    }
    expect((await createLink(id, { type: 'view', scope: 'organization' }, user)).status).toBe(201);
    await patch({ sharingCapability: 'externalUserAndGuestSharing' }, tenantAdmin);
    expect((await createLink(id, { type: 'view', scope: 'anonymous' }, user)).status).toBe(200);
  });

  it("an omitted type or scope takes the tenant's defaults", async () => {
    const tenant = '44444444-4444-4444-8444-444444444444';
    const tenantAdmin = await app.idp.user('admin', { tenant, scopes: 'SharePointTenantSettings.ReadWrite.All' });
    const user = await app.idp.user('user', { tenant });
    const id = await newItem(user);
    expect((await createLink(id, {}, user)).body.link).toMatchObject({ type: 'view', scope: 'organization' });
    await patch({ defaultSharingLinkType: 'anonymousAccess', defaultLinkPermission: 'edit' }, tenantAdmin);
    const defaulted = await createLink(id, {}, user);
    expect(defaulted.status).toBe(201);
    expect(defaulted.body.link).toMatchObject({ type: 'edit', scope: 'anonymous' });
    expect(defaulted.body.roles).toEqual(['write']);
    expect((await createLink(id, { type: 'view' }, user)).body.link).toMatchObject({ type: 'view', scope: 'anonymous' });
    await patch({ defaultSharingLinkType: 'direct' }, tenantAdmin);
    expectGraphError(await createLink(id, {}, user), 400, 'invalidRequest');
    const direct = await createLink(id, { recipients: [{ email: 'guest@example.com' }] }, user);
    expect(direct.status).toBe(201);
    expect(direct.body.link.scope).toBe('users');
  });

  it('personal drives default to view + anonymous', async () => {
    const bob = await app.idp.user('bob', { tenant: PERSONAL_TENANT });
    const id = await newItem(bob);
    expect((await createLink(id, {}, bob)).body.link).toMatchObject({ type: 'view', scope: 'anonymous' });
  });
});

describe('expiration', () => {
  const tenant = '55555555-5555-4555-8555-555555555555';
  let user: string;

  beforeAll(async () => {
    const tenantAdmin = await app.idp.user('admin', { tenant, scopes: 'SharePointTenantSettings.ReadWrite.All' });
    expect((await patch({ requireAnonymousLinksExpireInDays: 7 }, tenantAdmin)).status).toBe(200);
    user = await app.idp.user('user', { tenant });
  });

  it("anonymous links get the tenant's maximum by default and as a cap; the effective value is returned", async () => {
    const id = await newItem(user);
    const before = Date.now();
    const defaulted = await createLink(id, { type: 'view', scope: 'anonymous' }, user);
    expect(defaulted.status).toBe(201);
    const expiry = Date.parse(defaulted.body.expirationDateTime);
    expect(expiry).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    expect(defaulted.body.expirationDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Asking again for the default is asking for the same link.
    const again = await createLink(id, { type: 'view', scope: 'anonymous' }, user);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(defaulted.body.id);

    const capped = await createLink(id, { type: 'edit', scope: 'anonymous', expirationDateTime: iso(Date.now() + 30 * DAY) }, user);
    expect(capped.status).toBe(201);
    expect(Date.parse(capped.body.expirationDateTime)).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    expect(Date.parse(capped.body.expirationDateTime)).toBeGreaterThan(Date.now() + 7 * DAY - 60_000);
  });

  it('passes an allowed expiry through, and other scopes keep what was asked', async () => {
    const id = await newItem(user);
    const inThreeDays = iso(Date.now() + 3 * DAY);
    const anonymous = await createLink(id, { type: 'view', scope: 'anonymous', expirationDateTime: inThreeDays }, user);
    expect(anonymous.body.expirationDateTime).toBe(inThreeDays);
    const inThirtyDays = iso(Date.now() + 30 * DAY);
    const organization = await createLink(id, { type: 'view', scope: 'organization', expirationDateTime: inThirtyDays }, user);
    expect(organization.status).toBe(201);
    expect(organization.body.expirationDateTime).toBe(inThirtyDays);
    const noExpiry = await createLink(id, { type: 'edit', scope: 'organization' }, user);
    expect(noExpiry.body.expirationDateTime).toBeUndefined();
    // A different expiry is a different link; the same one is the same link.
    expect((await createLink(id, { type: 'view', scope: 'organization', expirationDateTime: inThirtyDays }, user)).body.id).toBe(organization.body.id);
    const other = await createLink(id, { type: 'view', scope: 'organization', expirationDateTime: iso(Date.now() + 31 * DAY) }, user);
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(organization.body.id);
  });

  it('understands offsets and fractional seconds', async () => {
    const id = await newItem(user);
    const answer = await createLink(id, { type: 'view', scope: 'organization', expirationDateTime: '2099-06-30T12:00:00.250+02:00' }, user);
    expect(answer.status).toBe(201);
    expect(answer.body.expirationDateTime).toBe('2099-06-30T10:00:00Z');
  });

  it('refuses past and malformed expiries with 400', async () => {
    const id = await newItem(user);
    for (const expirationDateTime of [iso(Date.now() - DAY), 'tomorrow', '2099-13-01T00:00:00Z', '2099-01-01', '2099-01-01T00:00:00', '', 12345]) {
      expectGraphError(await createLink(id, { type: 'view', scope: 'organization', expirationDateTime }, user), 400, 'invalidRequest');
    }
  });
});

describe('passwords', () => {
  it('the same password returns the same link, another creates another; the password never shows', async () => {
    const id = await newItem();
    const secret = 'correct horse battery staple';
    const first = await createLink(id, { type: 'view', scope: 'organization', password: secret });
    expect(first.status).toBe(201);
    expect(first.body.hasPassword).toBe(true);
    const same = await createLink(id, { type: 'view', scope: 'organization', password: secret });
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(first.body.id);
    const other = await createLink(id, { type: 'view', scope: 'organization', password: 'something else' });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    const none = await createLink(id, { type: 'view', scope: 'organization' });
    expect(none.status).toBe(201);
    expect(none.body.hasPassword).toBe(false);
    for (const answer of [first, same, other]) expect(answer.text).not.toContain(secret);
    expect(app.logs.join('\n')).not.toContain(secret);
    const stored = await app.services.tables.drives.query(`RowKey ge 'p:' and RowKey lt 'p;'`);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('limits the length to 1..256', async () => {
    const id = await newItem();
    expectGraphError(await createLink(id, { type: 'view', scope: 'organization', password: '' }), 400, 'invalidRequest');
    expectGraphError(await createLink(id, { type: 'view', scope: 'organization', password: 'x'.repeat(257) }), 400, 'invalidRequest');
    expect((await createLink(id, { type: 'view', scope: 'organization', password: 'x'.repeat(256) })).status).toBe(201);
  });

  it('30 concurrent identical password requests create one link', async () => {
    const id = await newItem();
    const answers = await Promise.all(Array.from({ length: 30 }, () => createLink(id, { type: 'edit', scope: 'organization', password: 'p@ss' })));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(29);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
  });
});

describe('specific people (scope users)', () => {
  it('lists the recipients, de-duplicated, and treats the same set in any order as the same link', async () => {
    const id = await newItem();
    const recipients = [{ email: 'Guest@Example.com' }, { objectId: '66666666-6666-4666-8666-666666666666' }, { alias: 'ops' }, { email: 'guest@example.com' }];
    const created = await createLink(id, { type: 'edit', scope: 'users', recipients });
    expect(created.status).toBe(201);
    expect(created.body.grantedToIdentitiesV2).toEqual(
      expect.arrayContaining([{ user: { email: 'guest@example.com' } }, { user: { id: '66666666-6666-4666-8666-666666666666' } }, { user: { displayName: 'ops' } }]),
    );
    expect(created.body.grantedToIdentitiesV2).toHaveLength(3);
    const reordered = await createLink(id, { type: 'edit', scope: 'users', recipients: [...recipients].reverse() });
    expect(reordered.status).toBe(200);
    expect(reordered.body.id).toBe(created.body.id);
    const fewer = await createLink(id, { type: 'edit', scope: 'users', recipients: [{ alias: 'ops' }] });
    expect(fewer.status).toBe(201);
  });

  it('refuses inconsistent recipients with 400 and sendNotification with notSupported', async () => {
    const id = await newItem();
    const cases = [
      { type: 'view', scope: 'users' },
      { type: 'view', scope: 'users', recipients: [] },
      { type: 'view', scope: 'organization', recipients: [{ email: 'a@example.com' }] },
      { type: 'view', scope: 'users', recipients: [{ email: 'a@example.com', alias: 'a' }] },
      { type: 'view', scope: 'users', recipients: [{}] },
      { type: 'view', scope: 'users', recipients: [{ email: 'not-an-address' }] },
      { type: 'view', scope: 'users', recipients: [{ objectId: 'not-a-guid' }] },
      { type: 'view', scope: 'users', recipients: [{ phone: '+1' }] },
      { type: 'view', scope: 'users', recipients: Array.from({ length: 101 }, (_, index) => ({ email: `u${index}@example.com` })) },
    ];
    for (const body of cases) expectGraphError(await createLink(id, body), 400, 'invalidRequest');
    const notify = expectGraphError(await createLink(id, { type: 'view', scope: 'users', recipients: [{ email: 'a@example.com' }], sendNotification: true }), 400, 'notSupported');
    expect(notify.message).toMatch(/sendNotification/);
    expect((await createLink(id, { type: 'view', scope: 'users', recipients: Array.from({ length: 100 }, (_, index) => ({ email: `u${index}@example.com` })), sendNotification: false })).status).toBe(201);
  });
});

describe('Graph beta link types', () => {
  it('blocksDownload is a read link that prevents download; createOnly a write link on folders only', async () => {
    const file = await newItem(alice, 'file');
    const folder = await newItem(alice, 'folder');
    const blocks = await createLink(file, { type: 'blocksDownload', scope: 'organization' });
    expect(blocks.status).toBe(201);
    expect(blocks.body.roles).toEqual(['read']);
    expect(blocks.body.link.preventsDownload).toBe(true);
    const upload = await createLink(folder, { type: 'createOnly', scope: 'organization' });
    expect(upload.status).toBe(201);
    expect(upload.body.roles).toEqual(['write']);
    expect(upload.body.link.preventsDownload).toBe(false);
    expectGraphError(await createLink(file, { type: 'createOnly', scope: 'organization' }), 400, 'invalidRequest');
  });
});
