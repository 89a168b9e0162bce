import { DefaultAzureCredential } from '@azure/identity';
import {
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
  type TableServiceClientOptions,
} from '@azure/data-tables';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Config } from '../config.js';
import { currentScope } from '../http/requestScope.js';
import { isConflict, isNotFound } from './errors.js';

export type Entity = TableEntityResult<Record<string, unknown>>;

/**
 * Counts every HTTP attempt to storage (retries included) against the request being served, so tests can assert
 * how many round trips an operation costs: unlike timings, these counts are deterministic.
 */
const roundTripCounter: PipelinePolicy = {
  name: 'sharingRoundTripCounter',
  sendRequest: (request, next) => {
    const scope = currentScope();
    if (scope) scope.storageCalls += 1;
    return next(request);
  },
};

/**
 * A storage outage must end in a prompt 503, not a request hanging past the HTTP limit: two quick retries, then give
 * up. Each attempt is also bounded by a timeout.
 */
const ATTEMPT_TIMEOUT_MS = 5_000;
const boundedAttempts: PipelinePolicy = {
  name: 'sharingBoundedAttempts',
  sendRequest: (request, next) => {
    if (!request.timeout) request.timeout = ATTEMPT_TIMEOUT_MS;
    return next(request);
  },
};
const clientOptions: TableServiceClientOptions = {
  retryOptions: { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 1_000 },
  additionalPolicies: [
    { policy: boundedAttempts, position: 'perCall' },
    { policy: roundTripCounter, position: 'perRetry' },
  ],
};

/** A table created on first use, once per process; a failed creation is retried by the next caller. */
export class Table {
  private ready: Promise<void> | undefined;

  constructor(readonly client: TableClient) {}

  get name() {
    return this.client.tableName;
  }

  private ensure(): Promise<void> {
    this.ready ??= this.client.createTable().then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        if (!isConflict(error)) throw error;
      },
    );
    return this.ready;
  }

  /** Point read; undefined when the entity does not exist. */
  async get(partitionKey: string, rowKey: string): Promise<Entity | undefined> {
    await this.ensure();
    try {
      return await this.client.getEntity(partitionKey, rowKey);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(entity: TableEntity): Promise<void> {
    await this.ensure();
    await this.client.createEntity(entity);
  }

  async upsert(entity: TableEntity): Promise<void> {
    await this.ensure();
    await this.client.upsertEntity(entity, 'Merge');
  }

  /** All-or-nothing within one partition: the basis of every multi-row write in this service. */
  async transact(actions: TransactionAction[]): Promise<void> {
    await this.ensure();
    await this.client.submitTransaction(actions);
  }

  async query(filter: string, select?: string[]): Promise<Entity[]> {
    await this.ensure();
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
  const make = (suffix: string) => new Table(createTableClient(config, `${config.TABLES_PREFIX}${suffix}`));
  return { drives: make('drives'), tenants: make('tenants') };
}

function createTableClient(config: Config, tableName: string): TableClient {
  if (config.TABLES_CONNECTION_STRING) {
    const connection = config.TABLES_CONNECTION_STRING;
    const insecure = /UseDevelopmentStorage=true|Endpoint=http:\/\//i.test(connection);
    return TableClient.fromConnectionString(connection, tableName, { ...clientOptions, allowInsecureConnection: insecure });
  }
  // Managed identity in Azure (AZURE_CLIENT_ID selects a user-assigned one); developer credentials elsewhere.
  return new TableClient(config.TABLES_ENDPOINT!, tableName, sharedCredential(), clientOptions);
}

let credential: DefaultAzureCredential | undefined;
const sharedCredential = () => (credential ??= new DefaultAzureCredential());
