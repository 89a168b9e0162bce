import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../lib/composition.js';
import { STORAGE_RETRIES } from '../lib/storage/tables.js';
import { startTestApp, uniquePrefix, type Answer, type TestApp } from './helpers/app.js';
import { connectionString, freePort } from './helpers/azurite.js';

/**
 * Storage round trips per request, counted by the pipeline policy on the Table clients (every HTTP attempt, retries
 * included) and written as `storageCalls` in each request's log line. Unlike timings these are deterministic, so
 * they are asserted exactly: the service's job is one storage decision per request.
 */

let app: TestApp;
let alice: string;
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix();
  app = await startTestApp({ prefix });
  alice = await app.idp.user('alice');
});
afterAll(() => app.close());

/** The `storageCalls` of the request that produced this answer, from its log line (matched by request-id). */
function storageCalls(answer: Answer, logs: string[] = app.logs): number {
  const id = answer.headers.get('request-id');
  const line = logs.find((entry) => entry.includes(`"requestId":"${id}"`));
  if (!line) throw new Error(`no log line for request ${id}`);
  return (JSON.parse(line.slice(line.indexOf('{'))) as { storageCalls: number }).storageCalls;
}

async function newFile(target: TestApp = app, name = `f-${randomBytes(4).toString('hex')}.txt`, parent = 'root', folder = false) {
  const answer = await target.call('POST', `/v1.0/me/drive/items/${parent}/children`, { token: alice, body: { name, ...(folder ? { folder: {} } : { file: {} }) } });
  expect(answer.status).toBe(201);
  return answer.body.id as string;
}

const createLink = (item: string, body: object, target: TestApp = app) =>
  target.call('POST', `/v1.0/me/drive/items/${item}/createLink`, { token: alice, body });

