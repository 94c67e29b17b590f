import { describe, expect, it } from 'vitest';
import { ScalerError } from '../../errors/scaler-error';
import { ACI_NO_CAPACITY_CODE, ACI_QUOTA_CODE, aciError, CreateFailedError } from './aci-errors';

const scope = { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-agents', location: 'westeurope' };
const arm = (statusCode: number, code: string, message: string) => Object.assign(new Error(message), { statusCode, code });

// The code telemetry and the "ACI quota" alert key on (src/log/telemetry-record.ts, infra/modules/alerts.bicep).
describe('aciError codes', () => {
  it('names a used-up quota AciQuotaExceeded, whatever ARM called it', () => {
    const message =
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'westeurope'. Limit: '10', Usage: '10' Requested: '1'.";
    for (const code of ['ContainerGroupQuotaReached', 'SomethingElse']) {
      const e = aciError(arm(400, code, message), scope, 'Starting agent x');
      expect(e).toMatchObject({ kind: 'throttled', details: { status: 400, code: ACI_QUOTA_CODE } });
    }
  });

  it('names a capacity failure AciNoCapacity, refused or failed after acceptance', () => {
    const refused = aciError(
      arm(409, 'ServiceUnavailable', "The requested resource is not available in the location 'westeurope' at this moment."),
      scope,
      'x',
    );
    expect(refused.details.code).toBe(ACI_NO_CAPACITY_CODE);
    expect(aciError(new CreateFailedError('InsufficientCapacity.', 'InsufficientCapacity'), scope, 'x').details.code).toBe(ACI_NO_CAPACITY_CODE);
  });

  it("keeps ARM's own code otherwise, and a ScalerError as it is", () => {
    expect(aciError(arm(403, 'AuthorizationFailed', 'no'), scope, 'x')).toMatchObject({
      kind: 'permanent',
      details: { status: 403, code: 'AuthorizationFailed' },
    });
    expect(aciError(arm(429, 'TooManyRequests', 'slow down'), scope, 'x').details.code).toBe('TooManyRequests');
    const own = new ScalerError('transient', 'as it is');
    expect(aciError(own, scope, 'x')).toBe(own);
  });
});
