// How far V8's old generation may grow between full collections, by what a run moves.
// Rows make garbage that dies young: bounding the growth (FERRY_HEAP_GROWTH_PERCENT, see
// runtime.ts boundHeapGrowth) keeps RSS near the live data for a little GC time. Bytes
// streamed through (binary file copies) hold socket chunks across young collections: under
// that bound they ran a full collection every few MB, twice the CPU of a looser one for
// hardly less memory. The flag is read at each collection, so a run can set it as it starts.
import { setFlagsFromString } from 'node:v8';

/**
 * The growth for bytes streamed through: measured on the files bench (2 GB of 64 MB objects,
 * 1,000 files of 1 MB over SFTP). Before the bundled runtime and 256 KB upload buffers, Ferry's
 * CPU was 15-16 s at 50, ~9.5 s at 100, 7-8 s at V8's heuristics (4x), peak RSS over SFTP
 * ~260 MB at 100. Since (2026-12-06, same run against the plain SDK copy): objects streamed
 * 0.78× the plain copy at 100, 0.91× at 150, 0.99× at 200, 1.02× at 400; SFTP (reading ahead)
 * peak RSS 240 MB at 150, 257 at 200: 150 keeps every run under 256 MB.
 */
const BYTES_PERCENT = 150;
/** The percent for row copies; undefined when the process never bounded its heap (tests, API-only handlers). */
let rowsPercent: number | undefined;

/** Sets the bound for row copies (the process start: executor, `npm start`). */
export function setHeapGrowth(percent: number): void {
  rowsPercent = percent;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** A partition starts, or its first page of lines arrives: whether it moves bytes (BYTES_PERCENT) or rows (the bound). */
export function heapGrowthFor(streamsBytes: boolean): void {
  if (rowsPercent === undefined) return;
  setFlagsFromString(`--heap-growing-percent=${streamsBytes ? BYTES_PERCENT : rowsPercent}`);
}
