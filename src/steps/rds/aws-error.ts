// Reading AWS errors without importing the SDK: AwsCallError (src/aws/errors.ts) carries the AWS error
// name as `code`; a raw SDK error carries it as `name`. Steps only ever look at the name.

/** The AWS error name (e.g. DBClusterNotFoundFault), or undefined for a non-AWS error. */
export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; name?: unknown; Code?: unknown };
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return undefined;
}

/** True when the error has one of the given AWS error names. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** A short "Name: message" for error texts. */
export function describeAwsError(err: unknown): string {
  const code = awsErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const text = code && !message.startsWith(code) ? `${code}: ${message}` : message;
  return withoutPeriod(text);
}

/** Text without its final period, so it can be followed by ". Next sentence". */
export function withoutPeriod(text: string): string {
  return text.trim().replace(/\.+$/, '');
}
