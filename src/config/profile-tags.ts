/**
 * Tag / label keys the scaler sets on every agent, shared by both launchers (src/launchers/launcher.ts
 * re-exports them), so upkeep reads either the same way. Here, below the launchers, because the
 * configuration refuses profile tags that would collide with them.
 */
export const MANAGED_BY = { key: 'managed-by', value: 'ado-agent-scaler' } as const;
export const LABELS = {
  org: 'ado-org',
  pool: 'ado-pool',
  profile: 'ado-profile',
  createdAt: 'created-at',
  standby: 'ado-standby',
} as const;

// A profile's `tags` (e.g. team, costCenter) go on every container group as Azure tags, so
// Cost Management can group the agents' cost by them, and on AKS Jobs and pods as labels.
// Checked when the configuration loads, every problem at once: a tag ARM or the API server
// refuses would otherwise fail every start of the profile, and a tag rewritten to fit would
// split a team's costs under two names. Sources:
// - Azure: Microsoft Learn, "Use tags to organize your Azure resources" (Limitations): 50 tags
//   per resource, names up to 512 characters, values up to 256, no < > % & \ ? / in names;
//   the ARM RPC's resource API reference adds control characters, and ARM answers them with
//   InvalidTagNameCharacters. Tag names are case-insensitive for operations. Names starting
//   with "microsoft", "azure" or "windows" are refused by ARM and the portal (reported in
//   microsoft/vscode-azureresourcegroups#1164; not in the Learn article).
// - Kubernetes: "Labels and Selectors", syntax and character set: a name of at most 63
//   characters, [A-Za-z0-9] at both ends and [-A-Za-z0-9_.] between (a prefix would need "/",
//   which Azure refuses anyway); a value the same or empty. Jobs add job-name and
//   controller-uid to their pods' labels and refuse a template that sets them otherwise.
// - Virtual nodes: the legacy ACI connector (virtual-kubelet/azure-aci) tags each container
//   group with PodName, NodeName, Namespace, UID and CreationTimestamp and no pod labels;
//   virtual nodes v2 take ARM tags from the pod annotation
//   microsoft.containerinstance.virtualnode.customtags ("k=v;k=v") and ignore keys it uses
//   itself (microsoft/virtualnodesOnAzureContainerInstances, Docs/PodCustomizations.md).

/** Azure's tags per resource. */
export const AZURE_MAX_TAGS = 50;
/** The scaler's own tags on a container group: managed-by, ado-org, ado-pool, ado-profile, created-at, ado-standby. */
export const OWN_TAGS: readonly string[] = [MANAGED_BY.key, ...Object.values(LABELS)];
/** A profile's own tags at most, so that a container group stays within Azure's 50. */
export const MAX_PROFILE_TAGS = AZURE_MAX_TAGS - OWN_TAGS.length;
/** Labels Kubernetes sets on a Job's pods itself (without a "/" prefix; prefixed ones cannot be tag names). */
const KUBERNETES_JOB_LABELS: readonly string[] = ['job-name', 'controller-uid'];
/** Tags the legacy virtual node's ACI connector puts on each container group. */
const VIRTUAL_NODE_TAGS: readonly string[] = ['PodName', 'NodeName', 'Namespace', 'UID', 'CreationTimestamp'];
/** The pod annotation virtual nodes v2 turn into the container group's ARM tags. */
export const VIRTUAL_NODE_CUSTOM_TAGS = 'microsoft.containerinstance.virtualnode.customtags';

const AZURE_NAME_FORBIDDEN = /[<>%&\\?/\p{Cc}]/u;
const AZURE_RESERVED_PREFIX = /^(microsoft|azure|windows)/i;
const LABEL = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface TagProblem {
  /** The tag's name; absent for a problem of the whole set. */
  readonly name?: string;
  readonly message: string;
}

