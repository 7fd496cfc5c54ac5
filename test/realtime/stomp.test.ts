/**
 * The STOMP 1.2 codec (src/realtime/stomp.ts), as the ChatKitty SDK exercises it
 * (shared/spec/stompx-protocol.md §2.3): parsing what the client sends and serializing what it
 * reads. Frames are produced or read by the SDK's own STOMP library (@stomp/stompjs 5.4.4, which
 * `chatkitty` loads), so "what the client sends" and "what the client reads" are not our guess.
 * The destination router is in destinations.test.ts.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { describe, it } from "vitest";
import { FrameError, messageHead, messageTail, parseFrames, serializeFrame } from "../../src/realtime/stomp";

const utf8 = new TextEncoder();
const bytes = (s: string) => utf8.encode(s);
const byteLength = (s: string) => utf8.encode(s).byteLength;

/** Bytes made of text pieces and raw byte arrays, for frames that are not valid UTF-8. */
const concat = (...parts: (string | number[] | Uint8Array)[]) => {
  const chunks = parts.map((p) => (typeof p === "string" ? utf8.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

/** A frame exactly as the SDK sends it: stompjs marshalling, STOMP 1.2 escaping, then binary. */
const sdkFrame = (command: string, headers: Record<string, string>, body = ""): Uint8Array => {
  const raw = FrameImpl.marshall({ command, headers, body, escapeHeaderValues: true, skipContentLengthHeader: false });
  return typeof raw === "string" ? utf8.encode(raw) : new Uint8Array(raw);
};

/** What the SDK's client makes of one WebSocket message from us (appendMissingNULLonIncoming, 1.2 escaping). */
const clientReads = (message: string) => {
  const frames: { command: string; headers: Record<string, string>; body: string }[] = [];
  const parser = new Parser(
    (raw) => {
      const frame = FrameImpl.fromRawFrame(raw, true);
      frames.push({ command: frame.command, headers: { ...frame.headers } as Record<string, string>, body: frame.body });
    },
    () => {},
  );
  parser.parseChunk(message, true);
  return frames;
};

describe("parseFrames", () => {
  it("parses a SEND as the SDK marshals it, body and headers intact", ({ expect }) => {
    const body = JSON.stringify({ type: "TEXT", body: 'Hello ☃ 😀 \\ " : end' });
    const headers = {
      destination: "/application/v1/channels/103.message",
      "content-type": "application/json;charset=UTF-8",
      receipt: "receipt-2f1c1a7e-3b7a-4a4e-9d0c-1f2e3d4c5b6a",
    };
    const frames = parseFrames(sdkFrame("SEND", headers, body));
    expect(frames).toEqual([{ command: "SEND", headers: { ...headers, "content-length": String(byteLength(body)) }, body }]);
  });

  it("accepts an ArrayBuffer as well as a Uint8Array (what a Durable Object receives)", ({ expect }) => {
    const frame = bytes("SUBSCRIBE\nid:s1\ndestination:/topic/v1/channels/1\nack:auto\n\n\0");
    const fromBuffer = parseFrames(frame.buffer.slice(0) as ArrayBuffer);
    expect(fromBuffer).toEqual(parseFrames(frame));
    expect(fromBuffer[0]).toMatchObject({ command: "SUBSCRIBE", headers: { id: "s1", ack: "auto" }, body: "" });
  });

  it("unescapes \\\\, \\n, \\r and \\c in header names and values", ({ expect }) => {
    const [frame] = parseFrames(bytes("SEND\ndestination:/a\\cb\\\\c\\nd\\re\nx\\cy:1\n\n\0"));
    expect(frame!.headers).toEqual({ destination: "/a:b\\c\nd\re", "x:y": "1" });
  });

  it("round-trips header values the SDK escapes (colon, backslash, newline, carriage return)", ({ expect }) => {
    const receipt = "r:1\\2\n3\r4";
    const [frame] = parseFrames(sdkFrame("SEND", { destination: "/x", receipt }, "{}"));
    expect(frame!.headers.receipt).toBe(receipt);
  });

  it("does not unescape CONNECT headers (STOMP 1.2), and does not reject 'bad' escapes there", ({ expect }) => {
    const [frame] = parseFrames(bytes("CONNECT\naccept-version:1.2\nheart-beat:5000,5000\nx:a\\cb\\tc\n\n\0"));
    expect(frame).toEqual({
      command: "CONNECT",
      headers: { "accept-version": "1.2", "heart-beat": "5000,5000", x: "a\\cb\\tc" },
      body: "",
    });
  });

  it("parses the SDK's own CONNECT frame", ({ expect }) => {
    const frames = parseFrames(sdkFrame("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" }));
    expect(frames).toEqual([{ command: "CONNECT", headers: { "accept-version": "1.2", "heart-beat": "5000,5000" }, body: "" }]);
  });

  it("reads exactly content-length bytes of a multibyte UTF-8 body", ({ expect }) => {
    const body = '{"body":"héllo ☃ 😀 𝄞"}';
    expect(byteLength(body)).toBeGreaterThan(body.length);
    const [frame] = parseFrames(bytes(`SEND\ndestination:/x\ncontent-length:${byteLength(body)}\n\n${body}\0`));
    expect(frame!.body).toBe(body);
  });

  it("with content-length, a NUL inside the body is body, not a terminator", ({ expect }) => {
    const [frame] = parseFrames(bytes("SEND\ndestination:/x\ncontent-length:3\n\na\0b\0"));
    expect(frame!.body).toBe("a\0b");
  });

  it("without content-length, the body runs to the first NUL", ({ expect }) => {
    const [frame] = parseFrames(bytes('SEND\ndestination:/x\n\n{"a":"☃"}\0'));
    expect(frame!.body).toBe('{"a":"☃"}');
  });

  it("parses several frames in one message, skipping heart-beat EOLs before and between them", ({ expect }) => {
    const message = concat(
      "\n",
      sdkFrame("SUBSCRIBE", { id: "s1", destination: "/user/queue/v1/errors", ack: "auto" }),
      "\n\r\n",
      sdkFrame("SEND", { destination: "/a", receipt: "r1" }, '{"n":"😀"}'),
      sdkFrame("UNSUBSCRIBE", { id: "s1" }),
      "SEND\ndestination:/b\n\nno-length\0",
      "\n",
    );
    const frames = parseFrames(message);
    expect(frames.map((f) => [f.command, f.headers.destination ?? f.headers.id, f.body])).toEqual([
      ["SUBSCRIBE", "/user/queue/v1/errors", ""],
      ["SEND", "/a", '{"n":"😀"}'],
      ["UNSUBSCRIBE", "s1", ""],
      ["SEND", "/b", "no-length"],
    ]);
  });

  it("tolerates a missing trailing NUL, with and without content-length", ({ expect }) => {
    expect(parseFrames(bytes("SEND\ndestination:/x\n\n{}"))).toEqual([{ command: "SEND", headers: { destination: "/x" }, body: "{}" }]);
    expect(parseFrames(bytes("SEND\ndestination:/x\ncontent-length:2\n\n{}"))).toEqual([
      { command: "SEND", headers: { destination: "/x", "content-length": "2" }, body: "{}" },
    ]);
    expect(parseFrames(bytes("DISCONNECT\nreceipt:close-0\n\n"))).toEqual([
      { command: "DISCONNECT", headers: { receipt: "close-0" }, body: "" },
    ]);
  });

  it("accepts CRLF line ends", ({ expect }) => {
    const frames = parseFrames(bytes("SEND\r\ndestination:/x\r\nreceipt:r1\r\ncontent-length:2\r\n\r\n{}\0"));
    expect(frames).toEqual([{ command: "SEND", headers: { destination: "/x", receipt: "r1", "content-length": "2" }, body: "{}" }]);
    const crlfConnect = parseFrames(bytes("CONNECT\r\naccept-version:1.2\r\n\r\n\0"));
    expect(crlfConnect).toEqual([{ command: "CONNECT", headers: { "accept-version": "1.2" }, body: "" }]);
  });

  it("keeps the first occurrence of a repeated header", ({ expect }) => {
    const [frame] = parseFrames(bytes("SEND\ndestination:/first\ndestination:/second\nreceipt:a\nreceipt:b\n\n\0"));
    expect(frame!.headers).toEqual({ destination: "/first", receipt: "a" });
  });

  it("keeps the first content-length too, and frames the body by it", ({ expect }) => {
    const [frame] = parseFrames(bytes("SEND\ndestination:/x\ncontent-length:2\ncontent-length:5\n\n{}\0"));
    expect(frame!.body).toBe("{}");
  });

  it("keeps empty header values and values with further colons", ({ expect }) => {
    const [frame] = parseFrames(bytes("CONNECT\nhost:\nx:a:b:c\n\n\0"));
    expect(frame!.headers).toEqual({ host: "", x: "a:b:c" });
  });

  it("a lone heart-beat or an empty message holds no frame", ({ expect }) => {
    expect(parseFrames(bytes("\n"))).toEqual([]);
    expect(parseFrames(bytes("\r\n\n"))).toEqual([]);
    expect(parseFrames(new Uint8Array(0))).toEqual([]);
  });

  describe("rejects malformed frames with FrameError", () => {
    it.for<[string, Uint8Array]>([
      ["an unknown command", bytes("HELLO\ndestination:/x\n\n\0")],
      ["a lower-case command", bytes("send\ndestination:/x\n\n\0")],
      ["a server-only command (MESSAGE)", bytes("MESSAGE\ndestination:/x\n\n\0")],
      ["an undefined escape (\\t)", bytes("SEND\ndestination:/a\\tb\n\n\0")],
      ["an undefined escape in a header name", bytes("SEND\nde\\xst:/a\n\n\0")],
      ["a lone backslash ending a value", bytes("SEND\ndestination:/a\\\n\n\0")],
      ["content-length longer than the body", bytes("SEND\ndestination:/x\ncontent-length:10\n\n{}\0")],
      ["content-length shorter than the body", bytes("SEND\ndestination:/x\ncontent-length:1\n\n{}\0")],
      ["content-length counting UTF-16 units instead of UTF-8 bytes", bytes(`SEND\ndestination:/x\ncontent-length:${"☃".length}\n\n☃\0`)],
      ["a non-numeric content-length", bytes("SEND\ndestination:/x\ncontent-length:two\n\n{}\0")],
      ["a negative content-length", bytes("SEND\ndestination:/x\ncontent-length:-1\n\n{}\0")],
      ["non-UTF-8 bytes in the body", concat("SEND\ndestination:/x\n\n", [0x7b, 0xff, 0x7d], "\0")],
      ["non-UTF-8 bytes in the body with content-length", concat("SEND\ndestination:/x\ncontent-length:3\n\n", [0xc3, 0x28, 0x41], "\0")],
      ["an encoded surrogate (not UTF-8)", concat("SEND\ndestination:/x\n\n", [0xed, 0xa0, 0x80], "\0")],
      ["non-UTF-8 bytes in a header", concat("SEND\ndestination:/", [0xfe], "\n\n\0")],
      ["no blank line after the headers", bytes("SEND\ndestination:/x\0")],
      ["no blank line and no NUL", bytes("SEND\ndestination:/x")],
      ["a header line without a colon", bytes("SEND\ndestination\n\n\0")],
      ["a header line with an empty name", bytes("SEND\n:/x\n\n\0")],
      ["a bad second frame after a good one", bytes("SEND\ndestination:/x\n\n{}\0BOGUS\n\n\0")],
    ])("%s", ([, frame], { expect }) => {
      expect(() => parseFrames(frame)).toThrow(FrameError);
    });
  });
});

describe("serializeFrame", () => {
  it("writes a RECEIPT exactly", ({ expect }) => {
    expect(serializeFrame("RECEIPT", { "receipt-id": "r1" })).toBe("RECEIPT\nreceipt-id:r1\n\n\0");
  });

  it("escapes \\, newline, carriage return and colon in header names and values", ({ expect }) => {
    const out = serializeFrame("MESSAGE", { "a:b": "x:y\\z\nw\rv" });
    expect(out).toBe("MESSAGE\na\\cb:x\\cy\\\\z\\nw\\rv\n\n\0");
  });

  it("does not escape CONNECTED headers (the client reads them literally)", ({ expect }) => {
    const out = serializeFrame("CONNECTED", { version: "1.2", "heart-beat": "10000,5000", server: "kitty:edge\\1" });
    expect(out).toBe("CONNECTED\nversion:1.2\nheart-beat:10000,5000\nserver:kitty:edge\\1\n\n\0");
    expect(clientReads(out)).toEqual([
      { command: "CONNECTED", headers: { version: "1.2", "heart-beat": "10000,5000", server: "kitty:edge\\1" }, body: "" },
    ]);
  });

  it("gives content-length in UTF-8 bytes, not string length (emoji)", ({ expect }) => {
    const body = '{"body":"😀"}';
    const out = serializeFrame("MESSAGE", { subscription: "s1" }, body);
    expect(byteLength(body)).toBe(body.length + 2);
    expect(out).toBe(`MESSAGE\nsubscription:s1\ncontent-length:${byteLength(body)}\n\n${body}\0`);
    // The client's byte-oriented parser, given exactly these bytes, ends the body right before the NUL.
    expect(clientReads(out)).toEqual([
      { command: "MESSAGE", headers: { subscription: "s1", "content-length": String(byteLength(body)) }, body },
    ]);
  });

  it("omits content-length for an empty body and ends with one NUL", ({ expect }) => {
    const out = serializeFrame("RECEIPT", { "receipt-id": "close-0" });
    expect(out).not.toContain("content-length");
    expect(out.endsWith("\n\n\0")).toBe(true);
    expect(out.indexOf("\0")).toBe(out.length - 1);
  });

  it("is read back exactly by the SDK's parser: MESSAGE with escaped headers and a multibyte body", ({ expect }) => {
    const body = JSON.stringify({ type: "thread.message.created", version: "v1", resource: { body: "héllo ☃ 😀 𝄞 \\n", n: 1 } });
    const headers = {
      subscription: "subscription-id-1",
      destination: "/topic/v1/channels/1/messages",
      "message-id": "m:1",
      "content-type": "application/json",
      "receipt-id": "receipt-x\\y\nz",
    };
    const frames = clientReads(serializeFrame("MESSAGE", headers, body));
    expect(frames).toEqual([{ command: "MESSAGE", headers: { ...headers, "content-length": String(byteLength(body)) }, body }]);
  });

  it("several serialized frames in one message are read as separate frames by the SDK's parser", ({ expect }) => {
    const message =
      serializeFrame("RECEIPT", { "receipt-id": "r1" }) +
      serializeFrame("MESSAGE", { subscription: "s1" }, '{"resource":"😀"}') +
      serializeFrame("ERROR", { message: "AccessDeniedError" }, '{"error":"AccessDeniedError"}');
    expect(clientReads(message).map((f) => [f.command, f.body])).toEqual([
      ["RECEIPT", ""],
      ["MESSAGE", '{"resource":"😀"}'],
      ["ERROR", '{"error":"AccessDeniedError"}'],
    ]);
  });

  it("round-trips client commands through parseFrames", ({ expect }) => {
    const body = '{"x":"😀 ☃"}';
    const out = serializeFrame("SEND", { destination: "/a:b", receipt: "r\\1" }, body);
    expect(parseFrames(bytes(out))).toEqual([
      { command: "SEND", headers: { destination: "/a:b", receipt: "r\\1", "content-length": String(byteLength(body)) }, body },
    ]);
  });
});

describe("fan-out frames (messageHead + message-id + messageTail)", () => {
  it("are byte for byte what serializeFrame writes, escapes and multibyte bodies included", ({ expect }) => {
    for (const [sid, destination, body] of [
      ["subscription-id-1", "/topic/v1/channels/7/messages", '{"type":"thread.message.created"}'],
      ["a:b\\c\nd", "/topic/x:y", '{"body":"héllo 🐱 ünïcode"}'],
      ["s", "/d", "x".repeat(70_000)],
    ] as const) {
      const headers = { subscription: sid, destination, "message-id": "conn-1", "content-type": "application/json" };
      const fast = `${messageHead(sid, destination)}message-id:conn-1\n${messageTail(body)}`;
      expect(fast).toBe(serializeFrame("MESSAGE", headers, body));
    }
  });

  it("measure each body's own length even when bodies alternate", ({ expect }) => {
    const a = '{"b":"é"}';
    const b = '{"b":"ee"}';
    expect(messageTail(a)).toContain(`content-length:${byteLength(a)}\n`);
    expect(messageTail(b)).toContain(`content-length:${byteLength(b)}\n`);
    expect(messageTail(a)).toContain(`content-length:${byteLength(a)}\n`);
  });
});
