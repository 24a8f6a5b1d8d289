// The SDK's requests for the bodies of large objects, read straight from their sockets.
//
// Node's HTTP client hands a response body over as copies of what the socket read (its
// parser's body callback copies every byte into a new buffer): on a streamed object-to-object
// copy that copy and its garbage were about 13% of Ferry's CPU, which on two cores shared
// with the store is throughput lost. So a GET the obs store marks (`directRead`) is sent here as
// plain HTTP/1.1 on a connection of its own, and its body is the socket's own reads. The SDK
// still builds, signs, retries and parses the request and its answer; everything else keeps
// the SDK's handler and its pooled connections. A response this does not frame itself (a
// chunked body) is asked again through that handler: a GET changes nothing.
//
// Over plain TCP each read also takes all the kernel holds, up to the end of a slab of
// memory, instead of 64 KiB at a time: what a busy copier lets pile up in the socket comes
// as one chunk, and every layer the chunk then goes through (streams, the upload) pays once.
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { S3Client } from '@aws-sdk/client-s3';

type Handler = S3Client['config']['requestHandler'];
type HandlerRequest = Parameters<Handler['handle']>[0];
type HandlerOptions = NonNullable<Parameters<Handler['handle']>[1]> & { abortSignal?: unknown };
type HandlerResult = Awaited<ReturnType<Handler['handle']>>;

const marked = new WeakSet<AbortSignal>();

/** An abort controller whose request is also marked as a large read: sent over a socket of its own, its body read as the socket reads it. */
export function directRead(): AbortController {
  const c = new AbortController();
  marked.add(c.signal);
  return c;
}

/**
 * How long a connection to the store may stay silent (a hung server, a wrong port behind a
 * proxy) before its request fails: FERRY_OBS_IDLE_TIMEOUT_MS, default 60 s (the AWS CLI's
 * read timeout). A direct read's head must arrive within it; its body has no such limit: while
 * the reader pauses the socket for backpressure it is silent by design.
 */
export function storeIdleMs(): number {
  return Number(process.env.FERRY_OBS_IDLE_TIMEOUT_MS) || 60_000;
}
/** Bytes of status line and headers accepted before the answer is refused as not HTTP. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A body waits in the stream up to this before the socket is paused (the kernel's buffer holds more). */
const BODY_AHEAD_BYTES = 1024 * 1024;
/** Plain-TCP reads go into slabs this large, each read into what the last one left of it... */
const SLAB_BYTES = 1024 * 1024;
/** ...while that is at least this much (Node's own read size); then into a new slab. */
const MIN_READ_BYTES = 64 * 1024;
/** Reads that follow each other in a slab are passed on joined, up to this much (no copy: one view). */
const JOIN_BYTES = 256 * 1024;

/** `client`'s handler, with the requests `directRead` marked taken over (client.destroy() still ends both). */
export function withSocketReads(client: S3Client): void {
  const sdk = client.config.requestHandler;
  // The SDK's handler underneath: its other members (destroy, its settings) answer for this one.
  const handler: Handler = Object.assign(Object.create(sdk) as Handler, {
    handle: (request: HandlerRequest, options?: HandlerOptions): Promise<HandlerResult> =>
      options?.abortSignal instanceof AbortSignal && marked.has(options.abortSignal) && request.method === 'GET'
        ? socketRequest(request, options.abortSignal).then((r) => r ?? sdk.handle(request, options))
        : sdk.handle(request, options),
  });
  client.config.requestHandler = handler;
}

interface Head {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
}