describe('storage round trips per request', () => {
  it('createLink returning an existing link: exactly 1 (one point read) after warm-up', async () => {
    const item = await newFile();
    const body = { type: 'view', scope: 'organization' };
    expect((await createLink(item, body)).status).toBe(201);
    for (let i = 0; i < 5; i += 1) {
      const again = await createLink(item, body);
      expect(again.status).toBe(200);
      expect(storageCalls(again)).toBe(1);
    }
    // A password link too: the verifier is computed in memory, the lookup is still one read.
    const withPassword = { type: 'edit', scope: 'organization', password: 'correct horse' };
    expect((await createLink(item, withPassword)).status).toBe(201);
    const again = await createLink(item, withPassword);
    expect(again.status).toBe(200);
    expect(storageCalls(again)).toBe(1);
  });

  it('createLink creating a new link: exactly 2 (identity read, then one transaction) after warm-up', async () => {
    const item = await newFile();
    const bodies = [
      { type: 'view', scope: 'organization' },
      { type: 'edit', scope: 'organization' },
      { type: 'view', scope: 'anonymous', expirationDateTime: '2099-01-01T00:00:00Z' },
      { type: 'view', scope: 'users', recipients: [{ email: 'bob@contoso.example' }] },
    ];
    for (const body of bodies) {
      const created = await createLink(item, body);
      expect(created.status).toBe(201);
      expect(storageCalls(created)).toBe(2);
    }
  });

  it('warm-up is bounded and happens once per process: tables, drive and tenant settings are read once, then cached', async () => {
    const item = await newFile();
    expect((await createLink(item, { type: 'view', scope: 'organization' })).status).toBe(201);
    // A second instance on the same tables, as another Functions worker would be.
    const other = await startTestApp({ prefix, idp: app.idp });
    try {
      const first = await createLink(item, { type: 'view', scope: 'organization' }, other);
      expect(first.status).toBe(200);
      // create-if-absent of the two tables, the drive row, the tenant's settings, the link's identity row.
      expect(storageCalls(first, other.logs)).toBeLessThanOrEqual(5);
      expect(storageCalls(first, other.logs)).toBeGreaterThan(1);
      for (let i = 0; i < 10; i += 1) {
        const again = await createLink(item, { type: 'view', scope: 'organization' }, other);
        expect(storageCalls(again, other.logs)).toBe(1);
      }
      // A new link on an item this instance has never seen costs the same: the transaction itself checks the item exists.
      const unseen = await newFile();
      const created = await createLink(unseen, { type: 'view', scope: 'organization' }, other);
      expect(created.status).toBe(201);
      expect(storageCalls(created, other.logs)).toBe(2);
      const next = await createLink(unseen, { type: 'edit', scope: 'organization' }, other);
      expect(next.status).toBe(201);
      expect(storageCalls(next, other.logs)).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('reads: the drive costs nothing once cached, an item one read, the permission listing at depth 5 one query', async () => {
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    expect(drive.status).toBe(200);
    expect(storageCalls(drive)).toBe(0);

    let parent = 'root';
    for (let depth = 1; depth <= 5; depth += 1) {
      parent = await newFile(app, `d${depth}-${randomBytes(3).toString('hex')}`, parent, true);
      expect((await createLink(parent, { type: 'view', scope: 'organization' })).status).toBe(201);
    }
    const item = await app.call('GET', `/v1.0/me/drive/items/${parent}`, { token: alice });
    expect(item.status).toBe(200);
    expect(storageCalls(item)).toBe(1);

    const listing = await app.call('GET', `/v1.0/me/drive/items/${parent}/permissions`, { token: alice });
    expect(listing.status).toBe(200);
    expect(listing.body.value).toHaveLength(5);
    expect(storageCalls(listing)).toBe(1);
  });

  it('resolving a share: the permission row and the item row, nothing else', async () => {
    const item = await newFile();
    const link = await createLink(item, { type: 'view', scope: 'anonymous' });
    expect(link.status).toBe(201);
    const share = await app.call('GET', `/v1.0/shares/${link.body.shareId}`, { token: alice });
    expect(share.status).toBe(200);
    expect(storageCalls(share)).toBe(2);
  });

  it('failed requests cost no storage at all when they fail before it (bad token, bad body, unknown item id)', async () => {
    const item = await newFile();
    const noToken = await app.call('POST', `/v1.0/me/drive/items/${item}/createLink`, { body: {} });
    expect(noToken.status).toBe(401);
    expect(storageCalls(noToken)).toBe(0);
    const badBody = await createLink(item, { type: 'nonsense' });
    expect(badBody.status).toBe(400);
    expect(storageCalls(badBody)).toBe(0);
    const notAnId = await createLink('not-an-item-id', { type: 'view', scope: 'organization' });
    expect(notAnId.status).toBe(404);
    expect(storageCalls(notAnId)).toBeLessThanOrEqual(1);
  });

  it('counts retries: storage that refuses connections costs 1 + STORAGE_RETRIES attempts, then 503', async () => {
    const dead = await startTestApp({ idp: app.idp, env: { TABLES_CONNECTION_STRING: connectionString(await freePort()) } });
    try {
      const answer = await createLink('root', { type: 'view', scope: 'organization' }, dead);
      expect(answer.status).toBe(503);
      expect(storageCalls(answer, dead.logs)).toBe(1 + STORAGE_RETRIES);
    } finally {
      await dead.close();
    }
  });
});

describe('lazy start-up', () => {
  it('fetches signing keys on the first request, once, and creates no table before a request needs one', async () => {
    const other = await startTestApp({ prefix: uniquePrefix() });
    try {
      expect(other.idp.fetches).toBe(0);
      const tables = await listTables(other);
      expect(tables.filter((name) => name.startsWith(other.config.TABLES_PREFIX))).toEqual([]);
      const token = await other.idp.user('alice');
      for (let i = 0; i < 5; i += 1) expect((await other.call('GET', '/v1.0/me/drive', { token })).status).toBe(200);
      expect(other.idp.fetches).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('remembers a verified token: a repeated token is not verified again (no key fetch even with the endpoint down)', async () => {
    const other = await startTestApp();
    try {
      const token = await other.idp.user('alice');
      expect((await other.call('GET', '/v1.0/me/drive', { token })).status).toBe(200);
      other.idp.mode = 'down';
      const fetches = other.idp.fetches;
      expect((await other.call('GET', '/v1.0/me/drive', { token })).status).toBe(200);
      expect(other.idp.fetches).toBe(fetches);
    } finally {
      await other.close();
    }
  });
});

describe('the point-read fast path', () => {
  it('returns exactly what the SDK getEntity returns, typed properties included', async () => {
    const tables = app.services.tables;
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    const item = await newFile();
    const link = await createLink(item, { type: 'view', scope: 'organization', password: 'p' });
    expect(link.status).toBe(201);
    const partition = drive.body.id as string;
    const rows = await tables.drives.query(`PartitionKey eq '${partition}'`);
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) {
      expect(await tables.drives.get(partition, row.rowKey!)).toEqual(await tables.drives.getSlow(partition, row.rowKey!));
    }
    // Every EDM type the Table service has, and keys that need escaping.
    const typed = {
      partitionKey: `typed-${randomBytes(4).toString('hex')}`,
      rowKey: "k:it's a key+=&ü",
      text: 'x',
      int32: 42,
      double: 1.5,
      wholeDouble: { value: '2', type: 'Double' as const },
      int64: { value: '9007199254740993', type: 'Int64' as const },
      when: new Date('2030-01-02T03:04:05.678Z'),
      flag: false,
      guid: { value: '11111111-2222-4333-8444-555555555555', type: 'Guid' as const },
      bytes: new Uint8Array([1, 2, 3, 250]),
    };
    await tables.drives.client.createEntity(typed);
    const fast = await tables.drives.get(typed.partitionKey, typed.rowKey);
    expect(fast).toEqual(await tables.drives.getSlow(typed.partitionKey, typed.rowKey));
    expect(fast?.when).toEqual(typed.when);
    expect(await tables.drives.get(typed.partitionKey, 'absent')).toBeUndefined();
  });

  it('a second service instance built on the same config reads the same rows (no per-process state in the fast path)', async () => {
    const services = createServices(app.config);
    const drive = await app.call('GET', '/v1.0/me/drive', { token: alice });
    expect(await services.tables.drives.get(drive.body.id, 'drive')).toEqual(await app.services.tables.drives.get(drive.body.id, 'drive'));
  });
});

async function listTables(target: TestApp): Promise<string[]> {
  const { TableServiceClient } = await import('@azure/data-tables');
  const client = TableServiceClient.fromConnectionString(target.config.TABLES_CONNECTION_STRING!, { allowInsecureConnection: true });
  const names: string[] = [];
  for await (const table of client.listTables()) names.push(table.name!);
  return names;
}
