import type { OutgoingHttpHeaders } from 'node:http';
import type { TokenCredential } from '@azure/identity';
import type { BatchV1Api, CoreV1Api, KubeConfig, User } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { systemClock, type Clock } from '../../time/clock';

// client-node does not export its Authenticator interface; take it from where it is used.
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The AKS server application in Microsoft Entra: tokens for the API server of any Entra-integrated cluster. */
export const AKS_SERVER_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/** Entra tokens last about an hour; renew five minutes early so a call never carries a stale one. */
const EARLY_RENEWAL_MS = 5 * 60_000;
const AUTH_PROVIDER = 'ado-agent-scaler-entra';

export interface AksApi {
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  /** Drops the cached token, so the next call asks the credential again (after a 401). */
  renewToken(): void;
}

export interface AksApiOptions {
  readonly credential: TokenCredential;
  /** https://<cluster-fqdn>:443 */
  readonly apiServer: string;
  /** PEM of the cluster CA; without it the system roots and NODE_EXTRA_CA_CERTS are trusted. */
  readonly caCert?: string | undefined;
  readonly now?: Clock;
}

/**
 * client-node's API clients for one cluster, authenticated with a Microsoft Entra token from the
 * function app's identity: no kubeconfig file, no long-lived cluster secret. client-node asks its
 * authenticators for headers on every request (KubeConfig.applySecurityAuthentication), so a
 * custom Authenticator is where the token gets renewed before it expires.
 */
export async function createAksApi(options: AksApiOptions): Promise<AksApi> {
  if (!/^https:\/\//i.test(options.apiServer)) {
    throw new Error(`The AKS API server URL must start with https:// (got "${options.apiServer}"); take it from az aks show --query fqdn.`);
  }
  // client-node 1.x is an ES module only; CommonJS code loads it with a dynamic import.
  const k8s = await import('@kubernetes/client-node');
  const token = tokenCache(options.credential, options.now ?? systemClock);
  const authenticator: Authenticator = {
    isAuthProvider: (user: User) => (user.authProvider as { name?: unknown } | undefined)?.name === AUTH_PROVIDER,
    // opts is https.RequestOptions (or ws options, whose types client-node leaves unresolved).
    applyAuthentication: async (_user: User, opts: { headers?: OutgoingHttpHeaders }) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${await token.current()}` };
    },
  };
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'aks',
        server: options.apiServer.replace(/\/+$/, ''),
        skipTLSVerify: false,
        // caData is base64 of the PEM, as in a kubeconfig's certificate-authority-data.
        ...(options.caCert ? { caData: Buffer.from(options.caCert, 'utf8').toString('base64') } : {}),
      },
    ],
    users: [{ name: 'function-app', authProvider: { name: AUTH_PROVIDER, config: {} } }],
    contexts: [{ name: 'aks', cluster: 'aks', user: 'function-app' }],
    currentContext: 'aks',
  });
  kc.addAuthenticator(authenticator);
  return { batch: kc.makeApiClient(k8s.BatchV1Api), core: kc.makeApiClient(k8s.CoreV1Api), renewToken: () => token.forget() };
}

function tokenCache(credential: TokenCredential, now: Clock): { current(): Promise<string>; forget(): void } {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    const token = await credential.getToken(AKS_SERVER_SCOPE);
    if (!token) throw new Error(`Microsoft Entra returned no token for the AKS API server (scope ${AKS_SERVER_SCOPE})`);
    cached = { token: token.token, expiresAt: token.expiresOnTimestamp };
    return token.token;
  };
  return {
    current: async () => {
      if (cached && cached.expiresAt - EARLY_RENEWAL_MS > now()) return cached.token;
      // One request for a token however many calls need one at the same time.
      pending ??= fetchToken().finally(() => (pending = undefined));
      return pending;
    },
    forget: () => {
      cached = undefined;
    },
  };
}
