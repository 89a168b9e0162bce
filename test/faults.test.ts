import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_TIMEOUT_MS } from '../lib/storage/tables.js';
import { expectGraphError, startTestApp, type Answer, type TestApp } from './helpers/app.js';
import { startAzurite, type AzuriteProcess } from './helpers/azurite.js';
import { oidOf, TENANT_A } from './helpers/idp.js';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function expectUnavailable(answer: Answer) {
  expectGraphError(answer, 503, 'serviceNotAvailable');
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
}

/**
 * Storage faults against a real Azurite with a data folder, stopped and started again mid-run (same port, same
 * folder), and paused outright. The service must answer 503 + Retry-After promptly while storage is away, recover
 * by itself when it is back, and never lose an acknowledged link or leave half of one behind.
 */
describe('storage faults', () => {
  let location: string;
  let azurite: AzuriteProcess;
  let app: TestApp;
  let alice: string;
  let driveId: string;

  beforeAll(async () => {
    location = mkdtempSync(join(tmpdir(), 'sharing-faults-'));
    azurite = await startAzurite({ location });
    app = await startTestApp({ env: { TABLES_CONNECTION_STRING: azurite.connectionString } });
    alice = await app.idp.user('alice');
    driveId = (await app.call('GET', '/v1.0/me/drive', { token: alice })).body.id;
  });
  afterAll(async () => {
    await app.close();
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  });

  const newFile = async (name = `f-${randomUUID()}.txt`) => {
    const answer = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name, file: {} } });
    expect(answer.status).toBe(201);
    return answer.body.id as string;
  };
  const createLink = (item: string, body: object) => app.call('POST', `/v1.0/me/drive/items/${item}/createLink`, { token: alice, body });

  /** Azurite back on the same port and data folder; the service is not touched. */
  const restart = async () => {
    azurite = await startAzurite({ port: azurite.port, location });
  };

  /** Polls one request until it succeeds again: the service must recover without a restart. */
  async function untilRecovered(probe: () => Promise<Answer>, expected: number) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await probe();
      if (answer.status === expected) return answer;
      expectUnavailable(answer);
      if (Date.now() > deadline) throw new Error('the service did not recover after storage came back');
      await sleep(100);
    }
  }

  /** The link rows of the drive: every identity row (k:) pairs with exactly one permission row (p:) and back. */
  async function linkRows() {
    const rows = await app.services.tables.drives.query(`PartitionKey eq '${driveId}' and RowKey ge 'k:' and RowKey lt 'q'`);
    const identities = rows.filter((row) => row.rowKey!.startsWith('k:'));
    const permissions = rows.filter((row) => row.rowKey!.startsWith('p:'));
    const byPermission = new Map(permissions.map((row) => [String(row.permissionId), row]));
    for (const identity of identities) {
      const permission = byPermission.get(String(identity.permissionId));
      expect(permission, `identity row ${identity.rowKey} has no permission row`).toBeDefined();
      expect(permission!.identity).toBe(identity.identity);
    }
    expect(permissions.length).toBe(identities.length);
    return new Set(rows.map((row) => row.rowKey!));
  }

  it('while storage is down: 503 serviceNotAvailable with Retry-After, promptly; then it recovers by itself and nothing is lost or half-written', async () => {
    const body = { type: 'view', scope: 'organization' };
    const before: { item: string; id: string }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const item = await newFile();
      const link = await createLink(item, body);
      expect(link.status).toBe(201);
      before.push({ item, id: link.body.id });
    }
    const rowsBefore = await linkRows();

    await azurite.stop('SIGINT');
    const started = Date.now();
    const during = await Promise.all([
      ...before.map(({ item }) => createLink(item, body)),
      createLink(before[0]!.item, { type: 'edit', scope: 'organization' }),
      app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'during-outage.txt', file: {} } }),
      app.call('GET', `/v1.0/me/drive/items/${before[1]!.item}`, { token: alice }),
    ]);
    for (const answer of during) expectUnavailable(answer);
    // Connection refused: three quick attempts and the answer, no waiting out timeouts.
    expect(Date.now() - started).toBeLessThan(5_000);

    await restart();
    await untilRecovered(() => createLink(before[0]!.item, body), 200);

    // Every link written before the outage is there, once; the writes that got 503 left nothing behind.
    for (const { item, id } of before) {
      const again = await createLink(item, body);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(id);
    }
    expect(await linkRows()).toEqual(rowsBefore);
    const edit = await createLink(before[0]!.item, { type: 'edit', scope: 'organization' });
    expect(edit.status).toBe(201);
    expect((await createLink(before[0]!.item, { type: 'edit', scope: 'organization' })).body.id).toBe(edit.body.id);
    // The name the failed create asked for was not left reserved.
    expect((await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'during-outage.txt', file: {} } })).status).toBe(201);
  });

  it('requests in flight when storage stops answer 201 or 503 (never 500); acknowledged links survive the restart, each exactly once', async () => {
    const item = await newFile();
    const base = Date.UTC(2098, 0, 1);
    const bodyFor = (worker: number, sequence: number) => ({
      type: 'view',
      scope: 'organization',
      expirationDateTime: new Date(base + (worker * 10_000 + sequence) * 1000).toISOString().replace('.000Z', 'Z'),
    });
    const results: { body: object; answer: Answer }[] = [];
    let stopping = false;
    const worker = async (index: number) => {
      for (let sequence = 0; !stopping; sequence += 1) {
        const body = bodyFor(index, sequence);
        results.push({ body, answer: await createLink(item, body) });
      }
    };
    const workers = Array.from({ length: 8 }, (_, index) => worker(index));
    await sleep(300);
    await azurite.stop('SIGINT');
    await sleep(300);
    stopping = true;
    await Promise.all(workers);

    const statuses = new Set(results.map(({ answer }) => answer.status));
    expect([...statuses].every((status) => status === 201 || status === 503)).toBe(true);
    expect(statuses.has(201)).toBe(true);
    expect(statuses.has(503)).toBe(true);
    for (const { answer } of results) if (answer.status === 503) expectUnavailable(answer);

    await restart();
    await untilRecovered(() => app.call('GET', `/v1.0/me/drive/items/${item}`, { token: alice }), 200);
    for (const { body, answer } of results) {
      const again = await createLink(item, body);
      if (answer.status === 201) {
        expect(again.status).toBe(200);
        expect(again.body.id).toBe(answer.body.id);
      } else {
        // A 503'd request either never reached storage or completed whole before the connection went: either way the
        // same request now yields exactly one link.
        expect([200, 201]).toContain(again.status);
        expect((await createLink(item, body)).body.id).toBe(again.body.id);
      }
    }
    await linkRows();
  });

  it('storage that hangs (paused process): 503 after the attempt timeout, not a hang; back to normal once it resumes', async () => {
    const item = await newFile();
    const body = { type: 'view', scope: 'organization' };
    expect((await createLink(item, body)).status).toBe(201);
    process.kill(azurite.pid, 'SIGSTOP');
    let answer: Answer;
    const started = Date.now();
    try {
      answer = await createLink(item, body);
    } finally {
      process.kill(azurite.pid, 'SIGCONT');
    }
    const elapsed = Date.now() - started;
    expectUnavailable(answer);
    expect(elapsed).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 200);
    expect(elapsed).toBeLessThan(ATTEMPT_TIMEOUT_MS + 3_000);
    await untilRecovered(() => createLink(item, body), 200);
  }, 30_000);
});

