/** Graph's top-level error codes and the status each one travels with (SPEC section 8). */
export const errorStatus = {
  invalidRequest: 400,
  unauthenticated: 401,
  accessDenied: 403,
  itemNotFound: 404,
  methodNotAllowed: 405,
  nameAlreadyExists: 409,
  preconditionFailed: 412,
  requestTooLarge: 413,
  unsupportedMediaType: 415,
  notSupported: 400,
  generalException: 500,
  serviceNotAvailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/**
 * An error the caller is meant to see. Anything else that escapes a handler is unexpected and is answered with a
 * bare 500 `generalException` whose message reveals nothing.
 */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    status?: number,
  ) {
    super(message);
    this.status = status ?? errorStatus[code];
  }
}

export const invalidRequest = (message: string) => new GraphError('invalidRequest', message);
export const itemNotFound = (message = 'The resource could not be found.') => new GraphError('itemNotFound', message);
export const accessDenied = (message = 'Access denied') => new GraphError('accessDenied', message);
export const notSupported = (message: string) => new GraphError('notSupported', message);
export const serviceNotAvailable = (retryAfterSeconds = 5) =>
  new GraphError('serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.', {
    'Retry-After': String(retryAfterSeconds),
  });

export const unauthenticated = (description?: string) =>
  new GraphError('unauthenticated', description ?? 'Access token is missing or invalid.', {
    'WWW-Authenticate': description
      ? `Bearer realm="sharing", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`
      : 'Bearer realm="sharing"',
  });

/** Graph writes `innerError.date` without fractional seconds and without a zone designator. */
export const graphDate = (at: Date = new Date()) => at.toISOString().slice(0, 19);

export function errorEnvelope(error: { code: string; message: string }, requestId: string, clientRequestId?: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: graphDate(),
        'request-id': requestId,
        ...(clientRequestId === undefined ? {} : { 'client-request-id': clientRequestId }),
      },
    },
  };
}