/** The request on a new connection: its answer, or undefined when the answer is one to ask again through the SDK's handler. */
function socketRequest(request: HandlerRequest, signal: AbortSignal): Promise<HandlerResult | undefined> {
  if (signal.aborted) return Promise.reject(abortError());
  const query = Object.entries(request.query ?? {})
    .flatMap(([k, v]) => (v === null ? [k] : (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`)))
    .join('&');
  const lines = [`GET ${request.path}${query ? `?${query}` : ''} HTTP/1.1`];
  for (const [k, v] of Object.entries(request.headers)) lines.push(`${k}: ${v}`);
  // Unsigned: the connection is this request's alone.
  lines.push('connection: close', '', '');
  const hostname = request.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = request.port ?? (request.protocol === 'https:' ? 443 : 80);
  const reads: Reads = { to: () => undefined };
  const socket = openSocket(request.protocol === 'https:', hostname, port, reads);
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    const idle = storeIdleMs();
    const timer = setTimeout(() => fail(timeoutError(`${hostname}:${port} sent no answer within ${idle / 1000} s`)), idle);
    const settle = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', fail).off('end', onEarlyEnd);
    };
    const fail = (e: Error) => {
      settle();
      socket.destroy();
      reject(e);
    };
    const onAbort = () => fail(abortError());
    const onEarlyEnd = () => fail(new Error(`${hostname}:${port} closed the connection before its answer`));
    const onHead = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      for (;;) {
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES) fail(new Error(`${hostname}:${port} answered with no HTTP response head in ${MAX_HEAD_BYTES} bytes`));
          return;
        }
        const parsed = parseHead(head.subarray(0, end).toString('latin1'));
        if (!parsed) return fail(new Error(`${hostname}:${port} answered with a malformed HTTP response`));
        head = head.subarray(end + 4);
        // An interim answer (100 Continue) is followed by the real one.
        if (parsed.statusCode < 200) continue;
        settle();
        if (parsed.headers['transfer-encoding']) {
          socket.destroy();
          return resolve(undefined);
        }
        const length = parsed.headers['content-length'];
        const expected = parsed.statusCode === 204 || parsed.statusCode === 304 ? 0 : length === undefined ? undefined : Number(length);
        if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) {
          return fail(new Error(`${hostname}:${port} answered with an invalid content-length: ${length}`));
        }
        return resolve({ response: { ...parsed, body: new SocketBody(socket, reads, head, expected, signal) } });
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    reads.to = onHead;
    socket.on('error', fail).on('end', onEarlyEnd);
    socket.write(lines.join('\r\n'), 'latin1');
  });
}

/** Where a socket's reads go: to the answer's head, then to its body. */
interface Reads {
  to: (chunk: Buffer) => void;
}

function openSocket(tls: boolean, host: string, port: number, reads: Reads): Socket {
  let socket: Socket;
  if (tls) {
    socket = connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }) });
    socket.on('data', (chunk: Buffer) => reads.to(chunk));
  } else {
    let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    let used = 0;
    const rest = () => {
      if (SLAB_BYTES - used < MIN_READ_BYTES) {
        slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        used = 0;
      }
      return slab.subarray(used);
    };
    const onRead = (n: number) => {
      const chunk = slab.subarray(used, used + n);
      used += n;
      reads.to(chunk);
      return true; // pausing is the reader's: socket.pause()
    };
    socket = connectTcp({ host, port, onread: { buffer: rest, callback: onRead } });
  }
  socket.setNoDelay(true);
  return socket;
}

function parseHead(text: string): Head | undefined {
  const [status, ...fields] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(status ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon <= 0) return undefined;
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: Number(m[1]), reason: m[2] ?? '', headers };
}

/**
 * A response body: `expected` bytes (or up to the close when the length is not given) as the
 * socket reads them, consecutive reads into one slab joined (see JOIN_BYTES): a store that
 * writes 64 KiB at a time is read in chunks of a quarter MiB, and each layer after pays once.
 */
class SocketBody extends Readable {
  private left: number;
  /** Read, not passed on yet: the next read may join it. */
  private held: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    reads: Reads,
    first: Buffer,
    private readonly expected: number | undefined,
    private readonly signal: AbortSignal,
  ) {
    super({ highWaterMark: BODY_AHEAD_BYTES });
    this.left = expected ?? Number.POSITIVE_INFINITY;
    signal.addEventListener('abort', this.onAbort, { once: true });
    socket.pause();
    reads.to = (chunk) => this.accept(chunk);
    socket.once('close', () => {
      if (this.destroyed || this.left === 0) return;
      if (this.left === Number.POSITIVE_INFINITY) this.complete();
      else this.destroy(new Error(`The connection closed ${this.left} bytes before the end of the body (${this.expected} bytes)`));
    });
    socket.once('error', (e) => this.destroy(e));
    if (first.length) this.accept(first);
    else if (this.left === 0) this.complete();
  }

  private readonly onAbort = () => this.destroy(abortError());

  private accept(chunk: Buffer): void {
    if (this.left <= 0) return;
    const mine = chunk.length > this.left ? chunk.subarray(0, this.left) : chunk;
    this.left -= mine.length;
    const held = this.held;
    let more = true;
    if (held && held.buffer === mine.buffer && held.byteOffset + held.length === mine.byteOffset) {
      this.held = Buffer.from(held.buffer, held.byteOffset, held.length + mine.length);
    } else {
      if (held) more = this.push(held);
      this.held = mine;
    }
    if (this.left === 0) return this.complete();
    if (this.held.length >= JOIN_BYTES) {
      more = this.push(this.held) && more;
      this.held = undefined;
    }
    if (!more) this.socket.pause();
  }

  /** The last bytes passed on, the body ended, the connection closed. */
  private complete(): void {
    if (this.held) this.push(this.held);
    this.held = undefined;
    this.push(null);
    this.socket.destroy();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
    done(error);
  }
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

function abortError(): Error {
  return Object.assign(new Error('The request was aborted'), { name: 'AbortError' });
}
