import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FRAMEWORK_NAMESPACE, sendAdoError } from './http-util';
import { identityRef } from './rest-shapes';
import type { EmulatorState } from './state';

/** Who made an authenticated call: `scopes` for a PAT limited to them, undefined for full access. */
export interface Caller {
  readonly scopes?: readonly string[];
}

/**
 * Basic with any user name and an accepted PAT as password, or Bearer with an accepted token;
 * undefined when neither. An Entra access token passes as the Basic password too: that is how an
 * agent configured with `--auth pat --token <Entra token>` (what the scaler hands agents under
 * managed identity) sends it. Entra tokens carry no scopes: ADO limits them by the identity's
 * permissions, which the emulator does not model.
 */
export function authenticate(req: IncomingMessage, state: EmulatorState): Caller | undefined {
  const header = req.headers.authorization ?? '';
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  const bearer = (token: string) => state.bearerTokens.has(token) || (state.acceptBearer?.(token) ?? false);
  if (scheme.toLowerCase() === 'bearer') return bearer(value) ? {} : undefined;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const secret = decoded.slice(colon + 1);
  if (state.pats.has(secret)) {
    const scopes = state.patScopes.get(secret);
    return scopes ? { scopes } : {};
  }
  return bearer(secret) ? {} : undefined;
}

/** What dev.azure.com answers an API call with a bad or missing credential. */
export function sendUnauthorized(res: ServerResponse, baseUrl: string): void {
  sendTf400813(res, baseUrl, '');
}

/**
 * A valid PAT without a scope the call needs: 401 as for a bad credential (users report 401 for
 * a missing scope, e.g. vsts-rest-api-specs#601, terraform-provider-azuredevops#64), but naming
 * the PAT's user. Nothing in the answer names the scope; the PAT's owner has to know it.
 */
export function sendMissingScope(res: ServerResponse, baseUrl: string): void {
  sendTf400813(res, baseUrl, String(identityRef().id));
}

function sendTf400813(res: ServerResponse, baseUrl: string, userId: string): void {
  sendAdoError(res, 401, 'UnauthorizedRequestException', `TF400813: The user '${userId}' is not authorized to access this resource.`, FRAMEWORK_NAMESPACE, {
    'WWW-Authenticate': [
      'Bearer authorization_uri=https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000',
      `Basic realm="${baseUrl}/"`,
      'TFS-Federated',
    ],
    'X-TFS-ProcessId': randomUUID(),
    'X-TFS-FedAuthRealm': baseUrl,
    'X-TFS-FedAuthIssuer': baseUrl,
    'X-VSS-ResourceTenant': '00000000-0000-0000-0000-000000000000',
    'X-VSS-AuthorizationEndpoint': `${baseUrl}/`,
  });
}
