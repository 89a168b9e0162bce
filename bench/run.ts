import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TableClient } from '@azure/data-tables';
import { freePort, portOpen, startAzurite, type AzuriteProcess as Azurite } from '../scripts/azurite.js';
import { BENCH_AUDIENCE, BenchIdentityProvider } from './idp.js';
import { HttpClient, mergeRuns, runPhase, runPhaseWithSamples, sleep, type Operation, type PhaseResult, type PhaseRun } from './load.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { cpuMs, HELLO_SCRIPT, LogReader, once, SERVE_SCRIPT, spawnService, waitUntil, type ChildService, type StorageCallSummary } from './service.js';

/**
 * `npm run bench`: one run that starts Azurite (in memory, free port) and the local host (`dist/scripts/serve.js`,
 * as `npm run serve` runs it), then measures at a fixed concurrency for a fixed duration each:
 *   raw @azure/data-tables point reads and inserts against that Azurite (the baseline),
 *   createLink returning an existing link, createLink creating a new link, the permission listing at folder depth 5
 *   and share resolution (the last two when their routes answer),
 * then cold start against a bare @azure/functions handler, and a soak (concurrency 64, a mix of create/list/resolve).
 *
 * Options: --duration=S (per phase, default 10) --warmup=S (default 2) --concurrency=N (default 16)
 *          --soak=S (default 60, 0 skips it) --soak-concurrency=N (default 64) --cold-runs=N (default 5)
 *          --quiet-service (the service without its per-request log line, to see what logging costs)
 *          --profile (run the service under `node --cpu-prof` and print where its CPU time goes)
 *          --rounds=N (default 3): each compared pair runs interleaved, N rounds of duration/N each
 *          --phases=rawRead,existing,list,resolve,rawInsert,rawTransaction,new,listLarge (a subset, for profiling)
 *          --quick (= --duration=3 --warmup=1 --rounds=1 --soak=0 --cold-runs=2)
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  duration: number;
  warmup: number;
  concurrency: number;
  soak: number;
  soakConcurrency: number;
  coldRuns: number;
  profile: boolean;
  /** Run the service with SERVE_QUIET=1 (no log line per request; storage round trips are then not reported). */
  quietService: boolean;
  /** Interleaved rounds per compared pair (baseline, service, baseline, service, …), to even out machine noise. */
  rounds: number;
  /** Only these phases (rawRead, existing, list, resolve, rawInsert, new); all when absent. */
  phases: Set<string> | undefined;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}`);
    flags.set(match[1]!, match[2] ?? 'true');
  }
  const quick = flags.has('quick');
  const number = (name: string, fallback: number) => {
    const value = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
    return value;
  };
  return {
    duration: number('duration', quick ? 3 : 10),
    warmup: number('warmup', quick ? 1 : 2),
    concurrency: number('concurrency', 16),
    soak: number('soak', quick ? 0 : 60),
    soakConcurrency: number('soak-concurrency', 64),
    coldRuns: Math.round(number('cold-runs', quick ? 2 : 5)),
    profile: flags.has('profile'),
    quietService: flags.has('quiet-service'),
    rounds: Math.max(1, Math.round(number('rounds', quick ? 1 : 3))),
    phases: flags.has('phases') ? new Set(flags.get('phases')!.split(',')) : undefined,
    out: resolve(root, flags.get('out') ?? 'bench/results.json'),
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

interface Fixture {
  readonly token: string;
  /** Another user's token and file: the soak creates its new links there, so the listed drive does not grow. */
  readonly otherToken: string;
  readonly otherItem: string;
  readonly driveId: string;
  readonly existingItem: string;
  readonly freshItem: string;
  readonly deepFolder: string;
  readonly shareId: string;
}

const EXISTING_BODY = JSON.stringify({ type: 'view', scope: 'organization' });
/** A distinct expiry per request gives a distinct link identity, so every request creates a link (201). */
const NEW_LINK_BASE = Date.UTC(2099, 0, 1);
const newLinkBody = (sequence: number) =>
  JSON.stringify({ type: 'view', scope: 'organization', expirationDateTime: new Date(NEW_LINK_BASE + sequence * 1000).toISOString().replace('.000Z', 'Z') });

async function setUp(client: HttpClient, token: string, otherToken: string): Promise<Fixture> {
  const auth = { authorization: `Bearer ${token}` };
  const expect = async (answer: Promise<{ status: number; body: string }>, status: number, what: string) => {
    const { status: got, body } = await answer;
    if (got !== status) throw new Error(`set-up: ${what} answered ${got}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as Record<string, any>;
  };
  const child = (parent: string, name: string, folder: boolean) =>
    expect(client.send('POST', `/v1.0/me/drive/items/${parent}/children`, auth, JSON.stringify({ name, ...(folder ? { folder: {} } : { file: {} }) })), 201, `create ${name}`);
  const link = (item: string, body: object) => client.send('POST', `/v1.0/me/drive/items/${item}/createLink`, auth, JSON.stringify(body));

  const drive = await expect(client.send('GET', '/v1.0/me/drive', auth), 200, 'GET /me/drive');
  const existing = await child('root', 'existing.txt', false);
  await expect(link(existing.id, JSON.parse(EXISTING_BODY)), 201, 'first createLink');
  const fresh = await child('root', 'fresh.txt', false);
  const shared = await child('root', 'shared.txt', false);
  const anonymous = await expect(link(shared.id, { type: 'view', scope: 'anonymous' }), 201, 'anonymous link');

  // root / d1 / d2 / d3 / d4 / d5, a link on each: the listing at d5 shows its own link and four inherited ones.
  let parent = 'root';
  for (let depth = 1; depth <= 5; depth += 1) {
    const folder = await child(parent, `d${depth}`, true);
    await expect(link(folder.id, { type: depth % 2 ? 'view' : 'edit', scope: 'organization' }), 201, `link on d${depth}`);
    parent = folder.id;
  }
  const other = await expect(
    client.send('POST', '/v1.0/me/drive/items/root/children', { authorization: `Bearer ${otherToken}` }, JSON.stringify({ name: 'soak.txt', file: {} })),
    201,
    'create soak.txt',
  );
  return {
    token,
    otherToken,
    otherItem: other.id,
    driveId: drive.id,
    existingItem: existing.id,
    freshItem: fresh.id,
    deepFolder: parent,
    shareId: anonymous.shareId,
  };
}

