/**
 * STOMP 1.2 frames as the ChatKitty SDK sends and reads them (see shared/spec/stompx-protocol.md
 * §2.3): client frames arrive one per binary WebSocket message, NUL-terminated; header values
 * after CONNECT are escaped (`\\`, `\n`, `\r`, `\c`). We always send a frame in one message, with
 * an exact UTF-8 `content-length`, because the client appends a NUL to any message that lacks
 * one and a split frame would be corrupted.
 */

export interface Frame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

export class FrameError extends Error {}

const CLIENT_COMMANDS = new Set([
  "CONNECT",
  "STOMP",
  "SEND",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "ACK",
  "NACK",
  "BEGIN",
  "COMMIT",
  "ABORT",
  "DISCONNECT",
]);

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

const unescapeHeader = (s: string): string =>
  s.replace(/\\(.?)/g, (_m, ch: string) => {
    switch (ch) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "c":
        return ":";
      case "\\":
        return "\\";
      default:
        throw new FrameError(`Invalid header escape \\${ch}`);
    }
  });

const escapeHeader = (s: string): string =>
  s.replace(/[\\\n\r:]/g, (ch) => (ch === "\\" ? "\\\\" : ch === "\n" ? "\\n" : ch === "\r" ? "\\r" : "\\c"));

/**
 * Parses every frame in one WebSocket message (the client sends one; several are allowed).
 * Throws `FrameError` for anything malformed: unknown command, bad header line, bad escape,
 * a `content-length` that does not match, or bytes that are not UTF-8.
 * @example parseFrames(bytes) // [{ command: "SEND", headers: {destination: "…"}, body: "{}" }]
 */
export const parseFrames = (data: ArrayBuffer | Uint8Array): Frame[] => {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    // Skip EOLs between frames (heart-beats may sit between them).
    while (pos < bytes.length && (bytes[pos] === 0x0a || bytes[pos] === 0x0d)) pos++;
    if (pos >= bytes.length) break;
    const headerEnd = findHeaderEnd(bytes, pos);
    if (headerEnd < 0) throw new FrameError("Frame headers are not terminated by a blank line");
    let head: string;
    try {
      head = decoder.decode(bytes.subarray(pos, headerEnd));
    } catch {
      throw new FrameError("Frame headers are not UTF-8");
    }
    const lines = head.replace(/\r$/, "").split(/\r?\n/);
    const command = lines.shift() ?? "";
    if (!CLIENT_COMMANDS.has(command)) throw new FrameError(`Unknown command ${JSON.stringify(command.slice(0, 32))}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new FrameError("Malformed header line");
      // CONNECT headers are not escaped (STOMP 1.2); the first occurrence of a header wins.
      const name = command === "CONNECT" ? line.slice(0, colon) : unescapeHeader(line.slice(0, colon));
      const value = command === "CONNECT" ? line.slice(colon + 1) : unescapeHeader(line.slice(colon + 1));
      if (!(name in headers)) headers[name] = value;
    }
    const bodyStart = skipBlankLine(bytes, headerEnd);
    let bodyEnd: number;
    const lengthHeader = headers["content-length"];
    if (lengthHeader !== undefined) {
      if (!/^\d{1,9}$/.test(lengthHeader)) throw new FrameError("Invalid content-length");
      bodyEnd = bodyStart + Number(lengthHeader);
      if (bodyEnd > bytes.length) throw new FrameError("Body shorter than content-length");
      if (bodyEnd < bytes.length && bytes[bodyEnd] !== 0) throw new FrameError("Body longer than content-length");
    } else {
      bodyEnd = bytes.indexOf(0, bodyStart);
      if (bodyEnd < 0) bodyEnd = bytes.length; // tolerate a missing final NUL
    }
    let body: string;
    try {
      body = decoder.decode(bytes.subarray(bodyStart, bodyEnd));
    } catch {
      throw new FrameError("Frame body is not UTF-8");
    }
    frames.push({ command, headers, body });
    pos = bodyEnd + 1;
  }
  return frames;
};

/** Index of the EOL that ends the last header line (a blank line follows it), or -1. */
const findHeaderEnd = (b: Uint8Array, from: number): number => {
  for (let i = from; i < b.length; i++) {
    if (b[i] === 0) return -1;
    if (b[i] === 0x0a && (b[i + 1] === 0x0a || (b[i + 1] === 0x0d && b[i + 2] === 0x0a))) return i;
  }
  return -1;
};

/** First body byte: past "\n\n" or "\n\r\n". */
const skipBlankLine = (b: Uint8Array, at: number): number => (b[at + 1] === 0x0d ? at + 3 : at + 2);

/**
 * One server frame as a single string, ready for one `ws.send`. Header values are escaped
 * (except in CONNECTED, which the client reads literally) and `content-length` counts UTF-8 bytes.
 * @example serializeFrame("RECEIPT", { "receipt-id": "r1" }) // "RECEIPT\nreceipt-id:r1\n\n\0"
 */
export const serializeFrame = (command: string, headers: Record<string, string>, body = ""): string => {
  const escapeValue = command === "CONNECTED" ? (s: string) => s : escapeHeader;
  let head = `${command}\n`;
  for (const [k, v] of Object.entries(headers)) head += `${escapeValue(k)}:${escapeValue(v)}\n`;
  if (body) head += `content-length:${byteLength(body)}\n`;
  return `${head}\n${body}\0`;
};

/**
 * A MESSAGE frame cut for fan-out, where one event goes to many subscriptions: the head is fixed
 * per subscription, the tail per event, and the frame is `head + "message-id:<id>\n" + tail`
 * (the same bytes `serializeFrame` writes for these headers; message ids need no escaping).
 */
export const messageHead = (sid: string, destination: string) =>
  `MESSAGE\nsubscription:${escapeHeader(sid)}\ndestination:${escapeHeader(destination)}\n`;

export const messageTail = (body: string) => `content-type:application/json\ncontent-length:${byteLength(body)}\n\n${body}\0`;

// Fan-out writes one event to many sockets in a row: its UTF-8 length is measured once.
let lastBody = "";
let lastBytes = 0;
const byteLength = (body: string) => {
  if (body !== lastBody) {
    lastBody = body;
    lastBytes = encoder.encode(body).byteLength;
  }
  return lastBytes;
};
