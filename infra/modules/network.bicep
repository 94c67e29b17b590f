// Optional private network for agents: a subnet delegated to ACI container groups with a NAT
// gateway (one stable outbound address, e.g. for an ADO IP allow list), and, with AKS, the
// node and virtual-node subnets.

@description('Region of the network.')
param location string

@description('Virtual network name.')
param vnetName string

@description('Address space of the virtual network.')
param addressPrefix string

@description('Prefix of the subnet ACI agent container groups join.')
param aciSubnetPrefix string

@description('Create the AKS node and virtual-node subnets too.')
param includeAks bool

@description('Prefix of the AKS node subnet (with includeAks).')
param aksNodesSubnetPrefix string

@description('Prefix of the virtual-node subnet (with includeAks).')
param virtualNodesSubnetPrefix string

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

var aciSubnetName = 'aci-agents'
var aksNodesSubnetName = 'aks-nodes'
var virtualNodesSubnetName = 'virtual-nodes'
var aciDelegation = [
  {
    name: 'aci'
    properties: { serviceName: 'Microsoft.ContainerInstance/containerGroups' }
  }
]

resource natIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${vnetName}-nat-ip'
  location: location
  sku: { name: 'Standard' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource nat 'Microsoft.Network/natGateways@2024-05-01' = {
  name: '${vnetName}-nat'
  location: location
  sku: { name: 'Standard' }
  properties: {
    publicIpAddresses: [{ id: natIp.id }]
    idleTimeoutInMinutes: 10
  }
}

// Subnets are declared inside the network, not as child resources, so a redeploy does not try
// to remove and recreate them while container groups use them.
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: concat(
      [
        {
          name: aciSubnetName
          properties: {
            addressPrefix: aciSubnetPrefix
            delegations: aciDelegation
            natGateway: { id: nat.id }
          }
        }
      ],
      includeAks
        ? [
            {
              name: aksNodesSubnetName
              properties: { addressPrefix: aksNodesSubnetPrefix }
            }
            {
              // The virtual-node add-on delegates it itself; declaring the delegation keeps a
              // redeploy from taking it away.
              name: virtualNodesSubnetName
              properties: {
                addressPrefix: virtualNodesSubnetPrefix
                delegations: aciDelegation
                natGateway: { id: nat.id }
              }
            }
          ]
        : []
    )
  }
}

resource aciSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: aciSubnetName
}

// Joining a container group to a subnet needs subnets/join/action on it. Network Contributor
// would also let the app rewrite or delete the network; this role joins and reads, nothing else.
resource subnetJoinRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'ado-agent-scaler-subnet-join')
  properties: {
    // Role names are unique in the tenant: the resource group's hash keeps two deployments apart.
    roleName: 'ado-agent-scaler subnet join ${uniqueString(resourceGroup().id)}'
    description: 'Join container groups to a subnet (ado-agent-scaler): subnets/join/action and subnets/read only.'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.Network/virtualNetworks/subnets/join/action'
          'Microsoft.Network/virtualNetworks/subnets/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [resourceGroup().id]
  }
}

resource subnetJoin 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(aciSubnet.id, appPrincipalId, subnetJoinRole.id)
  scope: aciSubnet
  properties: {
    roleDefinitionId: subnetJoinRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output vnetName string = vnet.name
output aciSubnetId string = aciSubnet.id
output aksNodesSubnetName string = includeAks ? aksNodesSubnetName : ''
output virtualNodesSubnetName string = includeAks ? virtualNodesSubnetName : ''
output natPublicIp string = natIp.properties.ipAddress
