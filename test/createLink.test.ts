import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';
import { OTHER_APP, PERSONAL_TENANT, TENANT_A, guid, oidOf } from './helpers/idp.js';

let app: TestApp;
let alice: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
});
afterAll(() => app.close());

async function newFile(token: string, drive = '/v1.0/me/drive', name = `f-${Math.random().toString(36).slice(2)}.txt`) {
  const answer = await app.call('POST', `${drive}/items/root/children`, { token, body: { name, file: {} } });
  expect(answer.status).toBe(201);
  return answer.body.id as string;
}

describe('createLink', () => {
  it('creates a link (201), then returns the same one (200)', async () => {
    const id = await newFile(alice);
    const first = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: alice, body: { type: 'view', scope: 'organization' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      '@odata.context': `${app.origin}/v1.0/$metadata#permission`,
      roles: ['read'],
      hasPassword: false,
      link: { type: 'view', scope: 'organization', preventsDownload: false, application: { id: expect.any(String), displayName: 'Contoso Client' } },
    });
    expect(first.body.link.webUrl).toMatch(new RegExp(`^${app.origin}/s/[A-Za-z0-9_-]{64}$`));
    expect(first.body.shareId).toBe(`s!${first.body.link.webUrl.split('/s/')[1]}`);
    expect(first.body.expirationDateTime).toBeUndefined();
    expect(first.body.link.webHtml).toBeUndefined();
    const second = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: alice, body: { type: 'view', scope: 'organization' } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('gives edit links the write role and a distinct link per type and per scope', async () => {
    const id = await newFile(alice);
    const path = `/v1.0/me/drive/items/${id}/createLink`;
    const view = await app.call('POST', path, { token: alice, body: { type: 'view', scope: 'organization' } });
    const edit = await app.call('POST', path, { token: alice, body: { type: 'edit', scope: 'organization' } });
    const anonymous = await app.call('POST', path, { token: alice, body: { type: 'view', scope: 'anonymous' } });
    expect([view.status, edit.status, anonymous.status]).toEqual([201, 201, 201]);
    expect(edit.body.roles).toEqual(['write']);
    expect(new Set([view.body.id, edit.body.id, anonymous.body.id]).size).toBe(3);
    expect(new Set([view.body.link.webUrl, edit.body.link.webUrl, anonymous.body.link.webUrl]).size).toBe(3);
  });

  it('keeps links of different calling applications apart', async () => {
    const id = await newFile(alice);
    const other = await app.idp.user('alice', { appId: OTHER_APP, appName: 'Other App' });
    const path = `/v1.0/me/drive/items/${id}/createLink`;
    const mine = await app.call('POST', path, { token: alice, body: { type: 'edit', scope: 'organization' } });
    const theirs = await app.call('POST', path, { token: other, body: { type: 'edit', scope: 'organization' } });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.link.application).toEqual({ id: OTHER_APP, displayName: 'Other App' });
    const again = await app.call('POST', path, { token: other, body: { type: 'edit', scope: 'organization' } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(theirs.body.id);
  });

  it('reaches the same link through /drives/{id}, /me/drive and /users/{id}/drive', async () => {
    const id = await newFile(alice);
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    const body = { type: 'view', scope: 'organization' };
    const viaMe = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: alice, body });
    const viaDrive = await app.call('POST', `/v1.0/drives/${drive.body.id}/items/${id}/createLink`, { token: alice, body });
    const viaUser = await app.call('POST', `/v1.0/users/${oidOf('alice')}/drive/items/${id}/createLink`, { token: alice, body });
    const viaUpn = await app.call('POST', `/v1.0/users/alice@contoso.example/drive/items/${id}/createLink`, { token: alice, body });
    expect(viaMe.status).toBe(201);
    for (const answer of [viaDrive, viaUser, viaUpn]) {
      expect(answer.status).toBe(200);
      expect(answer.body.id).toBe(viaMe.body.id);
    }
  });

  it('works on group and site drives, with app-only tokens too', async () => {
    const sites = await app.idp.user('carol', { scopes: 'Sites.ReadWrite.All' });
    const daemon = await app.idp.app('daemon');
    for (const drive of ['/v1.0/groups/' + guid('engineering') + '/drive', '/v1.0/sites/contoso.example,abc,def/drive']) {
      const id = await newFile(sites, drive);
      const created = await app.call('POST', `${drive}/items/${id}/createLink`, { token: sites, body: { type: 'edit', scope: 'organization' } });
      expect(created.status).toBe(201);
      const byDaemon = await app.call('POST', `${drive}/items/${id}/createLink`, { token: daemon, body: { type: 'edit', scope: 'organization' } });
      expect(byDaemon.status).toBe(200);
      expect(byDaemon.body.id).toBe(created.body.id);
    }
  });

  it('accepts an empty body, nulls and OData annotations, using the defaults', async () => {
    const id = await newFile(alice);
    const path = `/v1.0/me/drive/items/${id}/createLink`;
    const empty = await app.call('POST', path, { token: alice });
    expect(empty.status).toBe(201);
    expect(empty.body.link).toMatchObject({ type: 'view', scope: 'organization' });
    const annotated = await app.call('POST', path, {
      token: alice,
      body: { '@odata.type': '#microsoft.graph.createLink', type: 'view', scope: null, password: null, expirationDateTime: null, recipients: null },
    });
    expect(annotated.status).toBe(200);
    expect(annotated.body.id).toBe(empty.body.id);
  });

  it('refuses unknown properties and bad values, naming them', async () => {
    const id = await newFile(alice);
    const path = `/v1.0/me/drive/items/${id}/createLink`;
    const unknown = expectGraphError(await app.call('POST', path, { token: alice, body: { type: 'view', colour: 'red' } }), 400, 'invalidRequest');
    expect(unknown.message).toContain("'colour'");
    const badType = expectGraphError(await app.call('POST', path, { token: alice, body: { type: 'review' } }), 400, 'invalidRequest');
    expect(badType.message).toContain("'type'");
    expectGraphError(await app.call('POST', path, { token: alice, body: { scope: 42 } }), 400, 'invalidRequest');
    expectGraphError(await app.call('POST', path, { token: alice, body: [] }), 400, 'invalidRequest');
    expectGraphError(await app.call('POST', path, { token: alice, body: '"view"', headers: { 'content-type': 'application/json' } }), 400, 'invalidRequest');
  });

  it('answers 404 for an item that does not exist and creates nothing', async () => {
    const missing = '01AAAAAAAAAAAAAAAAAAAAAAAAAA';
    expectGraphError(await app.call('POST', `/v1.0/me/drive/items/${missing}/createLink`, { token: alice, body: { type: 'view' } }), 404, 'itemNotFound');
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    const rows = await app.services.tables.drives.query(`PartitionKey eq '${drive.body.id}' and RowKey ge 'k:' and RowKey lt 'k;'`);
    expect(rows.every((row) => row.itemId !== missing)).toBe(true);
  });

  it('creates exactly one link for 40 concurrent identical requests', async () => {
    const id = await newFile(alice);
    const path = `/v1.0/me/drive/items/${id}/createLink`;
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => app.call('POST', path, { token: alice, body: { type: 'edit', scope: 'organization' } })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(39);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    const stored = await app.services.tables.drives.query(`PartitionKey eq '${drive.body.id}' and RowKey ge 'p:' and RowKey lt 'p;'`);
    expect(stored.filter((row) => row.itemId === id)).toHaveLength(1);
  });

  it('uses the calling application from v1 tokens (appid) and omits a missing display name', async () => {
    const id = await newFile(alice);
    const v1 = await app.idp.sign(
      { tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', appid: OTHER_APP, ver: '1.0' },
      { issuer: `https://sts.windows.net/${TENANT_A}/` },
    );
    const answer = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: v1, body: { type: 'view', scope: 'organization' } });
    expect(answer.status).toBe(201);
    expect(answer.body.link.application).toEqual({ id: OTHER_APP });
  });
});