const httpOperation =
  (client: HttpClient, expected: number[], build: (sequence: number) => { method: string; path: string; headers: Record<string, string>; body?: string }): Operation =>
  async (sequence) => {
    const { method, path, headers, body } = build(sequence);
    const answer = await client.send(method, path, headers, body);
    return { label: String(answer.status), ok: expected.includes(answer.status) };
  };

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const phase = { concurrency: options.concurrency, durationMs: options.duration * 1000, warmupMs: options.warmup * 1000 };
  const work = mkdtempSync(join(tmpdir(), 'sharing-bench-'));
  // Kept after the run (*.cpuprofile is git-ignored): open it in Chrome DevTools or VS Code for the full picture.
  const profileDir = resolve(root, 'bench/profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const logFile = join(work, 'service.log');

  console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), concurrency ${options.concurrency}, ${options.duration} s per phase after ${options.warmup} s warm-up`);
  let azurite: Azurite | undefined;
  let idp: BenchIdentityProvider | undefined;
  let service: ChildService | undefined;
  const clients: HttpClient[] = [];
  try {
    azurite = await startAzurite();
    idp = await BenchIdentityProvider.start();
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const env = {
      TABLES_CONNECTION_STRING: azurite.connectionString,
      TABLES_PREFIX: prefix,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
      AUTH_JWKS_URI: idp.jwksUri,
    };
    service = spawnService({
      script: SERVE_SCRIPT,
      port: await freePort(),
      env: options.quietService ? { ...env, SERVE_QUIET: '1' } : env,
      logFile,
      ...(options.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    const origin = service.origin;
    await waitUntil(async () => (await once(origin, 'GET', '/v1.0/')).status > 0, 30_000, 20);
    const client = new HttpClient(new URL(origin), Math.max(options.concurrency, options.soakConcurrency));
    clients.push(client);
    const token = await idp.user('alice');
    const fixture = await setUp(client, token, await idp.user('bob'));
    const auth = { authorization: `Bearer ${token}` };
    const logs = new LogReader(logFile);
    await logs.since();
    console.log(`Azurite pid ${azurite.pid} on ${azurite.port}; service pid ${service.pid} at ${origin}; tables prefix ${prefix}\n`);

    // Baseline: the raw SDK against the same Azurite, with an entity shaped like a link row.
    const raw = TableClient.fromConnectionString(azurite.connectionString, `${prefix}raw`, { allowInsecureConnection: true });
    await raw.createTable();
    const rawEntity = {
      identity: randomBytes(32).toString('base64url'),
      permissionId: randomBytes(16).toString('base64url'),
      itemId: fixture.existingItem,
      type: 'view',
      scope: 'organization',
      appId: 'bbbbbbbb-0000-4000-8000-000000000001',
      createdBy: '00000000-0000-4000-8000-000000000000',
      createdDateTime: new Date().toISOString(),
      secret: randomBytes(16).toString('base64url'),
      recipients: '[]',
    };
    await raw.createEntity({ partitionKey: fixture.driveId, rowKey: 'k:read', ...rawEntity });

    const results: PhaseResult[] = [];
    const storage: Record<string, StorageCallSummary> = {};
    const cpu: Record<string, CpuPerOp> = {};
    const pids = { azurite: azurite.pid, service: service.pid };
    const selected = (spec: PhaseSpec) => !options.phases || options.phases.has(spec.key);

    /**
     * Runs phases in interleaved rounds (a b a b …), so that a baseline and the operation compared with it see the
     * same machine conditions; each phase's rounds are merged into one result.
     */
    const measure = async (...specs: PhaseSpec[]): Promise<PhaseResult[]> => {
      const runs = new Map<PhaseSpec, PhaseRun[]>(specs.map((spec) => [spec, []]));
      const used = new Map<PhaseSpec, { cpu: CpuPerOp; ops: number; storage: StorageCallSummary[] }>(
        specs.map((spec) => [spec, { cpu: { azurite: 0, service: 0, loadGenerator: 0 }, ops: 0, storage: [] }]),
      );
      for (let round = 0; round < options.rounds; round += 1) {
        for (const spec of specs) {
          if (!selected(spec)) continue;
          const warmupMs = round === 0 ? phase.warmupMs : Math.min(phase.warmupMs, 300);
          const durationMs = phase.durationMs / options.rounds;
          const before = cpuSnapshot(pids);
          const run = await runPhaseWithSamples(spec.name, { concurrency: phase.concurrency, durationMs, warmupMs }, spec.operation, round * 10_000_000);
          const after = cpuSnapshot(pids);
          const slot = used.get(spec)!;
          for (const key of ['azurite', 'service', 'loadGenerator'] as const) slot.cpu[key] += after[key] - before[key];
          slot.ops += run.result.ops * (1 + warmupMs / durationMs);
          if (spec.http) slot.storage.push(await logs.since());
          runs.get(spec)!.push(run);
        }
      }
      return specs.map((spec) => {
        if (!selected(spec)) return skipped(spec.name, 'not selected (--phases)');
        const result = mergeRuns(runs.get(spec)!);
        const slot = used.get(spec)!;
        cpu[spec.name] = cpuPerOp({ azurite: 0, service: 0, loadGenerator: 0 }, slot.cpu, slot.ops);
        if (spec.http) storage[spec.name] = mergeStorage(slot.storage);
        results.push(result);
        print(result, storage[spec.name], cpu[spec.name]);
        return result;
      });
    };
    const probe = async (method: string, path: string, expected: number) => (await client.send(method, path, auth)).status === expected;

    const rawReadSpec: PhaseSpec = {
      key: 'rawRead',
      name: 'raw point read',
      http: false,
      operation: async () => {
        await raw.getEntity(fixture.driveId, 'k:read');
        return { label: 'ok', ok: true };
      },
    };
    const existingSpec: PhaseSpec = {
      key: 'existing',
      name: 'createLink, existing link',
      http: true,
      operation: httpOperation(client, [200], () => ({ method: 'POST', path: `/v1.0/me/drive/items/${fixture.existingItem}/createLink`, headers: auth, body: EXISTING_BODY })),
    };
    const listPath = `/v1.0/me/drive/items/${fixture.deepFolder}/permissions`;
    const listSpec: PhaseSpec = {
      key: 'list',
      name: 'permissions, folder depth 5',
      http: true,
      operation: httpOperation(client, [200], () => ({ method: 'GET', path: listPath, headers: auth })),
    };
    const sharePath = `/v1.0/shares/${fixture.shareId}`;
    const resolveSpec: PhaseSpec = {
      key: 'resolve',
      name: 'resolve share',
      http: true,
      operation: httpOperation(client, [200], () => ({ method: 'GET', path: sharePath, headers: auth })),
    };
    const rawInsertSpec: PhaseSpec = {
      key: 'rawInsert',
      name: 'raw insert',
      http: false,
      operation: async (sequence) => {
        await raw.createEntity({ partitionKey: fixture.driveId, rowKey: `k:${sequence}`, ...rawEntity });
        return { label: 'ok', ok: true };
      },
    };
    // Informational: a transaction of the same shape as a new link's (merge the item row, insert two rows).
    await raw.createEntity({ partitionKey: fixture.driveId, rowKey: 'i:raw', name: 'raw.txt' });
    const rawTransactionSpec: PhaseSpec = {
      key: 'rawTransaction',
      name: 'raw transaction (3 rows)',
      http: false,
      operation: async (sequence) => {
        await raw.submitTransaction([
          ['update', { partitionKey: fixture.driveId, rowKey: 'i:raw', lastLink: sequence }, 'Merge', { etag: '*' }],
          ['create', { partitionKey: fixture.driveId, rowKey: `t:k:${sequence}`, ...rawEntity }],
          ['create', { partitionKey: fixture.driveId, rowKey: `t:p:${sequence}`, ...rawEntity }],
        ]);
        return { label: 'ok', ok: true };
      },
    };
    const newSpec: PhaseSpec = {
      key: 'new',
      name: 'createLink, new link',
      http: true,
      operation: httpOperation(client, [201], (sequence) => ({
        method: 'POST',
        path: `/v1.0/me/drive/items/${fixture.freshItem}/createLink`,
        headers: auth,
        body: newLinkBody(sequence),
      })),
    };

    // Reads first: Azurite scans whole tables for queries, so the listing is measured before the inserts grow them.
    const [rawRead, existing] = (await measure(rawReadSpec, existingSpec)) as [PhaseResult, PhaseResult];
    const [listing = skipped(listSpec.name, "not run")] = (await probe('GET', listPath, 200)) ? await measure(listSpec) : [skipped(listSpec.name, `GET ${listPath} does not answer 200 yet`)];
    const [resolveShare = skipped(resolveSpec.name, "not run")] = (await probe('GET', sharePath, 200)) ? await measure(resolveSpec) : [skipped(resolveSpec.name, 'GET /v1.0/shares/{shareId} does not answer 200 yet')];
    const [rawInsert, rawTransaction, created] = (await measure(rawInsertSpec, rawTransactionSpec, newSpec)) as [PhaseResult, PhaseResult, PhaseResult];
    // Informational: the same listing once the drive holds the new-link phase's links (the listing reads every
    // permission row of the drive, and Azurite scans the whole table for a query).
    const listLargeSpec: PhaseSpec = { ...listSpec, key: 'listLarge', name: `permissions, depth 5, +${created.ops} links` };
    if ((!options.phases || options.phases.has('listLarge')) && (await probe('GET', listPath, 200))) await measure(listLargeSpec);

    const ratios = {
      existingVsRawRead: { throughput: ratio(existing.throughput, rawRead.throughput), p99: ratio(existing.p99Ms, rawRead.p99Ms) },
      newVsRawInsert: { throughput: ratio(created.throughput, rawInsert.throughput), p99: ratio(created.p99Ms, rawInsert.p99Ms) },
      /** Not a target: how close a new link gets to the storage transaction it is built on. */
      newVsRawTransaction: { throughput: ratio(created.throughput, rawTransaction.throughput), p99: ratio(created.p99Ms, rawTransaction.p99Ms) },
    };
    const targets = {
      existingThroughput: { target: '>= 0.6', met: ratios.existingVsRawRead.throughput >= 0.6 },
      newThroughput: { target: '>= 0.5', met: ratios.newVsRawInsert.throughput >= 0.5 },
      existingP99: { target: '< 3', met: ratios.existingVsRawRead.p99 < 3 },
      newP99: { target: '< 3', met: ratios.newVsRawInsert.p99 < 3 },
    };
    console.log('\nratios service / baseline');
    console.log(`  existing link vs raw point read: throughput x${ratios.existingVsRawRead.throughput} (target >= 0.6 ${mark(targets.existingThroughput.met)}), p99 x${ratios.existingVsRawRead.p99} (target < 3 ${mark(targets.existingP99.met)})`);
    console.log(`  new link vs raw insert:          throughput x${ratios.newVsRawInsert.throughput} (target >= 0.5 ${mark(targets.newThroughput.met)}), p99 x${ratios.newVsRawInsert.p99} (target < 3 ${mark(targets.newP99.met)})`);
    console.log(`  (new link vs raw 3-row transaction: throughput x${ratios.newVsRawTransaction.throughput}, p99 x${ratios.newVsRawTransaction.p99}; not a target)`);

    // Cold start: process start to the first successful createLink, against a bare @azure/functions handler.
    let cold;
    if (options.coldRuns > 0) {
      const coldService: number[] = [];
      const coldListening: number[] = [];
      const coldHello: number[] = [];
      for (let run = 0; run < options.coldRuns; run += 1) {
        coldHello.push((await coldStart(HELLO_SCRIPT, {}, async (at) => (await once(at, 'GET', '/api/hello')).status === 200)).readyMs);
        const service = await coldStart(SERVE_SCRIPT, { ...env, SERVE_QUIET: '1' }, async (at) => {
          const answer = await once(at, 'POST', `/v1.0/me/drive/items/${fixture.existingItem}/createLink`, auth, EXISTING_BODY);
          if (answer.status !== 200 && answer.status !== 201) throw new Error(`cold createLink answered ${answer.status}`);
          return true;
        });
        coldService.push(service.readyMs);
        coldListening.push(service.listeningMs);
      }
      cold = {
        runs: options.coldRuns,
        serviceFirstCreateLinkMs: Math.round(median(coldService)),
        serviceListeningMs: Math.round(median(coldListening)),
        helloWorldFirstAnswerMs: Math.round(median(coldHello)),
        ratio: ratio(median(coldService), median(coldHello)),
        samples: { service: coldService.map(Math.round), serviceListening: coldListening.map(Math.round), hello: coldHello.map(Math.round) },
      };
      console.log(
        `\ncold start (median of ${cold.runs}): first createLink ${cold.serviceFirstCreateLinkMs} ms (listening after ${cold.serviceListeningMs} ms); ` +
          `bare @azure/functions hello world ${cold.helloWorldFirstAnswerMs} ms; ratio x${cold.ratio}`,
      );
    }

    // The soak gets a fresh service process on fresh tables: its RSS is the soak's alone, and Azurite (which scans a
    // whole table for every query) starts from the same small table the listing phase saw.
    let soak: SoakResult | undefined;
    if (options.soak > 0) {
      const soakLog = join(work, 'soak.log');
      const soakService = spawnService({ script: SERVE_SCRIPT, port: await freePort(), env: { ...env, TABLES_PREFIX: `${prefix}soak` }, logFile: soakLog });
      try {
        await waitUntil(async () => (await once(soakService.origin, 'GET', '/v1.0/')).status > 0, 30_000, 20);
        const soakClient = new HttpClient(new URL(soakService.origin), options.soakConcurrency);
        clients.push(soakClient);
        const soakFixture = await setUp(soakClient, await idp.user('carol'), await idp.user('dave'));
        const soakLogs = new LogReader(soakLog);
        await soakLogs.since();
        soak = await runSoak(soakClient, soakService, azurite.pid, soakFixture, options, listing.ops > 0, resolveShare.ops > 0);
        storage.soak = await soakLogs.since();
      } finally {
        await soakService.stop();
      }
    }

    await service.stop();
    service = undefined;
    const profile = options.profile ? await summarizeProfile(profileDir) : undefined;
    if (profile) printProfile(profile);

    const report = {
      when: new Date().toISOString(),
      machine: { node: process.version, cpus: availableParallelism(), model: cpus()[0]?.model },
      options: { ...options, phases: options.phases ? [...options.phases] : 'all' },
      phases: results,
      storageCallsPerRequest: Object.fromEntries(Object.entries(storage).map(([name, summary]) => [name, summary.perRequest])),
      storageCalls: storage,
      cpuMsPerOperation: cpu,
      ratios,
      targets,
      ...(cold ? { coldStart: cold } : {}),
      ...(soak ? { soak } : {}),
      ...(profile ? { profile } : {}),
    };
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${options.out}`);
    if (soak && (soak.fiveHundreds > 0 || soak.failures > 0)) process.exitCode = 1;
  } finally {
    for (const client of clients) client.close();
    await service?.stop();
    await idp?.close();
    await azurite?.stop();
    rmSync(work, { recursive: true, force: true });
  }

  /** Process start to the first answer that `ready` accepts; also when the port first answered at all. */
  async function coldStart(script: string, childEnv: Record<string, string>, ready: (origin: string) => Promise<boolean>): Promise<{ listeningMs: number; readyMs: number }> {
    const port = await freePort();
    const started = performance.now();
    const child = spawnService({ script, port, env: childEnv });
    try {
      // A bare TCP connect (no request): the first HTTP request is the one being timed.
      await waitUntil(() => portOpen(port), 30_000, 1);
      const listeningMs = performance.now() - started;
      await waitUntil(() => ready(child.origin), 30_000, 1);
      return { listeningMs, readyMs: performance.now() - started };
    } finally {
      await child.stop();
    }
  }

}


