import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { LabelSelector } from './label-selector';
import { alreadyExists, KubeError, notFound } from './status';
import type { KubeObject } from './types';

export interface Resource {
  plural: 'jobs' | 'pods' | 'secrets';
  kind: string;
  listKind: string;
  group: string;
  apiVersion: string;
}

export const RESOURCES: Readonly<Record<Resource['plural'], Resource>> = {
  jobs: { plural: 'jobs', kind: 'Job', listKind: 'JobList', group: 'batch', apiVersion: 'batch/v1' },
  pods: { plural: 'pods', kind: 'Pod', listKind: 'PodList', group: '', apiVersion: 'v1' },
  secrets: { plural: 'secrets', kind: 'Secret', listKind: 'SecretList', group: '', apiVersion: 'v1' },
};

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Timestamps as the API server writes them: RFC 3339 in whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The emulator's etcd: objects by resource, namespace and name, one resourceVersion counter for
 * all of them (as etcd's revision), and a hook for removals so the job controller can stop what
 * a deleted pod was running.
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private revision = 100;

  constructor(
    private readonly now: Clock,
    private readonly onRemoved: (resource: Resource, obj: KubeObject) => void = () => {},
  ) {}

  /** The current time as the API server writes timestamps. */
  timestamp(): string {
    return rfc3339(this.now());
  }

  /** Assigns uid (unless the caller chose one, to default fields from it), resourceVersion and creationTimestamp. */
  create(resource: Resource, obj: KubeObject): KubeObject {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    if (this.objects.has(key)) throw alreadyExists(resource.plural, resource.group, obj.metadata.name);
    const stored: KubeObject = {
      ...obj,
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      metadata: { ...obj.metadata, uid: obj.metadata.uid || randomUUID(), resourceVersion: this.nextVersion(), creationTimestamp: this.timestamp() },
    };
    this.objects.set(key, stored);
    return stored;
  }

  // The type parameter names what the caller knows the resource holds (a Job under jobs).
  get<T extends KubeObject = KubeObject>(resource: Resource, namespace: string, name: string): T | undefined {
    return this.objects.get(keyOf(resource, namespace, name)) as T | undefined;
  }

  mustGet(resource: Resource, namespace: string, name: string): KubeObject {
    const obj = this.get(resource, namespace, name);
    if (!obj) throw notFound(resource.plural, resource.group, name);
    return obj;
  }

  byUid<T extends KubeObject = KubeObject>(uid: string): T | undefined {
    return [...this.objects.values()].find((o) => o.metadata.uid === uid) as T | undefined;
  }

  /** Every object of a resource, in a namespace or all of them, ordered by namespace and name as etcd keys are. */
  all<T extends KubeObject = KubeObject>(resource: Resource, namespace?: string): T[] {
    const prefix = `${resource.plural}/${namespace === undefined ? '' : `${namespace}/`}`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => obj as T);
  }

  list(resource: Resource, namespace: string, selector: LabelSelector, limit?: number, token?: string): ListPage {
    const after = token ? decodeContinue(token) : undefined;
    const matching = this.all(resource, namespace).filter((o) => selector(o.metadata.labels) && (after === undefined || o.metadata.name > after.name));
    const resourceVersion = after?.rv ?? String(this.revision);
    if (limit === undefined || limit <= 0 || matching.length <= limit) return { items: matching, resourceVersion };
    const items = matching.slice(0, limit);
    const last = items[items.length - 1]?.metadata.name ?? '';
    return { items, resourceVersion, continue: encodeContinue({ rv: resourceVersion, name: last }), remainingItemCount: matching.length - limit };
  }

  /** Stores a changed object under a new resourceVersion; a stale resourceVersion is a conflict, as with etcd. */
  update(resource: Resource, obj: KubeObject, expectedVersion?: string): KubeObject {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw notFound(resource.plural, resource.group, obj.metadata.name);
    if (expectedVersion && expectedVersion !== current.metadata.resourceVersion) {
      throw new KubeError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource.group ? `${resource.plural}.${resource.group}` : resource.plural} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const stored: KubeObject = {
      ...obj,
      metadata: { ...obj.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, resourceVersion: this.nextVersion() },
    };
    this.objects.set(key, stored);
    return stored;
  }

  remove(resource: Resource, obj: KubeObject): void {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    const current = this.objects.get(key);
    if (!current || current.metadata.uid !== obj.metadata.uid) return;
    this.objects.delete(key);
    this.nextVersion();
    this.onRemoved(resource, current);
  }

  /** Objects owned by `uid` through metadata.ownerReferences, with their resource. */
  dependents(uid: string): Array<{ resource: Resource; obj: KubeObject }> {
    return this.entries().filter(({ obj }) => obj.metadata.ownerReferences?.some((r) => r.uid === uid));
  }

  entries(): Array<{ resource: Resource; obj: KubeObject }> {
    return [...this.objects.entries()].map(([key, obj]) => ({ resource: RESOURCES[key.split('/')[0] as Resource['plural']], obj }));
  }

  private nextVersion(): string {
    this.revision += 1;
    return String(this.revision);
  }
}

function keyOf(resource: Resource, namespace: string, name: string): string {
  return `${resource.plural}/${namespace}/${name}`;
}

// Real continue tokens are opaque base64 JSON too; clients only hand them back.
function encodeContinue(token: { rv: string; name: string }): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: `${token.name}\u0000` })).toString('base64');
}

function decodeContinue(token: string): { rv: string; name: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'string' && typeof parsed.start === 'string')
      return { rv: parsed.rv, name: parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start };
  } catch {
    // fall through to the API server's answer for a token it cannot read
  }
  throw new KubeError(400, 'BadRequest', 'continue key is not valid: illegal base64 data at input byte 0');
}
