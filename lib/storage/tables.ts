import type { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import {
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
  type TableServiceClientOptions,
} from '@azure/data-tables';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type HttpClient,
  type PipelinePolicy,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { Config } from '../config.js';
import { currentScope, type RequestScope } from '../http/requestScope.js';
import { isConflict, isNotFound } from './errors.js';

export type Entity = TableEntityResult<Record<string, unknown>>;

/**
 * A storage outage must end in a prompt 503, never in a request hanging past the HTTP limit. The budget:
 * - each attempt is bounded by ATTEMPT_TIMEOUT_MS (a timed-out attempt is not retried: the SDK treats it as aborted);
 * - connection failures (refused, reset) and 408/5xx answers are retried STORAGE_RETRIES (2) times, after ~100 ms
 *   and ~200 ms (exponential with jitter, each delay at most 1 s; a server's Retry-After is capped to that too);
 * - no attempt starts later than REQUEST_STORAGE_BUDGET_MS after the request's first storage call, and an attempt
 *   never runs past that instant.
 * Whichever comes first, the request answers 503 serviceNotAvailable with Retry-After. Worst case for one request:
 * the budget plus one retry delay (11 s).
 */
export const ATTEMPT_TIMEOUT_MS = 5_000;
export const REQUEST_STORAGE_BUDGET_MS = 10_000;
export const STORAGE_RETRIES = 2;
const MAX_RETRY_DELAY_MS = 1_000;

const deadlines = new WeakMap<RequestScope, number>();

/** Not a RestError, so the retry policy gives up at once; `isStorageUnavailable` knows it (503). */
class StorageBudgetExhausted extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('The storage time budget of this request is used up.');
  }
}

const RETRY_AFTER_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'];

/**
 * Runs once per HTTP attempt to storage (retries included). It counts the attempt against the request being served
 * (`storageCalls` in its log line), so tests can assert what an operation costs in round trips: unlike timings these
 * counts are deterministic. It also bounds the attempt by the request's budget and caps a throttling wait.
 */
const perAttempt: PipelinePolicy = {
  name: 'sharingPerAttempt',
  sendRequest: async (request, next) => {
    const scope = currentScope();
    let timeout = ATTEMPT_TIMEOUT_MS;
    if (scope) {
      let deadline = deadlines.get(scope);
      if (deadline === undefined) deadlines.set(scope, (deadline = Date.now() + REQUEST_STORAGE_BUDGET_MS));
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new StorageBudgetExhausted();
      scope.storageCalls += 1;
      timeout = Math.min(timeout, remaining);
    }
    if (!request.timeout || request.timeout > timeout) request.timeout = timeout;
    const response = await next(request);
    if (response.status === 429 || response.status === 503) {
      for (const name of RETRY_AFTER_HEADERS) if (response.headers.has(name)) response.headers.delete(name);
      response.headers.set('retry-after-ms', String(MAX_RETRY_DELAY_MS));
    }
    return response;
  },
};

const clientOptions: TableServiceClientOptions = {
  retryOptions: { maxRetries: STORAGE_RETRIES, retryDelayInMs: 100, maxRetryDelayInMs: MAX_RETRY_DELAY_MS },
  additionalPolicies: [{ policy: perAttempt, position: 'perRetry' }],
};

/** One HTTP client for the point-read fast path (its own keep-alive pool), shared by every table. */
let pointReadClient: HttpClient | undefined;

/** What data-tables' `deserialize` does with an entity's JSON (minimal metadata), for the point-read fast path. */
const PROPERTY_NAMES = new Map([
  ['PartitionKey', 'partitionKey'],
  ['RowKey', 'rowKey'],
  ['odata.etag', 'etag'],
  ['Timestamp', 'timestamp'],
]);

export function entityFromJson(body: Record<string, unknown>): Entity {
  const entity: Record<string, unknown> = {};
  const keys = Object.keys(body);
  const annotated = keys.some((key) => key.endsWith('@odata.type'));
  for (const key of keys) {
    if (annotated && key.endsWith('@odata.type')) continue;
    const type = annotated ? body[`${key}@odata.type`] : undefined;
    entity[PROPERTY_NAMES.get(key) ?? key] = type === undefined ? body[key] : typedValue(body[key], type);
  }
  return entity as Entity;
}

function typedValue(value: unknown, type: unknown): unknown {
  switch (type) {
    case 'Edm.Boolean':
    case 'Edm.Double':
    case 'Edm.Int32':
    case 'Edm.String':
      return value;
    case 'Edm.DateTime':
      return new Date(value as string);
    case 'Edm.Int64':
      return BigInt(value as string);
    case 'Edm.Guid':
      return { value, type: 'Guid' };
    case 'Edm.Binary':
      return Buffer.from(value as string, 'base64');
    default:
      throw new Error(`Unknown EDM type ${String(type)}`);
  }
}

/** A table created on first use, once per process; a failed creation is retried by the next caller. */
export class Table {
  private ready: Promise<void> | undefined;
  private readonly entityUrl: string;

  constructor(
    readonly client: TableClient,
    private readonly insecure = false,
  ) {
    this.entityUrl = `${client.url.replace(/\/$/, '')}/${client.tableName}`;
  }

