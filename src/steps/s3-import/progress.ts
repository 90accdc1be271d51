// Live progress of an s3-import: files done/total (total grows while listing; "+" until the listing
// is complete), rows imported, rows/s in this attempt. Reported at most every 500 ms of the step's
// clock, and always at the end.
import type { StepContext } from '../step.js';

const EVERY_MS = 500;

export class ImportProgress {
  private listedCount = 0;
  private skippedCount = 0;
  private importedFiles = 0;
  private importedRows = 0;
  private failedCount = 0;
  private readonly listing: boolean[];
  private readonly startedAt: number;
  private lastReport = -Infinity;

  constructor(
    private readonly ctx: Pick<StepContext, 'clock' | 'progress'>,
    tables: number,
  ) {
    this.listing = Array.from({ length: tables }, () => true);
    this.startedAt = ctx.clock.now();
  }

  listed(_table: number): void {
    this.listedCount++;
  }
  listingDone(table: number): void {
    this.listing[table] = false;
    this.report();
  }
  skipped(): void {
    this.skippedCount++;
    this.report();
  }
  imported(rows: number): void {
    this.importedFiles++;
    this.importedRows += rows;
    this.report();
  }
  failed(): void {
    this.failedCount++;
    this.report(true);
  }

  text(): string {
    const done = this.skippedCount + this.importedFiles;
    const total = `${this.listedCount}${this.listing.some((l) => l) ? '+' : ''}`;
    const seconds = Math.max(0.001, (this.ctx.clock.now() - this.startedAt) / 1000);
    const rate = Math.round(this.importedRows / seconds);
    const parts = [`files ${done}/${total}`, `rows ${fmt(this.importedRows)}`, `${fmt(rate)} rows/s`];
    if (this.skippedCount) parts.push(`${fmt(this.skippedCount)} already imported`);
    if (this.failedCount) parts.push(`${this.failedCount} failed`);
    return parts.join(' · ');
  }

  report(force = false): void {
    const now = this.ctx.clock.now();
    if (!force && now - this.lastReport < EVERY_MS) return;
    this.lastReport = now;
    this.ctx.progress(this.text());
  }

  /** Small numbers for the checkpoint (the ledger is the authority). */
  summary(): { filesImported: number; rowsImported: number; filesSkipped: number; filesListed: number } {
    return {
      filesImported: this.importedFiles,
      rowsImported: this.importedRows,
      filesSkipped: this.skippedCount,
      filesListed: this.listedCount,
    };
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
