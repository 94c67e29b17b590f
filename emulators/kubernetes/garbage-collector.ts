import type { ObjectStore, Resource } from './object-store';
import type { KubeObject } from './types';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/**
 * The garbage collector's part the scaler depends on: dependents (metadata.ownerReferences)
 * go with their owner. Like the real one it works after the delete call has answered, and it
 * also deletes a dependent whose owners do not exist (an ownerReference with a wrong uid).
 */
export class GarbageCollector {
  private pending: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly store: ObjectStore) {}

  /**
   * Deletes `obj` the way DELETE with `propagationPolicy` does. Background: gone now, dependents
   * later. Foreground and Orphan: the object stays (deletionTimestamp, finalizer) until its
   * dependents are deleted or released; it is returned then, as the API server answers.
   */
  delete(resource: Resource, obj: KubeObject, policy: PropagationPolicy): KubeObject | undefined {
    if (policy === 'Background' || this.store.dependents(obj.metadata.uid).length === 0) {
      this.store.remove(resource, obj);
      this.schedule();
      return undefined;
    }
    const finalizer = policy === 'Foreground' ? 'foregroundDeletion' : 'orphan';
    const marked = this.store.update(resource, {
      ...obj,
      metadata: {
        ...obj.metadata,
        deletionTimestamp: obj.metadata.deletionTimestamp ?? this.store.timestamp(),
        finalizers: [...new Set([...(obj.metadata.finalizers ?? []), finalizer])],
      },
    });
    this.schedule();
    return marked;
  }

  schedule(): void {
    if (this.closed || this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.sweep();
    });
  }

  close(): void {
    this.closed = true;
    if (this.pending) clearImmediate(this.pending);
  }

  private sweep(): void {
    let changed = false;
    for (const { resource, obj } of this.store.entries()) {
      const finalizers = obj.metadata.finalizers ?? [];
      if (obj.metadata.deletionTimestamp && finalizers.includes('orphan')) {
        for (const dep of this.store.dependents(obj.metadata.uid)) {
          const refs = (dep.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== obj.metadata.uid);
          const { ownerReferences: _dropped, ...meta } = dep.obj.metadata;
          this.store.update(dep.resource, { ...dep.obj, metadata: refs.length ? { ...meta, ownerReferences: refs } : meta });
        }
        this.store.remove(resource, obj);
        changed = true;
      } else if (obj.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion')) {
        const deps = this.store.dependents(obj.metadata.uid);
        deps.forEach((dep) => this.store.remove(dep.resource, dep.obj));
        this.store.remove(resource, obj);
        changed = true;
      }
    }
    for (const { resource, obj } of this.store.entries()) {
      const owners = obj.metadata.ownerReferences ?? [];
      if (owners.length > 0 && owners.every((r) => !this.ownerExists(r.uid, obj.metadata.namespace))) {
        this.store.remove(resource, obj);
        changed = true;
      }
    }
    // Deleting dependents can orphan their own dependents: go round until nothing changes.
    if (changed) this.schedule();
  }

  private ownerExists(uid: string, namespace: string): boolean {
    const owner = this.store.byUid(uid);
    return owner !== undefined && owner.metadata.namespace === namespace;
  }
}
