// PostgreSQL engine versions ("16.4", "11.22-rds.20240509", "9.6.22"): the Aurora version must be the
// source's or a higher minor of the same major.

export interface EngineVersion {
  major: string;
  minor: number[];
  text: string;
}

export function parseEngineVersion(text: string): EngineVersion | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  // Before PostgreSQL 10 the major was two numbers (9.6).
  if (first < 10) return { major: `${m[1]}.${m[2] ?? '0'}`, minor: [Number(m[3] ?? 0)], text };
  return { major: m[1], minor: [Number(m[2] ?? 0), Number(m[3] ?? 0)], text };
}

/** undefined when compatible, else the reason. */
export function auroraVersionProblem(sourceVersion: string, auroraVersion: string): string | undefined {
  const s = parseEngineVersion(sourceVersion);
  const a = parseEngineVersion(auroraVersion);
  if (!s || !a) return `cannot compare engine versions "${sourceVersion}" and "${auroraVersion}"`;
  if (s.major !== a.major) {
    return `Aurora engine version ${auroraVersion} is not the same major version as the source's ${sourceVersion} (major ${s.major})`;
  }
  for (let i = 0; i < Math.max(s.minor.length, a.minor.length); i++) {
    const d = (a.minor[i] ?? 0) - (s.minor[i] ?? 0);
    if (d > 0) return undefined;
    if (d < 0) return `Aurora engine version ${auroraVersion} is lower than the source's ${sourceVersion}; it must be the same or a higher minor version`;
  }
  return undefined;
}
