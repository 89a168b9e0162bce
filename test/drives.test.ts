import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';
import { PERSONAL_TENANT, guid, oidOf } from './helpers/idp.js';

let app: TestApp;
let alice: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
});
afterAll(() => app.close());

describe('drives', () => {
  it('each user, group and site has one default drive of the right type, created on first use', async () => {
    const me = await app.call('GET', '/v1.0/me/drive', { token: alice });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ driveType: 'business', owner: { user: { id: oidOf('alice'), displayName: 'alice' } } });
    expect(me.body.id).toMatch(/^b![A-Za-z0-9_-]{22}$/);
    const again = await app.call('GET', `/v1.0/drives/${me.body.id}`, { token: alice });
    expect(again.body.id).toBe(me.body.id);
    expect(again.body.createdDateTime).toBe(me.body.createdDateTime);

    const sites = await app.idp.user('carol', { scopes: 'Sites.ReadWrite.All' });
    const group = await app.call('GET', `/v1.0/groups/${guid('eng')}/drive`, { token: sites });
    expect(group.body).toMatchObject({ driveType: 'business', owner: { group: { id: guid('eng') } } });
    const site = await app.call('GET', '/v1.0/sites/contoso.example,1,2/drive', { token: sites });
    expect(site.body.driveType).toBe('documentLibrary');
    expect(new Set([me.body.id, group.body.id, site.body.id]).size).toBe(3);

    const personal = await app.idp.user('bob', { tenant: PERSONAL_TENANT });
    expect((await app.call('GET', '/v1.0/me/drive', { token: personal })).body.driveType).toBe('personal');
  });

  it('concurrent first uses of a drive agree on one drive and one root', async () => {
    const newcomer = await app.idp.user('newcomer');
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.call('GET', '/v1.0/me/drive/root', { token: newcomer })));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
  });

  it('unknown or malformed drive ids are 404', async () => {
    expectGraphError(await app.call('GET', '/v1.0/drives/b!AAAAAAAAAAAAAAAAAAAAAA', { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', '/v1.0/drives/whatever', { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', '/v1.0/users/not-a-user/drive', { token: alice }), 404, 'itemNotFound');
  });
});

describe('items', () => {
  it('root, children and items carry Graph driveItem shapes', async () => {
    const root = await app.call('GET', '/v1.0/me/drive/root', { token: alice });
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({ name: 'root', folder: {}, root: {}, parentReference: { driveType: 'business' } });
    const driveId = root.body.parentReference.driveId;
    const folder = await app.call('POST', `/v1.0/me/drive/items/${root.body.id}/children`, { token: alice, body: { name: 'Projects', folder: {} } });
    expect(folder.status).toBe(201);
    expect(folder.body).toMatchObject({
      name: 'Projects',
      folder: {},
      parentReference: { driveId, driveType: 'business', id: root.body.id, path: `/drives/${driveId}/root:` },
    });
    expect(folder.body.id).toMatch(/^01[A-Z2-7]{26}$/);
    const file = await app.call('POST', `/v1.0/drives/${driveId}/items/${folder.body.id}/children`, {
      token: alice,
      body: { name: 'Plan ü #1.docx', file: {}, '@microsoft.graph.conflictBehavior': 'fail' },
    });
    expect(file.status).toBe(201);
    expect(file.body).toMatchObject({ name: 'Plan ü #1.docx', file: {}, parentReference: { id: folder.body.id, path: `/drives/${driveId}/root:/Projects` } });
    const read = await app.call('GET', `/v1.0/me/drive/items/${file.body.id}`, { token: alice });
    expect(read.body).toEqual(file.body);
    const rootById = await app.call('GET', `/v1.0/me/drive/items/root`, { token: alice });
    expect(rootById.body.id).toBe(root.body.id);
    const viaRoot = await app.call('POST', '/v1.0/me/drive/root/children', { token: alice, body: { name: 'From root', folder: {} } });
    expect(viaRoot.status).toBe(201);
    expect(viaRoot.body.parentReference.id).toBe(root.body.id);
  });

  it('409 nameAlreadyExists for a duplicate name in the same folder (case-insensitive), fine elsewhere', async () => {
    const first = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'Report.txt', file: {} } });
    expect(first.status).toBe(201);
    expectGraphError(await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'report.TXT', file: {} } }), 409, 'nameAlreadyExists');
    const folder = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'Other', folder: {} } });
    expect((await app.call('POST', `/v1.0/me/drive/items/${folder.body.id}/children`, { token: alice, body: { name: 'Report.txt', file: {} } })).status).toBe(201);
  });

  it('concurrent creation of the same name creates one item', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'race', folder: {} } })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(9);
  });

  it('refuses bad names with 400', async () => {
    for (const name of ['', 'a/b', 'a\\b', 'what?', 'a:b', 'star*', '<x>', 'pipe|', 'quote"', ' lead', 'trail ', 'dot.', '..', 'CON', 'desktop.ini', '~$lock', 'x_vti_y', 'tab\tname', 'x'.repeat(256)]) {
      expectGraphError(await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name, folder: {} } }), 400, 'invalidRequest');
    }
  });

  it('refuses bodies without exactly one facet, unknown properties, and children of files', async () => {
    const post = (body: unknown, parent = 'root') => app.call('POST', `/v1.0/me/drive/items/${parent}/children`, { token: alice, body });
    expectGraphError(await post({ name: 'x' }), 400, 'invalidRequest');
    expectGraphError(await post({ name: 'x', folder: {}, file: {} }), 400, 'invalidRequest');
    expectGraphError(await post({ name: 'x', folder: {}, size: 3 }), 400, 'invalidRequest');
    expectGraphError(await post({ folder: {} }), 400, 'invalidRequest');
    expectGraphError(await post({ name: 'x', folder: {}, '@microsoft.graph.conflictBehavior': 'rename' }), 400, 'invalidRequest');
    const file = await post({ name: 'leaf.txt', file: {} });
    expectGraphError(await post({ name: 'x', file: {} }, file.body.id), 400, 'invalidRequest');
  });

  it('a read scope can read but not create children', async () => {
    const reader = await app.idp.user('alice', { scopes: 'Files.Read' });
    expect((await app.call('GET', '/v1.0/me/drive/root', { token: reader })).status).toBe(200);
    expectGraphError(await app.call('POST', '/v1.0/me/drive/items/root/children', { token: reader, body: { name: 'y', folder: {} } }), 403, 'accessDenied');
  });
});
