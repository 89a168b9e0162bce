import { Agent, request } from 'node:http';

export interface PhaseOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  /** Run this long first without recording, so caches, sockets and the JIT are warm. */
  readonly warmupMs: number;
}

export interface PhaseResult {
  readonly name: string;
  readonly concurrency: number;
  readonly seconds: number;
  readonly ops: number;
  readonly failures: number;
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Status counts (HTTP phases) or 'ok'/'error' (raw storage phases). */
  readonly outcomes: Record<string, number>;
  /** Per-round throughputs when the phase ran in several interleaved rounds. */
  readonly rounds?: number[];
}

/** A phase's result and its latency samples, so interleaved rounds of one phase can be merged. */
export interface PhaseRun {
  readonly result: PhaseResult;
  readonly samples: Float64Array;
}

/**
 * One operation of a phase: resolves to an outcome label ('200', '201', 'ok', …) and whether it is what the phase
 * expects. Throwing counts as a failure labelled with the error's name.
 */
export type Operation = (sequence: number) => Promise<{ label: string; ok: boolean }>;

class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * A closed-loop load: `concurrency` workers each run `operation` back to back for the duration. Latency is measured
 * per operation (performance.now); throughput is completed operations per second of the measured window.
 */
export async function runPhase(name: string, options: PhaseOptions, operation: Operation, sequenceStart = 0): Promise<PhaseResult> {
  return (await runPhaseWithSamples(name, options, operation, sequenceStart)).result;
}

export async function runPhaseWithSamples(name: string, options: PhaseOptions, operation: Operation, sequenceStart = 0): Promise<PhaseRun> {
  let sequence = sequenceStart;
  let recording = false;
  let stop = false;
  const samples = new Samples();
  const outcomes: Record<string, number> = {};
  let failures = 0;

  const worker = async () => {
    while (!stop) {
      const started = performance.now();
      let label: string;
      let ok: boolean;
      try {
        ({ label, ok } = await operation(sequence++));
      } catch (error) {
        label = error instanceof Error ? `${error.name}${(error as { code?: string }).code ? `:${(error as { code?: string }).code}` : ''}` : 'error';
        ok = false;
      }
      if (!recording || stop) continue;
      samples.push(performance.now() - started);
      outcomes[label] = (outcomes[label] ?? 0) + 1;
      if (!ok) failures += 1;
    }
  };

  const workers = Array.from({ length: options.concurrency }, worker);
  await sleep(options.warmupMs);
  recording = true;
  const started = performance.now();
  await sleep(options.durationMs);
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(workers);

  const sorted = samples.sorted();
  return { result: summarize(name, options.concurrency, seconds, sorted, failures, outcomes), samples: sorted };
}

function summarize(name: string, concurrency: number, seconds: number, sorted: Float64Array, failures: number, outcomes: Record<string, number>): PhaseResult {
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    name,
    concurrency,
    seconds: round(seconds, 3),
    ops: sorted.length,
    failures,
    throughput: round(sorted.length / seconds, 1),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(sum / Math.max(1, sorted.length)),
    outcomes,
  };
}

/** One result from interleaved rounds of the same phase: total throughput over total time, percentiles over all samples. */
export function mergeRuns(runs: readonly PhaseRun[]): PhaseResult {
  const first = runs[0]!.result;
  const all = new Float64Array(runs.reduce((sum, run) => sum + run.samples.length, 0));
  let at = 0;
  for (const run of runs) {
    all.set(run.samples, at);
    at += run.samples.length;
  }
  all.sort();
  const outcomes: Record<string, number> = {};
  for (const run of runs) for (const [label, count] of Object.entries(run.result.outcomes)) outcomes[label] = (outcomes[label] ?? 0) + count;
  const seconds = runs.reduce((sum, run) => sum + run.result.seconds, 0);
  const failures = runs.reduce((sum, run) => sum + run.result.failures, 0);
  return { ...summarize(first.name, first.concurrency, seconds, all, failures, outcomes), rounds: runs.map((run) => run.result.throughput) };
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP/1.1 request to 127.0.0.1; `agent: false` opens a fresh connection, as a cold client would. */
export function sendRequest(
  origin: URL,
  agent: Agent | false,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const outgoing = request(
      {
        host: origin.hostname,
        port: origin.port,
        method,
        path,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.once('end', () => done({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        incoming.once('error', fail);
      },
    );
    outgoing.once('error', fail);
    outgoing.end(body);
  });
}

/** A small keep-alive HTTP/1.1 client for 127.0.0.1 (cheaper per request than fetch, so the load generator stays light). */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly origin: URL,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
    return sendRequest(this.origin, this.agent, method, path, headers, body);
  }


  close() {
    this.agent.destroy();
  }
}
