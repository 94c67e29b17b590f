/** Two pools, three profiles, both launchers: what the launch scenarios run on. */
export function launchConfig(options: { dotnetMax?: number; linuxMax?: number; reconcileSeconds?: number } = {}) {
  const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-agents', location: 'westeurope' };
  return {
    reconcile: { intervalSeconds: options.reconcileSeconds ?? 60 },
    organizations: [
      {
        url: 'https://dev.azure.com/contoso',
        auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
        pools: [
          {
            name: 'linux',
            profiles: [
              {
                name: 'linux-small',
                capabilities: { 'Agent.OS': 'Linux', size: 'small' },
                image: 'contosoacr.azurecr.io/ado-agent:4',
                maxAgents: options.linuxMax ?? 30,
                launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example', namespace: 'ado-agents', virtualNode: 'v2' },
              },
              {
                name: 'linux-docker',
                capabilities: { 'Agent.OS': 'Linux', docker: '' },
                image: 'contosoacr.azurecr.io/ado-agent:4',
                maxAgents: options.linuxMax ?? 30,
                launcher: aci,
              },
            ],
          },
          {
            name: 'dotnet',
            profiles: [
              {
                name: 'dotnet-8',
                capabilities: { 'Agent.OS': 'Linux', dotnet: '8.0' },
                image: 'contosoacr.azurecr.io/ado-agent-dotnet:4',
                maxAgents: options.dotnetMax ?? 5,
                launcher: aci,
              },
            ],
          },
        ],
      },
    ],
  };
}
