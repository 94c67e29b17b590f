import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';

/** Attributes a caller may set on a version; times are Unix seconds as on the wire. */
export interface VersionAttributes {
  enabled?: boolean;
  exp?: number;
  nbf?: number;
  contentType?: string;
  tags?: Record<string, string>;
}

export interface SecretVersion {
  version: string;
  value: string;
  enabled: boolean;
  created: number;
  updated: number;
  exp?: number;
  nbf?: number;
  contentType?: string;
  tags?: Record<string, string>;
}

export interface StoredSecret {
  /** The name as first written; Key Vault names are case-insensitive but keep their casing. */
  name: string;
  /** Oldest first; the last one is what "latest" means, enabled or not (as in Key Vault). */
  versions: SecretVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

const SOFT_DELETE_RETENTION_S = 90 * 24 * 60 * 60;

/** In-memory secrets with versions and soft delete, timed by an injected clock. */
export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly now: Clock) {}

  /** The live (not deleted) secret, if any. */
  get(name: string): StoredSecret | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    return secret && !secret.deleted ? secret : undefined;
  }

  getDeleted(name: string): StoredSecret | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    return secret?.deleted ? secret : undefined;
  }

  live(): StoredSecret[] {
    return [...this.secrets.values()].filter((s) => !s.deleted);
  }

  /** Adds a version. The caller must refuse names that are soft-deleted (Key Vault answers 409). */
  set(name: string, value: string, attrs: VersionAttributes = {}): SecretVersion {
    const key = name.toLowerCase();
    const secret = this.secrets.get(key) ?? { name, versions: [] };
    this.secrets.set(key, secret);
    const at = this.seconds();
    const version: SecretVersion = {
      version: randomUUID().replaceAll('-', ''),
      value,
      enabled: attrs.enabled ?? true,
      created: at,
      updated: at,
    };
    secret.versions.push(applyAttributes(version, attrs));
    return version;
  }

  update(name: string, version: string, attrs: VersionAttributes): SecretVersion | undefined {
    const found = this.get(name)?.versions.find((v) => v.version === version);
    if (!found) return undefined;
    applyAttributes(found, attrs);
    found.updated = this.seconds();
    return found;
  }

  softDelete(name: string): StoredSecret | undefined {
    const secret = this.get(name);
    if (!secret) return undefined;
    const at = this.seconds();
    secret.deleted = { deletedDate: at, scheduledPurgeDate: at + SOFT_DELETE_RETENTION_S };
    return secret;
  }

  purge(name: string): boolean {
    return this.getDeleted(name) ? this.secrets.delete(name.toLowerCase()) : false;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function applyAttributes(version: SecretVersion, attrs: VersionAttributes): SecretVersion {
  if (attrs.enabled !== undefined) version.enabled = attrs.enabled;
  if (attrs.exp !== undefined) version.exp = attrs.exp;
  if (attrs.nbf !== undefined) version.nbf = attrs.nbf;
  if (attrs.contentType !== undefined) version.contentType = attrs.contentType;
  if (attrs.tags !== undefined) version.tags = attrs.tags;
  return version;
}
