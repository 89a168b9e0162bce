import { randomUUID } from 'node:crypto';
import { RestError } from '@azure/data-tables';
import type { HttpFunctionOptions, HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { corsHeaders, isPreflight, preflightResponse } from './cors.js';
import { GraphError, errorEnvelope, serviceNotAvailable } from './errors.js';
import { runInScope, type RequestScope } from './requestScope.js';
import { isStorageUnavailable } from '../storage/errors.js';

export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** One HTTP function: one route template, the methods it answers and the handler for each. */
export interface Registration {
  readonly name: string;
  readonly route: string;
  readonly methods: Partial<Record<HttpMethod, Handler>>;
}

/** What `app.http` accepts: the registration module is written against this, so the Functions host and the local host get the same calls. */
export interface HttpRegistrar {
  http(name: string, options: HttpFunctionOptions): void;
}

/** Every method a function is registered for, so that a wrong method reaches us and gets Graph's 405, not the host's. */
export const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const CLIENT_REQUEST_ID_MAX = 200;

/**
 * Wraps the handlers of one route template with what every answer needs: request ids, Graph's error envelope,
 * 405 for other methods, CORS on the API, and exactly one log line.
 */
export function dispatch(registration: Registration): Handler {
  const allowed = Object.keys(registration.methods).join(', ');
  const api = registration.route.startsWith('v1.0/');
  return async (request, context) => {
    const started = performance.now();
    const requestId = randomUUID();
    const clientRequestId = sanitizeClientRequestId(request.headers.get('client-request-id'));
    const scope: RequestScope = { requestId, storageCalls: 0 };
    const response = await runInScope(scope, async () => {
      try {
        if (api && isPreflight(request)) return preflightResponse(allowed);
        const handler = registration.methods[request.method as HttpMethod];
        if (!handler) {
          throw new GraphError('invalidRequest', `The HTTP method '${request.method}' is not allowed on this resource.`, { Allow: allowed }, 405);
        }
        return await handler(request, context);
      } catch (error) {
        return errorResponse(toGraphError(error, context), requestId, clientRequestId);
      }
    });
    response.headers = {
      ...(response.headers as Record<string, string> | undefined),
      ...(api ? corsHeaders : {}),
      ...idHeaders(requestId, clientRequestId),
    };
    const status = response.status ?? 200;
    const line = {
      requestId,
      method: request.method,
      route: registration.route,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      tenant: scope.tenantId,
      storageCalls: scope.storageCalls,
    };
    if (status >= 500) context.warn('request', line);
    else context.log('request', line);
    return response;
  };
}

/** Every answer carries `request-id` and echoes `client-request-id`. */
const idHeaders = (requestId: string, clientRequestId?: string): Record<string, string> => ({
  'request-id': requestId,
  ...(clientRequestId === undefined ? {} : { 'client-request-id': clientRequestId }),
});

export function sanitizeClientRequestId(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  // Echoed in a header and in JSON: keep it printable and short so it can never break either.
  const clean = value.replace(/[^\x20-\x7e]/g, '').slice(0, CLIENT_REQUEST_ID_MAX);
  return clean.length > 0 ? clean : undefined;
}

function toGraphError(error: unknown, context: InvocationContext): GraphError {
  if (error instanceof GraphError) return error;
  if (isStorageUnavailable(error)) {
    context.warn('storage unavailable', describe(error));
    return serviceNotAvailable();
  }
  context.error('unexpected error', error instanceof Error ? error.stack ?? error.message : String(error));
  return new GraphError('generalException', 'An unexpected error occurred while processing the request.');
}

function describe(error: unknown): string {
  if (error instanceof RestError) return `${error.name} ${error.code ?? ''} ${error.statusCode ?? ''}`.trim();
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function errorResponse(error: GraphError, requestId: string, clientRequestId?: string): HttpResponseInit {
  return {
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...error.headers, ...idHeaders(requestId, clientRequestId) },
    jsonBody: errorEnvelope(error, requestId, clientRequestId),
  };
}
