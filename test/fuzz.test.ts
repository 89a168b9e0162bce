import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpResponseInit } from '@azure/functions';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrations } from '../functions/routes.js';
import { dispatch, type Registration } from '../lib/http/pipeline.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { AUDIENCE, oidOf, TENANT_A, TENANT_B } from './helpers/idp.js';

const { HttpRequest, InvocationContext } = functions;

/**
 * Hostile input, generated: bodies (random JSON, deep nesting, huge strings, prototype-pollution keys), route ids,
 * headers and tokens (random claims and headers, wrong types, validly signed or not). Whatever comes in, the answer
 * is never a 5xx, never a crash, always Graph's error envelope when it is an error, and no global state is touched.
 * Most properties call the registered functions directly, as the Functions host does (fast); one goes through the
 * local host over real HTTP. Together they run 2,700 cases (about 10 s). Each run draws a new seed; a failure
 * prints it, and FUZZ_SEED=<seed> replays that run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const runs = (count: number) => ({ numRuns: count, seed: SEED, endOnFailure: true });

let app: TestApp;
let routes: Registration[];
let alice: string;
let mallory: string;
let fileId: string;
let folderId: string;
let shareId: string;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  app = await startTestApp();
  routes = registrations(app.services);
  alice = await app.idp.user('alice', { scopes: 'Files.ReadWrite.All Sites.ReadWrite.All' });
  mallory = await app.idp.user('mallory');
  const file = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'fuzz.txt', file: {} } });
  const folder = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'fuzz-folder', folder: {} } });
  fileId = file.body.id;
  folderId = folder.body.id;
  shareId = (await app.call('POST', `/v1.0/me/drive/items/${fileId}/createLink`, { token: alice, body: { type: 'view', scope: 'anonymous' } })).body.shareId;
});
afterAll(async () => {
  if (process.env.FUZZ_STATS) for (const [property, counts] of seen) console.log(property, JSON.stringify([...counts].sort((a, b) => a[0] - b[0])));
  await app?.close();
  // Nothing a request carried (`__proto__`, `constructor`, …) reached a prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

const route = (name: string, from: Registration[] = routes) => {
  const found = from.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no route ${name}`);
  return found;
};

interface Outcome {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** The link pages (`s/{token}`, `embed/{token}`) answer HTML for a browser, not the API's JSON. */
  html: boolean;
  logs: { level: string; text: string }[];
}

/** Calls one registered function the way the Functions host does: an HttpRequest with params, an InvocationContext. */
async function invoke(
  registration: Registration,
  method: string,
  params: Record<string, string>,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<Outcome> {
  const logs: Outcome['logs'] = [];
  const path = registration.route.replace(/\{\*?(\w+)\}/g, (_, name: string) => safeEncode(params[name] ?? ''));
  const request = new HttpRequest({
    method,
    url: `http://localhost:7071/${path}`,
    headers,
    params,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? { string: body } : { bytes: body } }),
  });
  const context = new InvocationContext({
    functionName: registration.name,
    logHandler: (level, ...args) => logs.push({ level, text: args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ') }),
  });
  const response: HttpResponseInit = await dispatch(registration)(request, context);
  const responseHeaders = (response.headers ?? {}) as Record<string, string>;
  const type = Object.entries(responseHeaders).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  return { status: response.status ?? 200, headers: responseHeaders, body: response.jsonBody, html: type.startsWith('text/html'), logs };
}

function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return 'x';
  }
}

/** Statuses seen per property: each property also asserts its generators reached the answers that matter. */
const seen = new Map<string, Map<number, number>>();
function record(property: string, status: number) {
  const counts = seen.get(property) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  seen.set(property, counts);
}
function expectReached(property: string, statuses: number[]) {
  const counts = seen.get(property) ?? new Map<number, number>();
  for (const status of statuses) expect(counts.get(status) ?? 0, `${property} never answered ${status}: ${JSON.stringify([...counts])}`).toBeGreaterThan(0);
}

