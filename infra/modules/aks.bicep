// Optional AKS cluster for the "aksVirtualNode" launcher: Microsoft Entra ID with Azure RBAC
// and no local accounts, so the scaler authenticates with its managed identity and no cluster
// credential is ever stored; the virtual-node add-on runs agent pods on ACI.

@description('Region of the cluster.')
param location string

@description('Cluster name; also its DNS prefix.')
param clusterName string

@description('Existing virtual network (network.bicep) with the node and virtual-node subnets.')
param vnetName string

@description('Subnet of the system node pool.')
param nodesSubnetName string

@description('Subnet the virtual-node add-on (ACI connector) places pods in.')
param virtualNodesSubnetName string

@description('VM size of the system node pool (one node: it only hosts system pods).')
param nodeVmSize string

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

var aksRbacWriter = 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb'
var networkContributor = '4d97b98b-1d4f-4787-a291-c67834d212e7'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource nodesSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: nodesSubnetName
}

resource virtualNodesSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: virtualNodesSubnetName
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    dnsPrefix: clusterName
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
      tenantID: subscription().tenantId
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        count: 1
        vmSize: nodeVmSize
        osType: 'Linux'
        type: 'VirtualMachineScaleSets'
        vnetSubnetID: nodesSubnet.id
      }
    ]
    // Virtual nodes need Azure CNI.
    networkProfile: {
      networkPlugin: 'azure'
      serviceCidr: '10.250.0.0/16'
      dnsServiceIP: '10.250.0.10'
    }
    addonProfiles: {
      aciConnectorLinux: {
        enabled: true
        config: { SubnetName: virtualNodesSubnetName }
      }
    }
  }
}

// Jobs, pods and Secrets in the agents' namespace. Bicep can only scope to the cluster; narrow it
// to the namespace with the CLI (README.md, "Deploying to Azure") once the namespace exists.
resource appWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, appPrincipalId, aksRbacWriter)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksRbacWriter)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// A cluster in a subnet it does not own manages its load balancer and routes there: the Azure
// CLI grants this itself, a template must.
resource clusterNetwork 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(nodesSubnet.id, cluster.id, networkContributor)
  scope: nodesSubnet
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', networkContributor)
    principalId: cluster.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The ACI connector creates the virtual-node pods' container groups in its subnet.
resource connectorNetwork 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(virtualNodesSubnet.id, cluster.id, 'aciConnectorLinux', networkContributor)
  scope: virtualNodesSubnet
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', networkContributor)
    principalId: cluster.properties.addonProfiles.aciConnectorLinux.identity.objectId
    principalType: 'ServicePrincipal'
  }
}

output name string = cluster.name
output apiServer string = 'https://${cluster.properties.fqdn}:443'