/** Every reason Azure (and, for an AKS profile, Kubernetes) would refuse these tags, with the fix. */
export function profileTagProblems(tags: Readonly<Record<string, string>>, launcher: 'aci' | 'aksVirtualNode'): TagProblem[] {
  const problems: TagProblem[] = [];
  const names = Object.keys(tags);
  if (names.length > MAX_PROFILE_TAGS) {
    problems.push({
      message: `has ${names.length} tags; at most ${MAX_PROFILE_TAGS} fit: Azure allows ${AZURE_MAX_TAGS} per resource and the scaler sets up to ${OWN_TAGS.length} of its own (${OWN_TAGS.join(', ')}). Keep the ones Cost Management should group by`,
    });
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const value = tags[name]!;
    const refuse = (message: string) => problems.push({ name, message });
    const folded = name.toLowerCase();
    const forbidden = AZURE_NAME_FORBIDDEN.exec(name)?.[0];
    const reserved = AZURE_RESERVED_PREFIX.exec(name)?.[1];
    if (name.trim() === '') refuse('a tag name must not be empty or blank; name it, e.g. "team"');
    else if (name.length > 512) refuse(`the tag name is ${name.length} characters; Azure allows at most 512: shorten it`);
    else if (forbidden !== undefined)
      refuse(
        `the tag name has ${JSON.stringify(forbidden)}, which Azure refuses in tag names (< > % & \\ ? / and control characters); rename it, e.g. "${suggestedName(name)}"`,
      );
    else if (reserved !== undefined)
      refuse(
        `the tag name starts with "${reserved}", a prefix Azure reserves (as "microsoft", "azure" and "windows"); rename it, e.g. "${suggestedName(name.slice(reserved.length)) || 'team'}"`,
      );
    else if (OWN_TAGS.some((own) => own === folded)) {
      refuse(`is a tag the scaler sets itself on every agent (${OWN_TAGS.join(', ')}; Azure tag names ignore case); rename it, e.g. "team"`);
    } else if (seen.has(folded)) {
      refuse(`differs from the tag "${seen.get(folded)}" only in case, and Azure tag names ignore case; keep one of them`);
    } else if (launcher === 'aksVirtualNode' && !isLabel(name)) {
      refuse(
        `is not a valid Kubernetes label name, which an AKS profile's tags must be (they label its Jobs and pods): at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit; rename it, e.g. "${suggestedName(name)}"`,
      );
    } else if (launcher === 'aksVirtualNode' && KUBERNETES_JOB_LABELS.includes(name)) {
      refuse(`is a label Kubernetes sets on every pod of a Job itself; rename it, e.g. "team"`);
    } else if (launcher === 'aksVirtualNode' && VIRTUAL_NODE_TAGS.some((t) => t.toLowerCase() === folded)) {
      refuse(`is a tag the virtual node sets on each container group itself (${VIRTUAL_NODE_TAGS.join(', ')}); rename it, e.g. "team"`);
    }
    if (!seen.has(folded)) seen.set(folded, name);
    if (value.length > 256) refuse(`the value is ${value.length} characters; Azure allows at most 256 in a tag value: shorten it`);
    else if (launcher === 'aksVirtualNode' && !isLabel(value)) {
      refuse(
        `${JSON.stringify(value)} is not a valid Kubernetes label value, which an AKS profile's tags must be (they label its Jobs and pods): at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit, or empty; write e.g. "${suggestedValue(value)}" (the scaler does not rewrite it: a rewritten cost key would split a team's costs under two names)`,
      );
    }
  }
  return problems;
}

function isLabel(text: string): boolean {
  return text.length <= 63 && LABEL.test(text);
}

/** A name of the same words that Azure and Kubernetes both take, to suggest. */
function suggestedName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '')
    .toLowerCase();
}

function suggestedValue(value: string): string {
  return suggestedName(value) || 'value';
}

/** The v2 virtual node's annotation for these tags: "k=v;k=v" (label-valid names and values hold neither "=" nor ";"). */
export function customTagsAnnotation(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([name, value]) => `${name}=${value}`)
    .join(';');
}