/** Never a 5xx, no unexpected-error log, and on errors Graph's envelope with the answer's own request id. */
function expectWellFormed(outcome: Outcome, allowed: readonly number[]) {
  const context = `status ${outcome.status}: ${JSON.stringify(outcome.body)?.slice(0, 300)} logs ${JSON.stringify(outcome.logs).slice(0, 500)}`;
  expect(outcome.status, context).toBeLessThan(500);
  expect(allowed, context).toContain(outcome.status);
  expect(outcome.logs.filter((line) => line.level === 'error'), context).toEqual([]);
  const requestId = outcome.headers['request-id'];
  expect(requestId, context).toMatch(/^[0-9a-f-]{36}$/);
  if (outcome.html) {
    expect(outcome.body, context).toBeUndefined();
  } else if (outcome.status >= 400) {
    const error = outcome.body?.error;
    expect(typeof error?.code, context).toBe('string');
    expect(typeof error?.message === 'string' && error.message.length > 0, context).toBe(true);
    expect(error.innerError['request-id'], context).toBe(requestId);
    expect(error.innerError.date, context).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(JSON.stringify(error), context).not.toMatch(/at \S+\.(?:js|ts|mjs):\d+:\d+/);
  } else if (outcome.status !== 204) {
    expect(typeof outcome.body, context).toBe('object');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

const hugeString = fc.integer({ min: 1_000, max: 70_000 }).map((length) => 'x'.repeat(length));
const deepArray = fc.integer({ min: 1, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const deepObject = fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '..', '/', '\\', '%', '%00', '\u202e', '\ud83d\ude00', 'root', 'ROOT', 'null', 'undefined', 'NaN'),
);
const dateLike = fc.oneof(
  fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z', 'not a date', '2099-13-45T99:99:99Z', '9999-12-31T23:59:59+14:00', '2099-01-01', '+275760-09-13T00:00:00Z'),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
);

/** Any JSON value, with the odd deep or huge one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: weirdText },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, {}, []) },
);

/** A JSON object text whose keys are drawn from `known` (and prototype names, annotations, random text), written literally so `__proto__` really is a key. */
function objectText(known: readonly string[], values: fc.Arbitrary<unknown>) {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS, '@odata.type', 'x@odata.type', '@microsoft.graph.conflictBehavior') },
    { weight: 1, arbitrary: weirdText },
  );
  return fc
    .array(fc.tuple(key, values), { maxLength: 8 })
    .map((entries) => `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`);
}

/** A JSON object text from a valid body with a few entries added or overridden (later duplicates win in JSON.parse). */
function mutatedText(valid: fc.Arbitrary<Record<string, unknown>>, known: readonly string[], values: fc.Arbitrary<unknown>) {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS, '@odata.type') }, { weight: 1, arbitrary: weirdText });
  return fc
    .tuple(valid, fc.array(fc.tuple(key, values), { maxLength: 2 }))
    .map(([base, extra]) => `{${[...Object.entries(base), ...extra].map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`);
}

/**
 * A request body: valid ones, valid ones with a twist, objects of the right keys with any values, any JSON,
 * deep nesting, junk, huge.
 */
