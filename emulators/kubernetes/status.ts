/**
 * The API server's `Status` object (apiVersion v1, kind Status) that every failed call answers
 * with; clients branch on `reason` and `code`, so those follow the real server.
 */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A failed call: thrown inside the emulator, answered as a Status. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'KubeError';
  }

  body(): Record<string, unknown> {
    return statusBody('Failure', this.code, this.message, this.reason, this.details);
  }
}

export function statusBody(status: 'Success' | 'Failure', code: number, message?: string, reason?: string, details?: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status,
    ...(message !== undefined ? { message } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(details !== undefined ? { details } : {}),
    code,
  };
}

/** `jobs.batch` for grouped resources, `secrets` for core ones, as the server names them in messages. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(plural: string, group: string, name: string): KubeError {
  return new KubeError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, detailsFor(plural, group, name));
}

export function alreadyExists(plural: string, group: string, name: string): KubeError {
  return new KubeError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, detailsFor(plural, group, name));
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new KubeError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, { name, group, kind, causes });
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message);
}

function detailsFor(plural: string, group: string, name: string): StatusDetails {
  return group ? { name, group, kind: plural } : { name, kind: plural };
}