  get name() {
    return this.client.tableName;
  }

  private created = false;

  private ensure(): Promise<void> | undefined {
    if (this.created) return undefined;
    this.ready ??= this.client.createTable().then(
      () => {
        this.created = true;
      },
      (error: unknown) => {
        this.ready = undefined;
        if (!isConflict(error)) throw error;
        this.created = true;
      },
    );
    return this.ready;
  }

  /**
   * Point read; undefined when the entity does not exist. This is the hot path of the service (an existing link is
   * one of these), so it goes straight through the client's own pipeline (same authentication, retries, timeouts
   * and round-trip counting) and skips the generated operation layer, whose (de)serialization cost as much CPU as
   * the rest of the request; the entity comes back exactly as `getEntity` shapes it (`getSlow` is that reference).
   */
  async get(partitionKey: string, rowKey: string): Promise<Entity | undefined> {
    if (!this.created) await this.ensure();
    const url = `${this.entityUrl}(PartitionKey='${encodeKey(partitionKey)}',RowKey='${encodeKey(rowKey)}')`;
    const request = createPipelineRequest({
      url,
      method: 'GET',
      allowInsecureConnection: this.insecure,
      headers: createHttpHeaders({ Accept: 'application/json;odata=minimalmetadata', 'x-ms-version': '2019-02-02', DataServiceVersion: '3.0' }),
    });
    const response = (await this.client.pipeline.sendRequest((pointReadClient ??= createDefaultHttpClient()), request)) as PipelineResponse & {
      parsedBody?: unknown;
    };
    if (response.status === 404) return undefined;
    if (response.status !== 200) {
      throw new RestError(`Point read failed with status ${response.status}`, {
        statusCode: response.status,
        code: response.headers.get('x-ms-error-code') ?? undefined,
        request,
        response,
      });
    }
    const body = response.parsedBody ?? JSON.parse(response.bodyAsText ?? 'null');
    if (typeof body !== 'object' || body === null) throw new RestError('Point read answered no entity', { statusCode: 200, code: RestError.PARSE_ERROR });
    return entityFromJson(body as Record<string, unknown>);
  }

  /** The SDK's own point read: the reference the fast path is tested against. */
  async getSlow(partitionKey: string, rowKey: string): Promise<Entity | undefined> {
    if (!this.created) await this.ensure();
    try {
      return await this.client.getEntity(partitionKey, rowKey);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(entity: TableEntity): Promise<void> {
    if (!this.created) await this.ensure();
    await this.client.createEntity(entity);
  }

  async upsert(entity: TableEntity): Promise<void> {
    if (!this.created) await this.ensure();
    await this.client.upsertEntity(entity, 'Merge');
  }

  /** All-or-nothing within one partition: the basis of every multi-row write in this service. */
  async transact(actions: TransactionAction[]): Promise<void> {
    if (!this.created) await this.ensure();
    await this.client.submitTransaction(actions);
  }

  async query(filter: string, select?: string[]): Promise<Entity[]> {
    if (!this.created) await this.ensure();
    const rows: Entity[] = [];
    const options = { queryOptions: select ? { filter, select } : { filter } };
    for await (const row of this.client.listEntities<Record<string, unknown>>(options)) rows.push(row);
    return rows;
  }
}

export interface Tables {
  /** One partition per drive: the drive row, its items, name reservations and links, so every write is atomic. */
  readonly drives: Table;
  /** Tenant sharing settings, one row per tenant. */
  readonly tenants: Table;
}

export function createTables(config: Config): Tables {
  const make = (suffix: string) => {
    const { client, insecure } = createTableClient(config, `${config.TABLES_PREFIX}${suffix}`);
    return new Table(client, insecure);
  };
  return { drives: make('drives'), tenants: make('tenants') };
}

/** Single quotes doubled (OData), then percent-encoded, as the SDK does for the keys in an entity's URL. */
const encodeKey = (key: string) => encodeURIComponent(key.replaceAll("'", "''"));

function createTableClient(config: Config, tableName: string): { client: TableClient; insecure: boolean } {
  if (config.TABLES_CONNECTION_STRING) {
    const connection = config.TABLES_CONNECTION_STRING;
    const insecure = /UseDevelopmentStorage=true|Endpoint=http:\/\//i.test(connection);
    return { client: TableClient.fromConnectionString(connection, tableName, { ...clientOptions, allowInsecureConnection: insecure }), insecure };
  }
  // Managed identity in Azure (AZURE_CLIENT_ID selects a user-assigned one); developer credentials elsewhere.
  return { client: new TableClient(config.TABLES_ENDPOINT!, tableName, sharedCredential(), clientOptions), insecure: false };
}

/**
 * @azure/identity is a large module tree (a third of start-up time) that only the managed-identity setup needs, so
 * it is loaded on the first token request, not at module load.
 */
let credential: Promise<DefaultAzureCredential> | undefined;
const loadCredential = () => (credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential()));
const lazyCredential: TokenCredential = {
  getToken: async (scopes, options) => (await loadCredential()).getToken(scopes, options),
};
const sharedCredential = () => lazyCredential;