function skipped(name: string, reason: string): PhaseResult {
  console.log(`${name.padEnd(30)} skipped: ${reason}`);
  return { name, concurrency: 0, seconds: 0, ops: 0, failures: 0, throughput: 0, p50Ms: 0, p99Ms: 0, meanMs: 0, outcomes: { skipped: 1 } };
}

const mark = (met: boolean) => (met ? 'met' : 'NOT met');

interface PhaseSpec {
  /** Name for --phases. */
  readonly key: string;
  readonly name: string;
  /** Goes through the service (its log lines count storage round trips), rather than straight to storage. */
  readonly http: boolean;
  readonly operation: Operation;
}

function mergeStorage(parts: readonly StorageCallSummary[]): StorageCallSummary {
  const byKey: StorageCallSummary['byKey'] = {};
  let requests = 0;
  let storageCalls = 0;
  for (const part of parts) {
    requests += part.requests;
    storageCalls += part.storageCalls;
    for (const [key, slot] of Object.entries(part.byKey)) {
      const into = (byKey[key] ??= { requests: 0, storageCalls: 0, max: 0 });
      into.requests += slot.requests;
      into.storageCalls += slot.storageCalls;
      into.max = Math.max(into.max, slot.max);
    }
  }
  return { requests, storageCalls, perRequest: requests ? Math.round((storageCalls / requests) * 1000) / 1000 : 0, byKey };
}