function bodyText(known: readonly string[], values: fc.Arbitrary<unknown>, valid?: fc.Arbitrary<Record<string, unknown>>) {
  return fc.oneof(
    ...(valid
      ? [
          { weight: 3, arbitrary: valid.map((body) => JSON.stringify(body)) },
          { weight: 4, arbitrary: mutatedText(valid, known, values) },
        ]
      : []),
    { weight: 6, arbitrary: objectText(known, values) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: deepArray },
    { weight: 1, arbitrary: deepObject },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: hugeString.map((text) => `{"message":"${text}"}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', 'null', '[]', '"x"', '{', '{"type":', '{"a":1}}', '\ufeff{}') },
  );
}

const futureDate = fc.integer({ min: 60, max: 10 * 365 * 86_400 }).map((seconds) => new Date(Date.now() + seconds * 1000).toISOString());
const validCreateLink = fc
  .record(
    {
      type: fc.constantFrom('view', 'edit', 'embed', 'blocksDownload', 'createOnly'),
      scope: fc.constantFrom('anonymous', 'organization', 'users'),
      expirationDateTime: futureDate,
      retainInheritedPermissions: fc.boolean(),
      sendNotification: fc.constant(false),
      message: fc.string({ maxLength: 50 }),
    },
    { requiredKeys: [] },
  )
  // A password now and then: its verifier is a deliberately slow scrypt.
  .chain((body) => fc.nat({ max: 19 }).map((dice) => (dice === 0 ? { ...body, password: `pw-${dice}` } : body)))
  .chain((body) =>
    body.scope === 'users'
      ? fc.array(fc.oneof(fc.record({ email: fc.emailAddress() }), fc.record({ objectId: fc.uuid() }), fc.record({ alias: fc.string({ minLength: 1, maxLength: 10 }) })), { minLength: 1, maxLength: 3 }).map((recipients) => ({ ...body, recipients }) as Record<string, unknown>)
      : fc.constant(body as Record<string, unknown>),
  );
const validChild = fc
  .tuple(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('same.txt', 'SAME.txt', 'same.txt ')), fc.boolean())
  .map(([name, folder]) => (folder ? { name, folder: {} } : { name, file: {} }) as Record<string, unknown>);
const validSettings = fc.record(
  {
    sharingCapability: fc.constantFrom('disabled', 'externalUserSharingOnly', 'externalUserAndGuestSharing', 'existingExternalUserSharingOnly'),
    defaultSharingLinkType: fc.constantFrom('internal', 'anonymousAccess', 'direct'),
    defaultLinkPermission: fc.constantFrom('view', 'edit'),
    requireAnonymousLinksExpireInDays: fc.integer({ min: 0, max: 730 }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, unknown>>;

const createLinkValue = fc.oneof(
  { weight: 4, arbitrary: anyValue },
  { weight: 3, arbitrary: fc.constantFrom('view', 'edit', 'embed', 'blocksDownload', 'createOnly', 'anonymous', 'organization', 'users', 'VIEW') },
  { weight: 2, arbitrary: dateLike },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(
        fc.record({ email: fc.oneof(fc.emailAddress(), weirdText) }),
        fc.record({ objectId: fc.oneof(fc.uuid(), weirdText) }),
        fc.record({ alias: weirdText }),
        fc.dictionary(fc.constantFrom('email', 'objectId', 'alias', '__proto__', '@odata.type'), anyValue),
        anyValue,
      ),
      { maxLength: 5 },
    ),
  },
);

const headerText = fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\t', 'é', '\u00ff'), maxLength: 300 });

// ---------------------------------------------------------------------------------------------------------------

describe('fuzz: request bodies', () => {
  it('createLink: any body gives 2xx or a 4xx envelope, never a 5xx', async () => {
    const createLink = route('createLinkMe');
    await fc.assert(
      fc.asyncProperty(bodyText(['type', 'scope', 'expirationDateTime', 'password', 'recipients', 'retainInheritedPermissions', 'sendNotification', 'message'], createLinkValue, validCreateLink), fc.boolean(), async (body, onFolder) => {
        const outcome = await invoke(createLink, 'POST', { itemId: onFolder ? folderId : fileId }, { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body);
        expectWellFormed(outcome, [200, 201, 400, 403, 413]);
        record('createLink', outcome.status);
      }),
      runs(700),
    );
    expectReached('createLink', [200, 201, 400, 413]);
  }, 120_000);

  it('create child: any body gives 201 or a 4xx envelope', async () => {
    const children = route('childrenMe');
    const values = fc.oneof(anyValue, weirdText, fc.constantFrom({}, { childCount: 1 }, 'fail', 'rename', 'replace'));
    await fc.assert(
      fc.asyncProperty(bodyText(['name', 'folder', 'file'], values, validChild), async (body) => {
        const outcome = await invoke(children, 'POST', { parentId: folderId }, { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body);
        expectWellFormed(outcome, [201, 400, 409, 413]);
        record('children', outcome.status);
      }),
      runs(200),
    );
    expectReached('children', [201, 400, 409]);
  }, 60_000);

  it('tenant settings PATCH: any body gives 200 or a 4xx envelope, and what is stored stays valid', async () => {
    const settings = route('tenantSettings');
    const admin = await app.idp.app('admin', { tenant: TENANT_B, roles: ['SharePointTenantSettings.ReadWrite.All', 'Files.ReadWrite.All'] });
    const values = fc.oneof(
      anyValue,
      fc.constantFrom('disabled', 'externalUserSharingOnly', 'externalUserAndGuestSharing', 'existingExternalUserSharingOnly', 'internal', 'anonymousAccess', 'direct', 'view', 'edit'),
      fc.integer({ min: -10, max: 1000 }),
    );
    await fc.assert(
      fc.asyncProperty(bodyText(['sharingCapability', 'defaultSharingLinkType', 'defaultLinkPermission', 'requireAnonymousLinksExpireInDays'], values, validSettings), async (body) => {
        const outcome = await invoke(settings, 'PATCH', {}, { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body);
        expectWellFormed(outcome, [200, 400, 413]);
        record('settings', outcome.status);
      }),
      runs(250),
    );
    expectReached('settings', [200, 400]);
    const stored = await invoke(settings, 'GET', {}, { authorization: `Bearer ${admin}` });
    expectWellFormed(stored, [200]);
    expect(Object.keys(stored.body).filter((key) => !key.startsWith('@odata')).sort()).toEqual(
      ['defaultLinkPermission', 'defaultSharingLinkType', 'requireAnonymousLinksExpireInDays', 'sharingCapability'].sort(),
    );
  }, 60_000);
});

describe('fuzz: ids and headers', () => {
  it('any value in any route parameter, with any method: never a 5xx', async () => {
    // Another user's token, so a random id can at worst touch mallory's own drive.
    const shareIds = fc.oneof(
      weirdText,
      weirdText.map((text) => `s!${text}`),
      fc.string({ maxLength: 80 }).map((text) => `u!${Buffer.from(text).toString('base64url')}`),
      fc.stringMatching(/^[A-Za-z0-9_-]{64}$/).map((token) => `u!${Buffer.from(`http://localhost/s/${token}`).toString('base64url')}`),
      fc.constant(shareId),
      fc.stringMatching(/^[A-Za-z0-9_-]{64}$/).map((token) => `s!${token}`),
    );
    const idFor = (name: string) =>
      name === 'shareId'
        ? shareIds
        : fc.oneof(weirdText, fc.constantFrom(fileId, folderId, 'root', oidOf('alice'), oidOf('mallory')), fc.uuid(), fc.stringMatching(/^01[A-Z2-7]{26}$/), fc.stringMatching(/^b![A-Za-z0-9_-]{22}$/));
    const cases = fc
      .record({
        registration: fc.constantFrom(...routes),
        otherMethod: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'),
        supported: fc.nat({ max: 9 }),
        body: fc.option(bodyText(['type', 'scope', 'name', 'file', 'expirationDateTime', 'password'], anyValue), { nil: undefined }),
        seed: fc.nat(),
      })
      .chain(({ registration, otherMethod, supported, body }) => {
        // Mostly a method the route answers, so the handlers (not just the 405) see the ids.
        const own = Object.keys(registration.methods);
        const method = supported < 8 && own.length > 0 ? own[supported % own.length]! : otherMethod;
        const names = [...registration.route.matchAll(/\{\*?(\w+)\}/g)].map((match) => match[1]!);
        return fc.tuple(fc.constant(registration), fc.constant(method), fc.constant(body), fc.tuple(...names.map((name) => idFor(name))).map((values) => Object.fromEntries(names.map((name, i) => [name, values[i]!]))));
      });
    await fc.assert(
      fc.asyncProperty(cases, fc.boolean(), async ([registration, method, body, params], anonymous) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(anonymous ? {} : { authorization: `Bearer ${mallory}` }) };
        const outcome = await invoke(registration, method, params as Record<string, string>, headers, method === 'GET' ? undefined : body);
        expectWellFormed(outcome, [200, 201, 204, 400, 401, 403, 404, 405, 409, 412, 413, 415]);
        record('ids', outcome.status);
      }),
      runs(400),
    );
    expectReached('ids', [200, 400, 401, 404, 405]);
  }, 120_000);

  it('any content type, content length, client-request-id and authorization header: never a 5xx, ids echoed safely', async () => {
    const createLink = route('createLinkMe');
    const getDrive = route('driveMe');
    const authorization = fc.oneof(
      { weight: 4, arbitrary: fc.constant(`Bearer ${alice}`) },
      fc.constantFrom(`Bearer ${alice}`, `bearer ${alice}`, `Bearer   ${alice}   `, 'Bearer', 'Bearer ', 'Basic YWxpY2U6cHc=', `Bearer ${alice}x`, `Bearer ${alice.slice(0, -4)}`, `Bearer ${alice} ${alice}`, `Bearer ${alice.replaceAll('.', '..')}`),
      headerText.map((text) => `Bearer ${text}`),
      headerText,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          useCreateLink: fc.boolean(),
          contentType: fc.option(fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json', 'multipart/form-data; boundary=x', ''), headerText), { nil: undefined }),
          contentLength: fc.option(fc.oneof(fc.constantFrom('0', '-1', 'abc', '99999999', '1e9', '65537', ''), fc.nat().map(String)), { nil: undefined }),
          clientRequestId: fc.option(headerText, { nil: undefined }),
          authorization: fc.option(authorization, { nil: undefined }),
          body: fc.option(bodyText(['type', 'scope'], createLinkValue, validCreateLink), { nil: undefined }),
        }),
        async ({ useCreateLink, contentType, contentLength, clientRequestId, authorization: auth, body }) => {
          const headers: Record<string, string> = {};
          if (contentType !== undefined) headers['content-type'] = contentType;
          if (contentLength !== undefined) headers['content-length'] = contentLength;
          if (clientRequestId !== undefined) headers['client-request-id'] = clientRequestId;
          if (auth !== undefined) headers.authorization = auth;
          const outcome = useCreateLink
            ? await invoke(createLink, 'POST', { itemId: fileId }, headers, body)
            : await invoke(getDrive, 'GET', {}, headers);
          expectWellFormed(outcome, [200, 201, 400, 401, 403, 413, 415]);
          const echoed = outcome.headers['client-request-id'];
          if (echoed !== undefined) {
            expect(echoed).toMatch(/^[\x20-\x7e]{1,200}$/);
            if (outcome.status >= 400) expect(outcome.body.error.innerError['client-request-id']).toBe(echoed);
          }
          if (outcome.status === 401) expect(outcome.headers['WWW-Authenticate'] ?? outcome.headers['www-authenticate']).toMatch(/^Bearer/);
          record('headers', outcome.status);
        },
      ),
      runs(300),
    );
    expectReached('headers', [200, 401, 413, 415]);
  }, 120_000);
});

describe('fuzz: tokens', () => {
  let tokenApp: TestApp;
  let tokenRoutes: Registration[];
  let keys: Server;
  let privateKey: KeyObject;
  const kid = randomUUID();

  beforeAll(async () => {
    // Our own key endpoint, so tokens can carry any header and any claims, iss/aud/exp/nbf included, validly signed.
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey;
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    keys = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((done) => keys.listen(0, '127.0.0.1', () => done()));
    tokenApp = await startTestApp({ env: { AUTH_JWKS_URI: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/keys` } });
    tokenRoutes = registrations(tokenApp.services);
  });
  afterAll(async () => {
    await tokenApp?.close();
    if (keys) {
      keys.closeAllConnections();
      await new Promise((done) => keys.close(done));
    }
  });

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  /** A compact JWS from header and payload texts, RS256-signed with the trusted key when the header says RS256. */
  function jws(header: string, payload: string, signMode: 'valid' | 'garbage' | 'empty'): string {
    const input = `${b64(header)}.${b64(payload)}`;
    const signature = signMode === 'valid' ? sign('sha256', Buffer.from(input), privateKey).toString('base64url') : signMode === 'garbage' ? b64(randomUUID()) : '';
    return `${input}.${signature}`;
  }

  const claimNames = ['tid', 'oid', 'scp', 'roles', 'azp', 'appid', 'app_displayname', 'idtyp', 'groups', 'name', 'preferred_username', 'email', 'iss', 'aud', 'exp', 'nbf', 'iat', 'ver'];

  function validClaims(): Record<string, unknown> {
    return {
      tid: TENANT_A,
      oid: oidOf('tokenfuzz'),
      scp: 'Files.ReadWrite',
      azp: 'aaaaaaaa-0000-4000-8000-000000000009',
      iss: `https://login.microsoftonline.com/${TENANT_A}/v2.0`,
      aud: AUDIENCE,
      exp: now() + 3600,
      nbf: now() - 10,
      iat: now() - 10,
    };
  }

  const claimValue = fc.oneof(
    anyValue,
    fc.constantFrom(TENANT_A, TENANT_A.toUpperCase(), TENANT_B, '9188040d-6c67-4c5b-b112-36a304b66dad', 'app', 'user', 'Files.ReadWrite Files.ReadWrite.All', 'Sites.ReadWrite.All', AUDIENCE, `https://sts.windows.net/${TENANT_A}/`),
    fc.array(fc.constantFrom('Files.ReadWrite.All', 'Sites.ReadWrite.All', 'x'), { maxLength: 3 }),
    fc.integer({ min: -1e10, max: 1e10 }),
    fc.integer({ min: -100_000, max: 100_000 }).map((delta) => now() + delta),
  );

  const headerCases = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ alg: 'RS256', kid, typ: 'JWT' } as Record<string, unknown>) },
    {
      weight: 3,
      arbitrary: fc.dictionary(fc.constantFrom('alg', 'kid', 'typ', 'crit', 'b64', 'jku', 'x5u', 'jwk', 'cty', '__proto__', 'zip'), fc.oneof(anyValue, fc.constantFrom('RS256', 'none', 'HS256', 'RS512', 'ES256', kid, ['b64'], false)), { maxKeys: 5 }).map((header) => ({ alg: 'RS256', kid, ...header })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Record<string, unknown>> },
  );

  it('validly signed tokens with any header and any (mis-typed) claims: 2xx or 401/403/4xx, never a 5xx', async () => {
    const getDrive = route('driveMe', tokenRoutes);
    const createLink = route('createLinkMe', tokenRoutes);
    await fc.assert(
      fc.asyncProperty(
        headerCases,
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...claimNames), fc.constantFrom(...PROTO_KEYS), weirdText), claimValue), { maxLength: 5 }),
        fc.array(fc.constantFrom(...claimNames), { maxLength: 3 }),
        fc.constantFrom('valid', 'valid', 'valid', 'garbage', 'empty') as fc.Arbitrary<'valid' | 'garbage' | 'empty'>,
        fc.boolean(),
        async (header, overrides, removed, signMode, write) => {
          const claims = validClaims();
          for (const name of removed) delete claims[name];
          const entries = [...Object.entries(claims), ...overrides];
          const payload = `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
          const token = jws(JSON.stringify(header) ?? 'null', payload, signMode);
          const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
          const outcome = write ? await invoke(createLink, 'POST', { itemId: 'root' }, headers, '{"type":"view","scope":"organization"}') : await invoke(getDrive, 'GET', {}, headers);
          // Tokens are not for this tenant's items (root of another user's drive), so 400/404 are fine answers too.
          expectWellFormed(outcome, [200, 201, 400, 401, 403, 404]);
          record('signed tokens', outcome.status);
        },
      ),
      runs(350),
    );
    expectReached('signed tokens', [200, 401]);
  }, 120_000);

  it('random strings that look like tokens: 401 with WWW-Authenticate, never anything else', async () => {
    const getDrive = route('driveMe', tokenRoutes);
    const segment = fc.oneof(fc.base64String({ maxLength: 200 }).map((text) => text.replaceAll('=', '')), fc.jsonValue({ maxDepth: 2 }).map((value) => b64(JSON.stringify(value))), fc.string({ maxLength: 50 }));
    const token = fc.oneof(
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
      fc.integer({ min: 16_000, max: 20_000 }).map((length) => 'a'.repeat(length)),
    );
    await fc.assert(
      fc.asyncProperty(token, async (text) => {
        const outcome = await invoke(getDrive, 'GET', {}, { authorization: `Bearer ${text}` });
        expectWellFormed(outcome, [401]);
        expect(outcome.body.error.code).toBe('unauthenticated');
        expect(outcome.headers['WWW-Authenticate']).toMatch(/^Bearer/);
      }),
      runs(250),
    );
  }, 60_000);
});

describe('fuzz: over HTTP through the local host', () => {
  it('any method, raw path and body bytes: a JSON answer (or a page), never a 5xx, and the host stays up', async () => {
    const origin = new URL(app.origin);
    const pathChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@/%?#'.split(''));
    const rawSegment = fc.oneof(
      fc.string({ unit: pathChar, maxLength: 30 }),
      fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%zz', '%', '%c3%28', 'root', fileId, folderId, 'v1.0', 'me', 'drive', 'items', 'createLink', 'permissions', 'shares', shareId, 's', 'embed'),
      fc.string({ unit: 'grapheme', maxLength: 10 }).map((text) => encodeURIComponent(text)),
    );
    const path = fc.oneof(
      fc.array(rawSegment, { maxLength: 8 }).map((segments) => `/${segments.join('/')}`),
      fc.tuple(fc.constantFrom('/v1.0/me/drive/items/', '/v1.0/drives/', '/v1.0/shares/', '/v1.0/users/', '/s/', '/embed/', '/v1.0/admin/sharepoint/settings'), fc.array(rawSegment, { maxLength: 4 })).map(([head, tail]) => `${head}${tail.join('/')}`),
      fc.integer({ min: 2_000, max: 8_000 }).map((length) => `/v1.0/${'a'.repeat(length)}`),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
      bodyText(['type', 'scope', 'name', 'file'], createLinkValue).map((text) => Buffer.from(text)),
      fc.constant(Buffer.alloc(70 * 1024, 0x61)),
    );
    const send = (method: string, target: string, headers: Record<string, string>, payload?: Buffer) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((done, fail) => {
        const outgoing = httpRequest({ host: origin.hostname, port: origin.port, method, path: target, headers: payload ? { ...headers, 'content-length': String(payload.byteLength) } : headers }, (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.once('end', () => done({ status: incoming.statusCode ?? 0, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') }));
          incoming.once('error', fail);
        });
        outgoing.once('error', fail);
        outgoing.end(payload);
      });

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'),
        path,
        body,
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', ''),
        fc.boolean(),
        async (method, target, payload, contentType, authenticated) => {
          const headers: Record<string, string> = { ...(contentType ? { 'content-type': contentType } : {}), ...(authenticated ? { authorization: `Bearer ${mallory}` } : {}) };
          let answer;
          try {
            answer = await send(method, target, headers, method === 'GET' || method === 'HEAD' ? undefined : payload);
          } catch (error) {
            // Only a request node:http itself refuses to send (never reaching the host) may throw.
            expect((error as NodeJS.ErrnoException).code).toMatch(/^ERR_(INVALID|UNESCAPED)/);
            return;
          }
          const context = `${method} ${target.slice(0, 200)} -> ${answer.status} ${answer.text.slice(0, 300)}`;
          record('http', answer.status);
          expect(answer.status, context).toBeLessThan(500);
          expect(answer.headers['request-id'], context).toBeDefined();
          const type = String(answer.headers['content-type'] ?? '');
          if (method === 'HEAD' || answer.status === 204 || type.startsWith('text/html')) return;
          const parsed = JSON.parse(answer.text) as any;
          if (answer.status >= 400) {
            expect(typeof parsed.error.code, context).toBe('string');
            expect(parsed.error.innerError['request-id'], context).toBe(answer.headers['request-id']);
          }
        },
      ),
      runs(250),
    );
    expectReached('http', [400, 404, 405]);
    // Still serving.
    expect((await app.call('GET', '/v1.0/me/drive', { token: alice })).status).toBe(200);
  }, 120_000);
});
