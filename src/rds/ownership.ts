// Ownership tags: how a resume recognises the resources this plan's step created, and nothing else.
/** Tags every resource a step creates carries, so a resume can adopt it and nothing else. */
export function ownershipTags(planName: string, stepId: string): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'aurora-migrate:plan', Value: planName },
    { Key: 'aurora-migrate:step', Value: stepId },
  ];
}

/** True when a TagList marks the resource as created by this plan's step. */
export function isOurs(
  tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined,
  planName: string,
  stepId: string,
): boolean {
  const get = (k: string) => tags?.find((t) => t.Key === k)?.Value;
  return get('aurora-migrate:plan') === planName && get('aurora-migrate:step') === stepId;
}
