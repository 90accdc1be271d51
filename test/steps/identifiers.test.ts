import { describe, expect, it } from 'vitest';
import { runScopedId, toIdentifier, MAX_EXPORT_ID, parseArn } from '../../src/rds/identifiers.js';
import { auroraVersionProblem } from '../../src/rds/compatibility.js';

const RDS_ID = /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/;

describe('deterministic ids', () => {
  it('are stable per plan, step and run, and differ between runs', () => {
    const a = runScopedId('orders', 'export', '7f3a9c21-0b4d-4e6f', MAX_EXPORT_ID);
    expect(a).toBe('orders-export-7f3a9c21');
    expect(runScopedId('orders', 'export', '7f3a9c21-0b4d-4e6f', MAX_EXPORT_ID)).toBe(a);
    expect(runScopedId('orders', 'export', '11111111-0b4d', MAX_EXPORT_ID)).not.toBe(a);
  });
  it('keep AWS identifier rules even for long or odd names', () => {
    const long = runScopedId(
      'a-very-long-plan-name-that-goes-on-and-on',
      'and-a-long-step-id-as-well',
      'abcdef1234',
      MAX_EXPORT_ID,
    );
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(RDS_ID);
    expect(toIdentifier('1-bad--name-', 63)).toMatch(RDS_ID);
  });
});

describe('engine versions', () => {
  it('accepts the same or a higher minor of the same major', () => {
    expect(auroraVersionProblem('16.4', '16.4')).toBeUndefined();
    expect(auroraVersionProblem('16.4', '16.6')).toBeUndefined();
    expect(auroraVersionProblem('11.22-rds.20240509', '11.22')).toBeUndefined();
  });
  it('refuses a lower minor or another major', () => {
    expect(auroraVersionProblem('16.4', '16.2')).toMatch(/lower than the source's 16.4/);
    expect(auroraVersionProblem('15.8', '16.4')).toMatch(/not the same major/);
    expect(auroraVersionProblem('9.6.22', '10.4')).toMatch(/not the same major/);
  });
});

describe('ARNs', () => {
  it('parse RDS ARNs', () => {
    expect(parseArn('arn:aws:rds:eu-west-1:111122223333:snapshot:orders-snap')).toMatchObject({
      region: 'eu-west-1',
      resourceType: 'snapshot',
      resourceId: 'orders-snap',
    });
  });
});
