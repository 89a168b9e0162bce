import { RestError } from '@azure/data-tables';

/** The status Table Storage answered with, or undefined when it never answered (network, timeout, DNS). */
export const storageStatus = (error: unknown): number | undefined =>
  error instanceof RestError ? error.statusCode : undefined;

export const isNotFound = (error: unknown) => storageStatus(error) === 404;
export const isConflict = (error: unknown) => storageStatus(error) === 409;
export const isPreconditionFailed = (error: unknown) => storageStatus(error) === 412;

/**
 * Storage could not be reached or is overloaded: the caller gets 503 with Retry-After instead of a 500.
 * A RestError without a status means the request never got an answer (connection refused, reset, timeout).
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (error instanceof RestError) {
    const status = error.statusCode;
    return status === undefined || status === 408 || status === 429 || status === 500 || status === 503 || status === 504;
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return (
      error.name === 'AbortError' ||
      error.name === 'TimeoutError' ||
      // Managed identity could not produce a token for storage (IMDS down, identity not assigned yet).
      error.name === 'CredentialUnavailableError' ||
      error.name === 'AuthenticationError' ||
      error.name === 'AggregateAuthenticationError' ||
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'ETIMEDOUT' ||
      code === 'EPIPE' ||
      code === 'ENOTFOUND' ||
      code === 'EAI_AGAIN'
    );
  }
  return false;
}
