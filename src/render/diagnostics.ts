// Diagnostics as gcc-style lines (editors and CI annotate them) or as the versioned JSON document.
import type { Diagnostic } from '../plan/load.js';

const RED = '\u001b[1;31m';
const YELLOW = '\u001b[1;33m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** `file:line:col: error: message`, one per line. */
export function formatDiagnostic(d: Diagnostic, color = false): string {
  const where = `${d.file}:${d.line}:${d.column}:`;
  const sev = d.severity === 'error' ? 'error:' : 'warning:';
  if (!color) return `${where} ${sev} ${d.message}`;
  return `${BOLD}${where}${RESET} ${d.severity === 'error' ? RED : YELLOW}${sev}${RESET} ${d.message}`;
}

export function formatDiagnostics(list: readonly Diagnostic[], color = false): string {
  return list.map((d) => formatDiagnostic(d, color) + '\n').join('');
}

export interface FileResult {
  file: string;
  valid: boolean;
  /** Number of steps when the plan loaded. */
  steps?: number;
  diagnostics: Diagnostic[];
}

/** The one JSON document `validate --format json` prints (and `plan` prints for an invalid plan). */
export function diagnosticsDocument(results: readonly FileResult[]): string {
  const doc = {
    version: 1,
    valid: results.every((r) => r.valid),
    diagnostics: results.flatMap((r) => r.diagnostics.map(jsonDiagnostic)),
    files: results.map((r) => ({
      file: r.file,
      valid: r.valid,
      ...(r.steps !== undefined ? { steps: r.steps } : {}),
      errors: r.diagnostics.filter((d) => d.severity === 'error').length,
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function jsonDiagnostic(d: Diagnostic) {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, message: d.message, path: d.path };
}