describe('createLink by drive type', () => {
  it('embed on a personal drive returns webHtml with an iframe of the embed page', async () => {
    const bob = await app.idp.user('bob', { tenant: PERSONAL_TENANT });
    const id = await newFile(bob);
    const answer = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: bob, body: { type: 'embed' } });
    expect(answer.status).toBe(201);
    expect(answer.body.roles).toEqual(['read']);
    expect(answer.body.link.scope).toBe('anonymous');
    const token = answer.body.link.webUrl.split('/s/')[1];
    expect(answer.body.link.webHtml).toBe(`<iframe src="${app.origin}/embed/${token}" width="98" height="120" frameborder="0" scrolling="no"></iframe>`);
    const drive = await app.call('GET', '/v1.0/me/drive', { token: bob });
    expect(drive.body.driveType).toBe('personal');
  });

  it('embed on a business drive is 400 with Graph message', async () => {
    const id = await newFile(alice);
    const error = expectGraphError(await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: alice, body: { type: 'embed' } }), 400, 'invalidRequest');
    expect(error.message).toBe("Link type must be either 'edit' or 'view'.");
  });

  it('organization and users scopes, and links on the root, are refused on personal drives', async () => {
    const bob = await app.idp.user('bob', { tenant: PERSONAL_TENANT });
    const id = await newFile(bob);
    for (const body of [{ type: 'view', scope: 'organization' }, { type: 'view', scope: 'users', recipients: [{ email: 'x@example.com' }] }, { type: 'blocksDownload' }]) {
      expectGraphError(await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: bob, body }), 400, 'invalidRequest');
    }
    expectGraphError(await app.call('POST', '/v1.0/me/drive/items/root/createLink', { token: bob, body: { type: 'view' } }), 400, 'invalidRequest');
    expectGraphError(await app.call('POST', '/v1.0/me/drive/root/createLink', { token: bob, body: { type: 'view' } }), 400, 'invalidRequest');
    expect((await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token: bob, body: { type: 'view' } })).status).toBe(201);
  });

  it('a business drive root can be shared, addressed as items/root or as root', async () => {
    const viaItems = await app.call('POST', '/v1.0/me/drive/items/root/createLink', { token: alice, body: { type: 'view', scope: 'organization' } });
    expect(viaItems.status).toBe(201);
    const viaRoot = await app.call('POST', '/v1.0/me/drive/root/createLink', { token: alice, body: { type: 'view', scope: 'organization' } });
    expect(viaRoot.status).toBe(200);
    expect(viaRoot.body.id).toBe(viaItems.body.id);
    const rootPermissions = await app.call('GET', '/v1.0/me/drive/root/permissions', { token: alice });
    expect(rootPermissions.body.value.map((entry: { id: string }) => entry.id)).toContain(viaItems.body.id);
    const one = await app.call('GET', `/v1.0/me/drive/root/permissions/${viaItems.body.id}`, { token: alice });
    expect(one.body.link.scope).toBe('organization');
  });
});