interface CpuPerOp {
  azurite: number;
  service: number;
  loadGenerator: number;
}

function cpuSnapshot(pids: { azurite: number; service: number }): CpuPerOp {
  const self = process.cpuUsage();
  return { azurite: cpuMs(pids.azurite), service: cpuMs(pids.service), loadGenerator: (self.user + self.system) / 1000 };
}

/** CPU ms each process spent per operation (warm-up included, estimated from the measured rate). */
function cpuPerOp(before: CpuPerOp, after: CpuPerOp, ops: number): CpuPerOp {
  const per = (key: keyof CpuPerOp) => Math.round(((after[key] - before[key]) / Math.max(1, ops)) * 1000) / 1000;
  return { azurite: per('azurite'), service: per('service'), loadGenerator: per('loadGenerator') };
}

function print(result: PhaseResult, storage?: StorageCallSummary, cpu?: CpuPerOp) {
  const outcomes = Object.entries(result.outcomes)
    .map(([label, count]) => `${label}:${count}`)
    .join(' ');
  console.log(
    `${result.name.padEnd(30)} ${result.throughput.toFixed(0).padStart(6)} ops/s  p50 ${result.p50Ms.toFixed(2).padStart(6)} ms  p99 ${result.p99Ms.toFixed(2).padStart(6)} ms` +
      `  [${outcomes}]${storage ? `  storage round trips/request ${storage.perRequest}` : ''}` +
      (cpu ? `\n${''.padEnd(32)}CPU ms/op: Azurite ${cpu.azurite}, service ${cpu.service}, load generator ${cpu.loadGenerator}` : ''),
  );
}

