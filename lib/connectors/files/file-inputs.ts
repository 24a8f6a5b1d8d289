// The job inputs every file connector shares (OBS, NAS, FTP, SFTP), as CDM names them
// (shared/reference/cdm-api.md §2.5, §6.4); each connector adds its own (e.g. bucketName)
// and declares the whole list once in its *-inputs.ts.
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { input, type InputDecl } from '../inputs';
import { ALGORITHM as ENCRYPTION, parseDek } from './file-crypto';
import { checkTimeFilter } from './file-time-filter';
import { checkMarkerFile } from './marker-file';
import { compileLineRegex } from './regex-format';
import { decoderFor, encoderFor, unescapeSeparator } from './text-encoding';

export const FILE_FORMATS = ['CSV_FILE', 'JSON_FILE', 'BINARY_FILE'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const fileFromInputs: readonly InputDecl[] = [
  input.string('fromJobConfig.inputDirectory', {
    mandatory: true,
    description: 'Files or directories to read, separated by fromJobConfig.fileSeparator (up to 50).',
  }),
  input.enum('fromJobConfig.inputFormat', FILE_FORMATS, { mandatory: true }),
  input.string('fromJobConfig.fileSeparator', { default: '|' }),
  input.enum('fromJobConfig.fromCompression', ['NONE', 'GZIP', 'ZIP'], { default: 'NONE' }),
  input.string('fromJobConfig.compressedFileSuffix', { default: '*' }),
  input.string('fromJobConfig.encodeType', { default: 'UTF-8' }),
  input.string('fromJobConfig.fieldSeparator', { default: ',' }),
  input.string('fromJobConfig.lineSeparator', { description: 'Default: \\n or \\r\\n.' }),
  input.boolean('fromJobConfig.quoteChar', { default: 'false', description: 'Fields may be enclosed in double quotes.' }),
  input.boolean('fromJobConfig.firstRowAsHeader', { default: 'false' }),
  input.boolean('fromJobConfig.regexSeparator', { default: 'false' }),
  input.string('fromJobConfig.regex', { description: 'regexSeparator: each capture group of a line is one field, e.g. ^(\\S+) \\[(.*?)\\] (.*)$.' }),
  input.string('fromJobConfig.columnList', { description: 'Field numbers to read, separated by &, e.g. 1&3&5.' }),
  input.enum('fromJobConfig.jsonType', ['JSON_OBJECT', 'JSON_ARRAY'], { default: 'JSON_OBJECT' }),
  input.string('fromJobConfig.jsonReferenceNode', { description: 'Dot path to the array of records in a JSON document.' }),
  input.enum('fromJobConfig.filterType', ['NONE', 'WILDCARD', 'TIME'], { default: 'NONE' }),
  input.string('fromJobConfig.pathFilter', { description: 'Wildcards (* ?) for directories, separated by commas.' }),
  input.string('fromJobConfig.fileFilter', { description: 'Wildcards (* ?) for file names, separated by commas.' }),
  input.string('fromJobConfig.startTime', {
    description: 'filterType TIME: files modified at or after this, yyyy-MM-dd HH:mm:ss in FERRY_TIMEZONE (macros allowed).',
  }),
  input.string('fromJobConfig.endTime', { description: 'filterType TIME: files modified before this (exclusive).' }),
  input.string('fromJobConfig.md5FileSuffix', { description: 'e.g. .md5: verify each file against this sibling.' }),
  input.boolean('fromJobConfig.useMarkerFile', { default: 'false' }),
  input.string('fromJobConfig.markerFile', { description: 'useMarkerFile: read only once this file is in every input directory; it is not migrated.' }),
  input.integer('fromJobConfig.waitTime', { min: 0, description: 'Seconds to wait for the marker file before failing (default 0: it must be there).' }),
  input.enum('fromJobConfig.splitType', ['FILE', 'SIZE'], { default: 'FILE' }),
  input.enum('fromJobConfig.fromFileOpType', ['DO_NOTHING'], { default: 'DO_NOTHING' }),
];

/** The encryption switch as sent (ENUM inputs take any case). */
const isAlgorithm = (value: string | undefined) => value?.toUpperCase() === ENCRYPTION;

export const fileToInputs: readonly InputDecl[] = [
  input.string('toJobConfig.outputDirectory', { mandatory: true }),
  input.enum('toJobConfig.outputFormat', FILE_FORMATS, { mandatory: true }),
  input.string('toJobConfig.fieldSeparator', { default: ',' }),
  input.string('toJobConfig.lineSeparator', { default: '\\r\\n' }),
  input.boolean('toJobConfig.quoteChar', { default: 'false', description: 'Enclose every non-NULL text field in double quotes.' }),
  input.boolean('toJobConfig.firstRowAsHeader', { default: 'false', description: 'Write the column names as the first line.' }),
  input.string('toJobConfig.encodeType', { default: 'UTF-8' }),
  input.integer('toJobConfig.writeFileSize', { min: 1, description: 'MB per output file when the source is a table.' }),
  input.string('toJobConfig.filePrefix', { description: 'Output file name prefix (default: the job name).' }),
  input.enum('toJobConfig.duplicateFileOpType', ['REPLACE', 'SKIP', 'ABANDON'], { default: 'REPLACE' }),
  input.boolean('toJobConfig.writeToTempFile', { default: 'false' }),
  input.string('toJobConfig.columnList', { description: 'Source columns to write, by position, separated by &, e.g. 1&3 (CSV_FILE, JSON_FILE).' }),
  input.enum('toJobConfig.encryption', ['NONE', 'KMS', ENCRYPTION], {
    default: 'NONE',
    description: `${ENCRYPTION}: encrypt every file with toJobConfig.dek in Ferry's streaming format (read back with fromJobConfig.decryption).`,
  }),
  input.string('toJobConfig.dek', {
    secret: true,
    usedWhen: (v) => isAlgorithm(v['toJobConfig.encryption']),
    description: 'The AES-256 key for toJobConfig.encryption, 64 hex characters.',
  }),
  input.string('toJobConfig.iv', { description: 'Not used: Ferry gives every file and segment its own nonce.' }),
  input.string('toJobConfig.kmsID'),
  input.string('toJobConfig.projectID'),
  input.boolean('toJobConfig.validateMD5', {
    default: 'false',
    description: "Compare each file's MD5, computed while writing, with the one the store reports for it; a mismatch removes the file and fails the run.",
  }),
  input.boolean('toJobConfig.recordMD5Result', { default: 'false', description: 'Write `<md5>  <path>` for every file to <job>_<submission-id>.md5 in toJobConfig.recordMD5Directory.' }),
  input.string('toJobConfig.recordMD5Link', { description: 'Not supported: the result is written with the job\'s to-link.' }),
  input.string('toJobConfig.recordMD5Directory'),
  input.string('toJobConfig.markerFile', { description: 'An empty file of this name is written in the output directory once a run succeeded.' }),
  input.boolean('toJobConfig.copyContentType', { default: 'false' }),
];

/**
 * The destination inputs of a store that reports no MD5 of its files (an FTP or SFTP server):
 * toJobConfig.validateMD5 would have nothing to compare with (CDM has it for OBS only).
 */
export const fileToInputsWithoutMd5Check: readonly InputDecl[] = fileToInputs.filter((i) => i.name !== 'toJobConfig.validateMD5');

/** Reading files written with toJobConfig.encryption (as CDM's HDFS connector names them). */
export const fileDecryptionInputs: readonly InputDecl[] = [
  input.enum('fromJobConfig.decryption', ['NONE', ENCRYPTION], { default: 'NONE' }),
  input.string('fromJobConfig.dek', {
    secret: true,
    usedWhen: (v) => isAlgorithm(v['fromJobConfig.decryption']),
    description: 'The AES-256 key the files were written with, 64 hex characters.',
  }),
  input.string('fromJobConfig.iv', { description: 'Not used: each file holds its own nonces.' }),
];

/** Inputs declared because CDM has them, refused until Ferry implements them (never silently ignored). */
function notYet(values: InputMap, checks: [name: string, isSet: (v: string) => boolean][]): void {
  for (const [name, isSet] of checks) {
    const v = values[name];
    if (v !== undefined && v !== '' && isSet(v)) throw errors.invalidParameter(`${name}=${v} is not supported by Ferry yet.`);
  }
}

const isTrue = (v: string) => v === 'true';
const any = () => true;

export function checkFileFrom(from: InputMap): void {
  notYet(from, [
    ['fromJobConfig.splitType', (v) => v === 'SIZE'],
  ]);
  decoderFor(from['fromJobConfig.encodeType']!, 'fromJobConfig.encodeType');
  checkTimeFilter(from);
  checkMarkerFile(from);
  if (from['fromJobConfig.regexSeparator'] === 'true') {
    if (from['fromJobConfig.inputFormat'] !== 'CSV_FILE') {
      throw errors.invalidParameter('fromJobConfig.regexSeparator applies to fromJobConfig.inputFormat CSV_FILE only.');
    }
    compileLineRegex(from['fromJobConfig.regex']);
  } else if (from['fromJobConfig.inputFormat'] === 'CSV_FILE') checkSeparators(from, 'fromJobConfig');
  if (from['fromJobConfig.md5FileSuffix'] && from['fromJobConfig.inputFormat'] !== 'BINARY_FILE') {
    throw errors.invalidParameter('fromJobConfig.md5FileSuffix applies to fromJobConfig.inputFormat BINARY_FILE only (as in CDM).');
  }
  if (from['fromJobConfig.fromCompression'] === 'GZIP' && from['fromJobConfig.inputFormat'] === 'BINARY_FILE') {
    // Never silently ignored: the binary copy has no gunzip step (ZIP entries it does unpack).
    throw errors.invalidParameter(
      'fromJobConfig.fromCompression GZIP applies to CSV_FILE and JSON_FILE input; a BINARY_FILE copy would copy the .gz files unopened (set NONE to copy them as they are).',
    );
  }
  if (from['fromJobConfig.md5FileSuffix'] && from['fromJobConfig.fromCompression'] === 'ZIP') {
    throw errors.invalidParameter('fromJobConfig.md5FileSuffix cannot be combined with fromJobConfig.fromCompression ZIP: the entries, not the archive, are copied.');
  }
  checkColumnNumbers(from, 'fromJobConfig.columnList', 'field numbers separated by &, e.g. 1&3&5');
  const inputs = from['fromJobConfig.inputDirectory']!.split(from['fromJobConfig.fileSeparator'] || '|');
  if (inputs.length > 50) throw errors.invalidParameter('fromJobConfig.inputDirectory names more than 50 paths.');
  // An empty path is the link's whole root (or bucket): a stray separator must not widen the job to it.
  if (inputs.some((path) => path.trim() === '')) {
    throw errors.invalidParameter(
      `fromJobConfig.inputDirectory has an empty path (a separator at its start or end, or two in a row); got "${from['fromJobConfig.inputDirectory']}". Name the root as /.`,
    );
  }
  for (const path of inputs) checkInsideRoot('fromJobConfig.inputDirectory', path);
}

export function checkFileTo(to: InputMap): void {
  notYet(to, [
    ['toJobConfig.encryption', (v) => v === 'KMS'],
    ['toJobConfig.recordMD5Link', any],
  ]);
  checkKey(to, 'toJobConfig', to['toJobConfig.encryption']);
  if (to['toJobConfig.validateMD5'] === 'true' && to['toJobConfig.encryption'] !== 'NONE') {
    // As CDM refuses it with KMS: the store's MD5 is of the ciphertext, not of the data.
    throw errors.invalidParameter(`toJobConfig.validateMD5 cannot be combined with toJobConfig.encryption ${to['toJobConfig.encryption']}.`);
  }
  if (to['toJobConfig.recordMD5Result'] === 'true' && !to['toJobConfig.recordMD5Directory']) {
    throw errors.invalidParameter('toJobConfig.recordMD5Result needs toJobConfig.recordMD5Directory: the directory the MD5 result file goes to.');
  }
  checkColumnNumbers(to, 'toJobConfig.columnList', 'column numbers separated by &, e.g. 1&3');
  if (to['toJobConfig.columnList'] && to['toJobConfig.outputFormat'] === 'BINARY_FILE') {
    throw errors.invalidParameter('toJobConfig.columnList picks columns of CSV_FILE or JSON_FILE output; a BINARY_FILE copy has none.');
  }
  checkInsideRoot('toJobConfig.outputDirectory', to['toJobConfig.outputDirectory']!);
  if (to['toJobConfig.recordMD5Directory']) checkInsideRoot('toJobConfig.recordMD5Directory', to['toJobConfig.recordMD5Directory']);
  const prefix = to['toJobConfig.filePrefix'];
  // It becomes the start of each file's name (and of its temp file's): never a path of its own.
  if (prefix && (/[/\\]/.test(prefix) || prefix === '.' || prefix.includes('..'))) {
    throw errors.invalidParameter(`toJobConfig.filePrefix is the start of a file name: no "/", "\\" or ".."; got "${prefix}".`);
  }
  const marker = to['toJobConfig.markerFile'];
  if (marker && (marker.includes('/') || marker === '.' || marker === '..')) {
    throw errors.invalidParameter(`toJobConfig.markerFile is a file name in toJobConfig.outputDirectory; got "${marker}".`);
  }
  encoderFor(to['toJobConfig.encodeType']!, 'toJobConfig.encodeType');
  if (to['toJobConfig.outputFormat'] === 'CSV_FILE') checkSeparators(to, 'toJobConfig');
}

/**
 * A BINARY_FILE copy moves files byte for byte, so both sides must be files in BINARY_FILE:
 * a table or a CSV/JSON file has no files to copy, and a binary source has no columns to
 * write. The job is refused when it is saved; the sink asks again, knowing its source only
 * by its schema.
 */
export function checkBinaryCopy(binarySource: boolean, outputFormat: string | undefined): void {
  if (outputFormat === 'BINARY_FILE' && !binarySource) {
    throw errors.invalidParameter('toJobConfig.outputFormat BINARY_FILE needs a file source with fromJobConfig.inputFormat BINARY_FILE.');
  }
  if (binarySource && outputFormat === undefined) {
    throw errors.invalidParameter('fromJobConfig.inputFormat BINARY_FILE copies files byte for byte: it needs a file destination with toJobConfig.outputFormat BINARY_FILE.');
  }
  if (binarySource && outputFormat !== 'BINARY_FILE') {
    throw errors.invalidParameter('A BINARY_FILE source is copied byte for byte: set toJobConfig.outputFormat to BINARY_FILE.');
  }
}

/** Column (or field) numbers, counted from 1 as CDM does; `want` says what the input holds. */
function checkColumnNumbers(values: InputMap, name: string, want: string): void {
  const list = values[name];
  if (!list) return;
  if (!/^\d+(&\d+)*$/.test(list)) throw errors.invalidParameter(`${name} must be ${want}; got "${list}".`);
  if (list.split('&').some((n) => Number(n) === 0)) throw errors.invalidParameter(`${name} numbers start at 1; got "${list}".`);
}

/**
 * A path input stays inside the link's root directory (or bucket): no ".." segment. Macros
 * resolve to dates, times and the start body's variables; a variable's value is the store's
 * to refuse when the run resolves it.
 */
function checkInsideRoot(name: string, path: string): void {
  // A backslash separates segments on a Windows FTP or SFTP server.
  if (path.split(/[/\\]/).some((segment) => segment.trim() === '..')) {
    throw errors.invalidParameter(`${name} must stay inside the link's root: no ".." segment; got "${path}".`);
  }
}

/**
 * Separators a CSV file can be split by. A line separator that begins the field separator (or
 * is it) would end a line at every field; a quote in either would open or close quoted fields
 * (the writer quotes; the reader does with quoteChar).
 */
function checkSeparators(values: InputMap, config: string): void {
  const field = unescapeSeparator(values[`${config}.fieldSeparator`] || ',');
  const line = unescapeSeparator(values[`${config}.lineSeparator`] || '');
  if (line && field.startsWith(line)) {
    throw errors.invalidParameter(`${config}.lineSeparator must not be ${config}.fieldSeparator or its beginning: every field would end a line.`);
  }
  const quoted = config === 'toJobConfig' || values['fromJobConfig.quoteChar'] === 'true';
  if (quoted && (field + line).includes('"')) {
    throw errors.invalidParameter(`${config}.fieldSeparator and ${config}.lineSeparator must not hold a double quote: it delimits quoted fields.`);
  }
}

export function checkFileDecryption(from: InputMap): void {
  checkKey(from, 'fromJobConfig', from['fromJobConfig.decryption']);
}

/** The key inputs of either side: a dek exactly when the algorithm needs one, and never an IV. */
function checkKey(values: InputMap, config: string, algorithm: string | undefined): void {
  const switchName = config === 'toJobConfig' ? 'toJobConfig.encryption' : 'fromJobConfig.decryption';
  if (values[`${config}.iv`]) {
    throw errors.invalidParameter(
      `${config}.iv is not used: Ferry gives every file and segment its own nonce (one IV for many files would break AES-GCM); remove it.`,
    );
  }
  if (algorithm === ENCRYPTION) parseDek(values[`${config}.dek`], `${config}.dek`);
  else if (values[`${config}.dek`]) throw errors.invalidParameter(`${config}.dek is set but ${switchName} is ${algorithm ?? 'NONE'}; set it to ${ENCRYPTION}.`);
}
