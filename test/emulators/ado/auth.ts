import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FRAMEWORK_NAMESPACE, sendAdoError } from './http-util';
import type { EmulatorState } from './state';

/**
 * Basic with any user name and an accepted PAT as password, or Bearer with an accepted token.
 * An Entra access token passes as the Basic password too: that is how an agent configured with
 * `--auth pat --token <Entra token>` (what the scaler hands agents under managed identity) sends it.
 */
export function isAuthorized(req: IncomingMessage, state: EmulatorState): boolean {
  const header = req.headers.authorization ?? '';
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return false;
  if (scheme.toLowerCase() === 'bearer') return state.bearerTokens.has(value) || (state.acceptBearer?.(value) ?? false);
  if (scheme.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const secret = decoded.slice(colon + 1);
  return colon >= 0 && (state.pats.has(secret) || state.bearerTokens.has(secret) || (state.acceptBearer?.(secret) ?? false));
}

/** What dev.azure.com answers an API call with a bad or missing credential. */
export function sendUnauthorized(res: ServerResponse, baseUrl: string): void {
  sendAdoError(
    res,
    401,
    'UnauthorizedRequestException',
    "TF400813: The user '' is not authorized to access this resource.",
    FRAMEWORK_NAMESPACE,
    {
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
    },
  );
}