function printProfile(profile: ProfileSummary) {
  console.log(`\nservice CPU profile (${profile.file}, ${profile.totalMs} ms sampled), self time by area (% of busy time):`);
  for (const { area, ms, percentOfBusy } of profile.byArea.slice(0, 15)) console.log(`  ${String(percentOfBusy).padStart(5)}%  ${String(ms).padStart(6)} ms  ${area}`);
  console.log('top functions by self time:');
  for (const { fn, ms, percentOfBusy } of profile.topFunctions.slice(0, 20)) console.log(`  ${String(percentOfBusy).padStart(5)}%  ${String(ms).padStart(6)} ms  ${fn}`);
  console.log('inclusive time of our code and the library calls it makes:');
  for (const { fn, ms, percentOfBusy } of profile.topInclusive.slice(0, 25)) console.log(`  ${String(percentOfBusy).padStart(5)}%  ${String(ms).padStart(6)} ms  ${fn}`);
}

interface SoakResult {
  seconds: number;
  concurrency: number;
  mix: Record<string, number>;
  requests: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  outcomes: Record<string, number>;
  fiveHundreds: number;
  failures: number;
  /** Completed requests per 10 s of the soak, to show whether throughput holds. */
  perTenSeconds: number[];
  /** CPU ms per request of Azurite and of the service in each 10 s window: which side slows down, if any. */
  cpuMsPerRequestPerTenSeconds: { azurite: number; service: number }[];
  rssMiB: { start: number; end: number; max: number; samples: number[] };
}

