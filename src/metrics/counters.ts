/** What an upkeep run did, one counter per kind of action; its closing log line sums them. */
export const UPKEEP_ACTIONS = [
  'placeholdersCreated',
  'placeholdersUpdated',
  'placeholdersRemoved',
  'finishedDeleted',
  'orphansMarked',
  'orphansDeleted',
  'registrationsRemoved',
] as const;

export const COUNTER_NAMES = [
  'webhookAccepted',
  'webhookIgnored',
  'webhookRejected',
  'sweeps',
  'signalsSent',
  'signalFailures',
  'signalsCoalesced',
  'passes',
  'passFailures',
  'agentsStarted',
  'agentsStopped',
  'unmatchedJobs',
  'deadLettered',
  'hookReenabled',
  'secretNearExpiry',
  // upkeep (src/upkeep/)
  'upkeepRuns',
  'upkeepFailures',
  ...UPKEEP_ACTIONS,
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** Per-process counters for GET /api/status; Application Insights holds the fleet-wide view. */
export class Counters {
  private readonly values = new Map<CounterName, number>(COUNTER_NAMES.map((n) => [n, 0]));

  increment(name: CounterName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: CounterName): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Record<CounterName, number> {
    return Object.fromEntries(this.values) as Record<CounterName, number>;
  }
}