/**
 * Signing-key faults. The rule (README "Reliability"): a token is only as good as the keys that verify it.
 * - Keys at hand (fetched earlier, within their age or, while the endpoint fails, up to 24 h past it): tokens
 *   are verified locally whatever the endpoint does; 401 or success as the token deserves.
 * - The keys needed are not at hand (first request, or an unknown kid) and the endpoint is down, answers non-200,
 *   answers something that is not a key set, or is slower than the fetch timeout (3 s): 503 serviceNotAvailable
 *   with Retry-After; never a hang.
 * - An unknown kid that a successful fetch (made now, or within the cooldown) does not have: 401.
 */
describe('signing-key (JWKS) faults', () => {
  const getDrive = (target: TestApp, token: string) => target.call('GET', '/v1.0/me/drive', { token });

  it('key endpoint down before any key was fetched: 503 with Retry-After at once; fine as soon as it is back', async () => {
    const app = await startTestApp();
    try {
      app.idp.mode = 'down';
      const token = await app.idp.user('alice');
      const started = Date.now();
      expectUnavailable(await getDrive(app, token));
      expect(Date.now() - started).toBeLessThan(2_000);
      app.idp.mode = 'ok';
      expect((await getDrive(app, token)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('slow key endpoint: 503 once the fetch timeout is up, never a hang', async () => {
    const app = await startTestApp({ services: { keys: { cooldownMs: 0, timeoutMs: 300 } } });
    try {
      app.idp.mode = 'slow';
      const token = await app.idp.user('alice');
      const started = Date.now();
      expectUnavailable(await getDrive(app, token));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      await app.close();
    }
  });

  it('keys at hand keep working while the endpoint is down, even past their refresh age (stale-if-error)', async () => {
    const app = await startTestApp({ services: { keys: { cooldownMs: 0, cacheMaxAgeMs: 1 } } });
    try {
      expect((await getDrive(app, await app.idp.user('alice'))).status).toBe(200);
      app.idp.mode = 'down';
      const fetches = app.idp.fetches;
      await sleep(5);
      for (const name of ['bob', 'carol', 'dave']) expect((await getDrive(app, await app.idp.user(name))).status).toBe(200);
      // The refresh was attempted (in the background) and failed; nobody waited for it.
      expect(app.idp.fetches).toBeGreaterThan(fetches);
    } finally {
      await app.close();
    }
  });

  it('a rotated key (new kid): 503 while the endpoint is down, picked up without a restart once it is back', async () => {
    const app = await startTestApp();
    try {
      expect((await getDrive(app, await app.idp.user('alice'))).status).toBe(200);
      await app.idp.rotate();
      const rotated = await app.idp.user('alice');
      app.idp.mode = 'down';
      expectUnavailable(await getDrive(app, rotated));
      app.idp.mode = 'ok';
      expect((await getDrive(app, rotated)).status).toBe(200);
      // Old kid still published: its tokens still work.
    } finally {
      await app.close();
    }
  });

  it('an unknown kid the endpoint does not publish is 401, and a flood of them costs at most one fetch per cooldown', async () => {
    const app = await startTestApp({ services: { keys: {} } });
    try {
      expect((await getDrive(app, await app.idp.user('alice'))).status).toBe(200);
      const stranger = await generateKeyPair('RS256');
      const claims = { tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' };
      const fetches = app.idp.fetches;
      for (let i = 0; i < 20; i += 1) {
        const forged = await app.idp.sign(claims, { key: stranger.privateKey, kid: randomUUID() });
        expectGraphError(await getDrive(app, forged), 401, 'unauthenticated');
      }
      expect(app.idp.fetches - fetches).toBeLessThanOrEqual(1);
    } finally {
      await app.close();
    }
  });

  it('a key endpoint answering an error status or something that is not a key set: 503, not 401', async () => {
    let answer: { status: number; body: string } = { status: 500, body: 'oops' };
    const server: Server = createServer((_request, response) => {
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
    const app = await startTestApp({ env: { AUTH_JWKS_URI: uri } });
    try {
      const token = await app.idp.user('alice');
      for (const broken of [
        { status: 500, body: 'oops' },
        { status: 200, body: '<html>not json</html>' },
        { status: 200, body: '{"keys": 42}' },
        { status: 302, body: '' },
      ]) {
        answer = broken;
        expectUnavailable(await getDrive(app, token));
      }
    } finally {
      await app.close();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
