/** Name parts that mark a variable as a credential; matched whole so `PATH` is not taken for `PAT`. */
const SECRET_PARTS = new Set(['TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'PAT', 'KEY', 'APIKEY', 'CREDENTIAL', 'CREDENTIALS', 'SAS']);
const SECRET_WORDS = /secret|password|token|connection_?string|private_?key|access_?key|account_?key/i;

/** Whether an environment variable name looks like it holds a secret. */
export function looksSecret(name: string): boolean {
  return (
    SECRET_WORDS.test(name) ||
    name
      .toUpperCase()
      .split(/[^A-Z0-9]+/)
      .some((part) => SECRET_PARTS.has(part))
  );
}

/**
 * What a Linux agent reports as system capabilities: its environment, except the AZP_* settings
 * its start script reads (the PAT among them), names in VSO_AGENT_IGNORE (the real agent's own
 * opt-out, which Microsoft's start.sh sets for AZP_TOKEN) and anything that looks secret, plus
 * the Agent.* facts ADO demands are written against.
 */
export function systemCapabilities(env: Readonly<Record<string, string>>, agentName: string, agentVersion: string): Record<string, string> {
  const ignored = new Set(
    (env.VSO_AGENT_IGNORE ?? '')
      .split(',')
      .map((n) => n.trim().toUpperCase())
      .filter(Boolean),
  );
  const capabilities: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^AZP_/i.test(name) || ignored.has(name.toUpperCase()) || looksSecret(name)) continue;
    capabilities[name] = value;
  }
  return { ...capabilities, 'Agent.Name': agentName, 'Agent.OS': 'Linux', 'Agent.Version': agentVersion };
}
