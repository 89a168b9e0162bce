import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';
import { TENANT_B, oidOf } from './helpers/idp.js';

let app: TestApp;
let alice: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
});
afterAll(() => app.close());

const encodeSharingUrl = (url: string) => `u!${Buffer.from(url, 'utf8').toString('base64').replace(/=+$/, '').replace(/\//g, '_').replace(/\+/g, '-')}`;

async function child(parent: string, name: string, kind: 'file' | 'folder' = 'folder', token = alice) {
  const answer = await app.call('POST', `/v1.0/me/drive/items/${parent}/children`, { token, body: { name, [kind]: {} } });
  expect(answer.status).toBe(201);
  return answer.body as { id: string; parentReference: { driveId: string; path: string } };
}

const link = async (id: string, body: unknown, token = alice) => {
  const answer = await app.call('POST', `/v1.0/me/drive/items/${id}/createLink`, { token, body });
  expect([200, 201]).toContain(answer.status);
  return answer.body as { id: string; shareId: string; link: { webUrl: string } };
};

const permissions = (id: string, token = alice) => app.call('GET', `/v1.0/me/drive/items/${id}/permissions`, { token });

describe('listing permissions', () => {
  it('lists own links and links inherited from ancestors with inheritedFrom', async () => {
    const topName = `Top-${Date.now()}`;
    const top = await child('root', topName);
    const middle = await child(top.id, 'Middle');
    const leaf = await child(middle.id, 'leaf.txt', 'file');
    const onTop = await link(top.id, { type: 'view', scope: 'organization' });
    const onLeaf = await link(leaf.id, { type: 'edit', scope: 'organization' });
    const listed = await permissions(leaf.id);
    expect(listed.status).toBe(200);
    expect(listed.body['@odata.context']).toContain(`/items('${leaf.id}')/permissions`);
    const byId = new Map(listed.body.value.map((entry: { id: string }) => [entry.id, entry]));
    expect(byId.size).toBe(2);
    expect(byId.get(onLeaf.id)).not.toHaveProperty('inheritedFrom');
    expect(byId.get(onTop.id)).toMatchObject({
      roles: ['read'],
      link: { type: 'view', scope: 'organization' },
      inheritedFrom: { driveId: top.parentReference.driveId, id: top.id, path: `/drives/${top.parentReference.driveId}/root:/${topName}` },
    });
    // The middle folder sees the top's link as inherited and not the leaf's.
    const middleList = await permissions(middle.id);
    expect(middleList.body.value.map((entry: { id: string }) => entry.id)).toEqual([onTop.id]);
  });

  it('retainInheritedPermissions: false stops inheritance at that item', async () => {
    const top = await child('root', `Cut-${Date.now()}`);
    const middle = await child(top.id, 'Middle');
    const leaf = await child(middle.id, 'leaf.txt', 'file');
    const onTop = await link(top.id, { type: 'view', scope: 'organization' });
    const onMiddle = await link(middle.id, { type: 'edit', scope: 'organization', retainInheritedPermissions: false });
    expect((await permissions(middle.id)).body.value.map((entry: { id: string }) => entry.id)).toEqual([onMiddle.id]);
    const leafIds = (await permissions(leaf.id)).body.value.map((entry: { id: string }) => entry.id);
    expect(leafIds).toEqual([onMiddle.id]);
    expect(leafIds).not.toContain(onTop.id);
  });

  it('shows shareId and webUrl only to callers who could create the link', async () => {
    const file = await child('root', `vis-${Date.now()}.txt`, 'file');
    await link(file.id, { type: 'view', scope: 'organization' });
    const writer = await permissions(file.id);
    expect(writer.body.value[0].shareId).toMatch(/^s!/);
    expect(writer.body.value[0].link.webUrl).toBeDefined();
    const reader = await app.idp.user('alice', { scopes: 'Files.Read' });
    const readOnly = await permissions(file.id, reader);
    expect(readOnly.status).toBe(200);
    expect(readOnly.body.value[0].id).toBe(writer.body.value[0].id);
    expect(readOnly.body.value[0]).not.toHaveProperty('shareId');
    expect(readOnly.body.value[0].link).not.toHaveProperty('webUrl');
  });

  it('costs two storage round trips at depth 10, however deep', async () => {
    let parent = 'root';
    const chain: string[] = [];
    for (let depth = 0; depth < 10; depth += 1) {
      parent = (await child(parent, `d${depth}-${Date.now()}`)).id;
      chain.push(parent);
    }
    for (const id of chain.slice(0, 5)) await link(id, { type: 'view', scope: 'organization' });
    await permissions(parent); // warm-up: drive and settings caches
    app.logs.length = 0;
    const listed = await permissions(parent);
    expect(listed.body.value).toHaveLength(5);
    const line = app.logs.find((entry) => entry.includes('/permissions'))!;
    expect(JSON.parse(line.slice(line.indexOf('{'))).storageCalls).toBeLessThanOrEqual(2);
  });

  it('404 for an unknown item, 403 without a files scope', async () => {
    expectGraphError(await permissions('01AAAAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'itemNotFound');
    expectGraphError(await permissions('root', await app.idp.user('alice', { scopes: 'User.Read' })), 403, 'accessDenied');
  });
});

describe('one permission: get, update, delete', () => {
  it('GET returns it with an ETag; DELETE removes it (204); inherited ones cannot be deleted through a descendant', async () => {
    const folder = await child('root', `del-${Date.now()}`);
    const file = await child(folder.id, 'a.txt', 'file');
    const inherited = await link(folder.id, { type: 'view', scope: 'organization' });
    const got = await app.call('GET', `/v1.0/me/drive/items/${file.id}/permissions/${inherited.id}`, { token: alice });
    expect(got.status).toBe(200);
    expect(got.body.inheritedFrom.id).toBe(folder.id);
    expectGraphError(await app.call('DELETE', `/v1.0/me/drive/items/${file.id}/permissions/${inherited.id}`, { token: alice }), 403, 'accessDenied');
    expect((await permissions(folder.id)).body.value.map((entry: { id: string }) => entry.id)).toContain(inherited.id);
    expect((await app.call('GET', `/v1.0/shares/${inherited.shareId}`, { token: alice })).status).toBe(200);

    const own = await app.call('GET', `/v1.0/me/drive/items/${folder.id}/permissions/${inherited.id}`, { token: alice });
    expect(own.headers.get('etag')).toBeTruthy();
    expectGraphError(await app.call('DELETE', `/v1.0/me/drive/items/${folder.id}/permissions/${inherited.id}`, { token: alice, headers: { 'if-match': 'W/"stale"' } }), 412, 'preconditionFailed');
    const deleted = await app.call('DELETE', `/v1.0/me/drive/items/${folder.id}/permissions/${inherited.id}`, { token: alice, headers: { 'if-match': own.headers.get('etag')! } });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectGraphError(await app.call('GET', `/v1.0/shares/${inherited.shareId}`, { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/me/drive/items/${folder.id}/permissions/${inherited.id}`, { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('DELETE', `/v1.0/me/drive/items/${folder.id}/permissions/${inherited.id}`, { token: alice }), 404, 'itemNotFound');
    // The identity is free again: the same request creates a fresh link.
    const fresh = await app.call('POST', `/v1.0/me/drive/items/${folder.id}/createLink`, { token: alice, body: { type: 'view', scope: 'organization' } });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(inherited.id);
  });

  it('PATCH sets and removes the expiry of anonymous links within policy, and the password', async () => {
    const file = await child('root', `patch-${Date.now()}.txt`, 'file');
    const anonymous = await link(file.id, { type: 'view', scope: 'anonymous' });
    const path = `/v1.0/me/drive/items/${file.id}/permissions/${anonymous.id}`;
    const soon = new Date(Date.now() + 2 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const withExpiry = await app.call('PATCH', path, { token: alice, body: { expirationDateTime: soon } });
    expect(withExpiry.status).toBe(200);
    expect(withExpiry.body.expirationDateTime).toBe(soon);
    // createLink asking for that expiry now finds the patched link.
    const same = await app.call('POST', `/v1.0/me/drive/items/${file.id}/createLink`, { token: alice, body: { type: 'view', scope: 'anonymous', expirationDateTime: soon } });
    expect(same.status).toBe(200);
    expect(same.body.id).toBe(anonymous.id);
    const cleared = await app.call('PATCH', path, { token: alice, body: { expirationDateTime: null } });
    expect(cleared.body).not.toHaveProperty('expirationDateTime');
    expectGraphError(await app.call('PATCH', path, { token: alice, body: { expirationDateTime: '2001-01-01T00:00:00Z' } }), 400, 'invalidRequest');
    expectGraphError(await app.call('PATCH', path, { token: alice, body: { roles: ['write'] } }), 400, 'invalidRequest');
    const stale = await app.call('PATCH', path, { token: alice, body: { password: 'x' }, headers: { 'if-match': 'W/"old"' } });
    expectGraphError(stale, 412, 'preconditionFailed');

    const protectedLink = await app.call('PATCH', path, { token: alice, body: { password: 'open sesame' } });
    expect(protectedLink.body.hasPassword).toBe(true);
    expectGraphError(await app.call('GET', `/v1.0/shares/${anonymous.shareId}`), 404, 'itemNotFound');
    expect((await app.call('GET', `/v1.0/shares/${anonymous.shareId}`, { headers: { 'x-sharing-password': 'open sesame' } })).status).toBe(200);
    const open = await app.call('PATCH', path, { token: alice, body: { password: null } });
    expect(open.body.hasPassword).toBe(false);
    expect((await app.call('GET', `/v1.0/shares/${anonymous.shareId}`)).status).toBe(200);

    const organization = await link(file.id, { type: 'view', scope: 'organization' });
    expectGraphError(
      await app.call('PATCH', `/v1.0/me/drive/items/${file.id}/permissions/${organization.id}`, { token: alice, body: { expirationDateTime: soon } }),
      400,
      'invalidRequest',
    );
  });
});

describe('shares', () => {
  it('resolves anonymous links without a token, by shareId and by encoded webUrl', async () => {
    const file = await child('root', `share-${Date.now()}.txt`, 'file');
    const anonymous = await link(file.id, { type: 'edit', scope: 'anonymous' });
    const byId = await app.call('GET', `/v1.0/shares/${anonymous.shareId}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id: anonymous.shareId, name: expect.stringMatching(/^share-\d+\.txt$/), owner: { user: { id: oidOf('alice'), displayName: 'alice' } } });
    const byUrl = await app.call('GET', `/v1.0/shares/${encodeSharingUrl(anonymous.link.webUrl)}`);
    expect(byUrl.status).toBe(200);
    expect(byUrl.body.name).toBe(byId.body.name);
    const item = await app.call('GET', `/v1.0/shares/${anonymous.shareId}/driveItem`);
    expect(item.body).toMatchObject({ id: file.id, file: {} });
    const permission = await app.call('GET', `/v1.0/shares/${encodeSharingUrl(anonymous.link.webUrl)}/permission`);
    expect(permission.body).toMatchObject({ id: anonymous.id, roles: ['write'], link: { type: 'edit', scope: 'anonymous' } });
    for (const bogus of ['s!garbage', 'u!!!!', encodeSharingUrl('https://example.com/not-a-link'), `s!${'A'.repeat(64)}`]) {
      expectGraphError(await app.call('GET', `/v1.0/shares/${bogus}`), 404, 'itemNotFound');
    }
  });

  it('organization links need a token (401) of the same tenant (else 404)', async () => {
    const file = await child('root', `org-${Date.now()}.txt`, 'file');
    const organization = await link(file.id, { type: 'view', scope: 'organization' });
    const anonymousCall = await app.call('GET', `/v1.0/shares/${organization.shareId}`);
    expectGraphError(anonymousCall, 401, 'unauthenticated');
    expect(anonymousCall.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const colleague = await app.idp.user('bob');
    expect((await app.call('GET', `/v1.0/shares/${organization.shareId}/driveItem`, { token: colleague })).status).toBe(200);
    const stranger = await app.idp.user('eve', { tenant: TENANT_B });
    expectGraphError(await app.call('GET', `/v1.0/shares/${organization.shareId}`, { token: stranger }), 404, 'itemNotFound');
  });

  it('users links resolve for recipients only', async () => {
    const file = await child('root', `users-${Date.now()}.txt`, 'file');
    const guest = await app.idp.user('guest', { tenant: TENANT_B, email: 'Guest@Partner.example' });
    const byOid = await app.idp.user('carol');
    const specific = await link(file.id, { type: 'view', scope: 'users', recipients: [{ email: 'guest@partner.example' }, { objectId: oidOf('carol') }] });
    expect((await app.call('GET', `/v1.0/shares/${specific.shareId}`, { token: guest })).status).toBe(200);
    expect((await app.call('GET', `/v1.0/shares/${specific.shareId}`, { token: byOid })).status).toBe(200);
    expectGraphError(await app.call('GET', `/v1.0/shares/${specific.shareId}`, { token: await app.idp.user('dave') }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/shares/${specific.shareId}`), 401, 'unauthenticated');
  });

  it('password links need X-Sharing-Password', async () => {
    const file = await child('root', `pw-${Date.now()}.txt`, 'file');
    const secret = await link(file.id, { type: 'view', scope: 'anonymous', password: 'hunter2' });
    expectGraphError(await app.call('GET', `/v1.0/shares/${secret.shareId}`), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/shares/${secret.shareId}`, { headers: { 'x-sharing-password': 'wrong' } }), 404, 'itemNotFound');
    expect((await app.call('GET', `/v1.0/shares/${secret.shareId}`, { headers: { 'x-sharing-password': 'hunter2' } })).status).toBe(200);
  });

  it('an expiring link stops resolving at its expiry instant', async () => {
    const file = await child('root', `exp-${Date.now()}.txt`, 'file');
    const expiresAt = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    const shortLived = await link(file.id, { type: 'view', scope: 'anonymous', expirationDateTime: expiresAt.toISOString() });
    expect((await app.call('GET', `/v1.0/shares/${shortLived.shareId}`)).status).toBe(200);
    await new Promise((done) => setTimeout(done, expiresAt.getTime() - Date.now() + 50));
    expectGraphError(await app.call('GET', `/v1.0/shares/${shortLived.shareId}`), 404, 'itemNotFound');
    expect((await permissions(file.id)).body.value).toHaveLength(0);
    // Asking for a link again after expiry gets a new one.
    const again = await app.call('POST', `/v1.0/me/drive/items/${file.id}/createLink`, { token: alice, body: { type: 'view', scope: 'anonymous' } });
    expect(again.status).toBe(201);
  });
});

describe('deleting items', () => {
  it('removes the item, its descendants and their links; their share URLs answer 404', async () => {
    const folderName = `gone-${Date.now()}`;
    const folder = await child('root', folderName);
    const sub = await child(folder.id, 'sub');
    const file = await child(sub.id, 'deep.txt', 'file');
    const links = [await link(folder.id, { type: 'view', scope: 'anonymous' }), await link(file.id, { type: 'edit', scope: 'anonymous' })];
    const survivor = await child('root', `stays-${Date.now()}.txt`, 'file');
    const kept = await link(survivor.id, { type: 'view', scope: 'anonymous' });
    const deleted = await app.call('DELETE', `/v1.0/me/drive/items/${folder.id}`, { token: alice });
    expect(deleted.status).toBe(204);
    for (const id of [folder.id, sub.id, file.id]) expectGraphError(await app.call('GET', `/v1.0/me/drive/items/${id}`, { token: alice }), 404, 'itemNotFound');
    for (const gone of links) expectGraphError(await app.call('GET', `/v1.0/shares/${gone.shareId}`), 404, 'itemNotFound');
    expect((await app.call('GET', `/v1.0/shares/${kept.shareId}`)).status).toBe(200);
    const drive = folder.parentReference.driveId;
    const leftovers = await app.services.tables.drives.query(`PartitionKey eq '${drive}'`);
    const doomed = new Set([folder.id, sub.id, file.id]);
    expect(leftovers.filter((row) => doomed.has(String(row.itemId)) || doomed.has(String(row.rowKey).slice(2)))).toHaveLength(0);
    // The name is free again.
    expect((await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: folderName, folder: {} } })).status).toBe(201);
    expectGraphError(await app.call('DELETE', `/v1.0/me/drive/items/${folder.id}`, { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('DELETE', '/v1.0/me/drive/items/root', { token: alice }), 400, 'invalidRequest');
  });
});