/** 60 s at concurrency 64 over a mix of create (existing and new links), list and resolve: no 5xx, flat memory. */
async function runSoak(client: HttpClient, service: ChildService, azuritePid: number, fixture: Fixture, options: Options, withList: boolean, withResolve: boolean): Promise<SoakResult> {
  const auth = { authorization: `Bearer ${fixture.token}` };
  const kinds = [
    { name: 'createLink existing', weight: 35, expected: [200] },
    { name: 'createLink new', weight: 25, expected: [201] },
    ...(withList ? [{ name: 'permissions list', weight: 20, expected: [200] }] : []),
    ...(withResolve ? [{ name: 'resolve share', weight: 20, expected: [200] }] : []),
  ];
  const total = kinds.reduce((sum, kind) => sum + kind.weight, 0);
  const wheel = kinds.flatMap((kind) => Array.from({ length: kind.weight }, () => kind));
  const byKind: Record<string, number> = {};
  const windows: number[] = [];
  let soakStarted = 0;
  const operation: Operation = async (sequence) => {
    const kind = wheel[sequence % total]!;
    byKind[kind.name] = (byKind[kind.name] ?? 0) + 1;
    let answer;
    switch (kind.name) {
      case 'createLink existing':
        answer = await client.send('POST', `/v1.0/me/drive/items/${fixture.existingItem}/createLink`, auth, EXISTING_BODY);
        break;
      case 'createLink new':
        // In bob's drive: alice's stays the size the listing was measured at.
        answer = await client.send('POST', `/v1.0/me/drive/items/${fixture.otherItem}/createLink`, { authorization: `Bearer ${fixture.otherToken}` }, newLinkBody(sequence));
        break;
      case 'permissions list':
        answer = await client.send('GET', `/v1.0/me/drive/items/${fixture.deepFolder}/permissions`, auth);
        break;
      default:
        answer = await client.send('GET', `/v1.0/shares/${fixture.shareId}`, auth);
    }
    const window = Math.floor((performance.now() - soakStarted) / 10_000);
    windows[window] = (windows[window] ?? 0) + 1;
    return { label: `${answer.status}`, ok: kind.expected.includes(answer.status) };
  };
  console.log(`\nsoak: ${options.soak} s at concurrency ${options.soakConcurrency}, mix ${kinds.map((kind) => `${kind.name} ${Math.round((kind.weight / total) * 100)}%`).join(', ')}`);
  // Warm-up (not counted): JIT, sockets and caches settle, so the start RSS is the steady state, not the cold process.
  await runPhase('soak warm-up', { concurrency: options.soakConcurrency, durationMs: 5_000, warmupMs: 0 }, operation, 90_000_000);
  for (const key of Object.keys(byKind)) delete byKind[key];
  windows.length = 0;
  const samples: number[] = [];
  const start = service.rssMiB();
  samples.push(start);
  const cpuMarks: { azurite: number; service: number }[] = [{ azurite: cpuMs(azuritePid), service: cpuMs(service.pid) }];
  let ticks = 0;
  const sampler = setInterval(() => {
    samples.push(service.rssMiB());
    if (++ticks % 2 === 0) cpuMarks.push({ azurite: cpuMs(azuritePid), service: cpuMs(service.pid) });
  }, 5_000);
  soakStarted = performance.now();
  let result: PhaseResult;
  try {
    result = await runPhase('soak', { concurrency: options.soakConcurrency, durationMs: options.soak * 1000, warmupMs: 0 }, operation);
  } finally {
    clearInterval(sampler);
  }
  await sleep(200);
  const end = service.rssMiB();
  samples.push(end);
  const fiveHundreds = Object.entries(result.outcomes).reduce((sum, [label, count]) => sum + (/^5\d\d$/.test(label) ? count : 0), 0);
  const soak: SoakResult = {
    seconds: result.seconds,
    concurrency: options.soakConcurrency,
    mix: byKind,
    requests: result.ops,
    throughput: result.throughput,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    outcomes: result.outcomes,
    fiveHundreds,
    failures: result.failures,
    perTenSeconds: Array.from({ length: Math.ceil(options.soak / 10) }, (_, index) => windows[index] ?? 0),
    cpuMsPerRequestPerTenSeconds: cpuMarks.slice(1).map((mark, index) => {
      const requests = Math.max(1, windows[index] ?? 0);
      const round3 = (value: number) => Math.round(value * 1000) / 1000;
      return { azurite: round3((mark.azurite - cpuMarks[index]!.azurite) / requests), service: round3((mark.service - cpuMarks[index]!.service) / requests) };
    }),
    rssMiB: { start, end, max: Math.max(...samples), samples },
  };
  print(result);
  console.log(`  5xx: ${fiveHundreds}; unexpected answers: ${result.failures}; service RSS start ${start} MiB, end ${end} MiB, max ${soak.rssMiB.max} MiB`);
  console.log(`  requests per 10 s: ${soak.perTenSeconds.join(', ')}; RSS every 5 s: ${samples.join(', ')} MiB`);
  console.log(`  CPU ms per request per 10 s (Azurite / service): ${soak.cpuMsPerRequestPerTenSeconds.map(({ azurite, service: own }) => `${azurite}/${own}`).join(', ')}`);
  return soak;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
