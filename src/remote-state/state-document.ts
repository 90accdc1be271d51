// Reads a state document that came from S3 with the same checks as the local file
// (src/engine/state-file.ts parseStateText): empty, not JSON, not an aurora-migrate state, a newer
// format or another plan's → StateConflict (exit 4), and the object is left as it is.
import { parseStateText, type StateFile } from '../engine/state-file.js';

/** `where`: how messages name the document, e.g. "the S3 state object s3://b/k". */
export function parseStateDocument(text: string, where: string, planName?: string): StateFile {
  return parseStateText(text, where, planName, 'restore an earlier version (S3 versioning)');
}
