/**
 * The STOMP 1.2 codec (src/realtime/stomp.ts) and the destination router
 * (src/realtime/destinations.ts), as the ChatKitty SDK exercises them
 * (shared/spec/stompx-protocol.md §2.3, §7). Where it matters, frames are produced or read by the
 * SDK's own STOMP library (@stomp/stompjs 5.4.4, which `chatkitty` loads), so "what the client
 * sends" and "what the client reads" are not our guess.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { describe, it } from "vitest";
import { dest, ERRORS_QUEUE, parseDestination, withRelayQuery, type Route } from "../../src/realtime/destinations";
import { FrameError, parseFrames, serializeFrame } from "../../src/realtime/stomp";

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
    const body = JSON.stringify({ type: "TEXT", body: "Hello ☃ 😀 \\ \" : end" });
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
    expect(frame).toEqual({ command: "CONNECT", headers: { "accept-version": "1.2", "heart-beat": "5000,5000", x: "a\\cb\\tc" }, body: "" });
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
    expect(parseFrames(bytes("DISCONNECT\nreceipt:close-0\n\n"))).toEqual([{ command: "DISCONNECT", headers: { receipt: "close-0" }, body: "" }]);
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
    expect(clientReads(out)).toEqual([{ command: "MESSAGE", headers: { subscription: "s1", "content-length": String(byteLength(body)) }, body }]);
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

describe("parseDestination", () => {
  const routes: [string, Route][] = [
    [ERRORS_QUEUE, { kind: "queue" }],
    [dest.me, { kind: "relay", name: "me", query: {} }],
    [dest.meReadGrant, { kind: "relay", name: "meReadGrant", query: {} }],
    [dest.meWriteGrant, { kind: "relay", name: "meWriteGrant", query: {} }],
    [dest.meChannels, { kind: "relay", name: "meChannels", query: {} }],
    [dest.meJoinableChannels, { kind: "relay", name: "meJoinableChannels", query: {} }],
    [dest.meUnreadCount, { kind: "relay", name: "meUnreadCount", query: {} }],
    [dest.meUnreadChannels, { kind: "relay", name: "meUnreadChannels", query: {} }],
    [dest.user(42), { kind: "relay", name: "user", id: 42, query: {} }],
    [dest.channel(7), { kind: "relay", name: "channel", id: 7, query: {} }],
    [dest.channelMessages(7), { kind: "relay", name: "channelMessages", id: 7, query: {} }],
    [dest.channelUnread(7), { kind: "relay", name: "channelUnread", id: 7, query: {} }],
    [dest.channelMembers(7), { kind: "relay", name: "channelMembers", id: 7, query: {} }],
    [dest.userChannelsTopic(42), { kind: "topic", name: "userChannels", id: 42 }],
    [dest.userNotificationsTopic(42), { kind: "topic", name: "userNotifications", id: 42 }],
    [dest.channelTopic(7), { kind: "topic", name: "channel", id: 7 }],
    [dest.channelMessagesTopic(7), { kind: "topic", name: "channelMessages", id: 7 }],
    [dest.meUpdate, { kind: "action", name: "meUpdate" }],
    [dest.meCreateChannel, { kind: "action", name: "meCreateChannel" }],
    [dest.channelMessage(7), { kind: "action", name: "channelMessage", id: 7 }],
    [dest.channelRead(7), { kind: "action", name: "channelRead", id: 7 }],
    [dest.channelJoin(7), { kind: "action", name: "channelJoin", id: 7 }],
    [dest.messageRead(9), { kind: "action", name: "messageRead", id: 9 }],
  ];

  it.for(routes)("%s", ([destination, route], { expect }) => {
    expect(parseDestination(destination)).toEqual(route);
  });

  it("covers every destination builder (none is left unparsed)", ({ expect }) => {
    const built = Object.values(dest).map((d) => (typeof d === "function" ? d(7) : d));
    for (const d of built) {
      if (d === dest.channelStream(7)) continue; // an HTTP stream, never a STOMP destination
      expect(parseDestination(d), d).toBeDefined();
    }
    expect(new Set(routes.map(([, r]) => ("name" in r ? `${r.kind}:${r.name}` : r.kind))).size).toBe(routes.length);
  });

  it("the SDK's hard-coded relays parse (me, channel by id, user by id)", ({ expect }) => {
    // chatkitty.js: currentUserRelay, channelRelay(id), userRelay(id)
    expect(parseDestination("/application/v1/users/me.relay")).toMatchObject({ kind: "relay", name: "me" });
    expect(parseDestination("/application/v1/channels/" + 103 + ".relay")).toMatchObject({ kind: "relay", name: "channel", id: 103 });
    expect(parseDestination("/application/v1/users/" + 5 + ".relay")).toMatchObject({ kind: "relay", name: "user", id: 5 });
  });

  it("does not mistake an HTTP stream path for a destination", ({ expect }) => {
    expect(parseDestination(dest.channelStream(7))).toBeUndefined();
  });

  describe("relay query strings", () => {
    it("reads a numbered page query", ({ expect }) => {
      expect(parseDestination("/application/v1/users/me/channels.relay?page=2&size=25")).toEqual({
        kind: "relay",
        name: "meChannels",
        query: { page: "2", size: "25" },
      });
    });

    it("reads a message cursor query", ({ expect }) => {
      expect(parseDestination("/application/v1/channels/3/messages.relay?start=88&size=25")).toEqual({
        kind: "relay",
        name: "channelMessages",
        id: 3,
        query: { start: "88", size: "25" },
      });
    });

    it("round-trips links built with withRelayQuery", ({ expect }) => {
      const link = withRelayQuery(dest.channelMembers(12), { page: 1, size: 10 });
      expect(link).toBe("/application/v1/channels/12/members.relay?page=1&size=10");
      expect(parseDestination(link)).toEqual({ kind: "relay", name: "channelMembers", id: 12, query: { page: "1", size: "10" } });
    });

    it("keeps the first of a repeated parameter and decodes percent-escapes", ({ expect }) => {
      expect(parseDestination(`${dest.meUnreadChannels}?page=1&page=9&x=a%20b`)).toEqual({
        kind: "relay",
        name: "meUnreadChannels",
        query: { page: "1", x: "a b" },
      });
    });

    it("an empty query is an empty object", ({ expect }) => {
      expect(parseDestination(`${dest.me}?`)).toEqual({ kind: "relay", name: "me", query: {} });
    });
  });

  describe("rejects", () => {
    it.for([
      "",
      "undefined",
      "/",
      "/application/v1/users/me",
      "/application/v1/users/me.relay/",
      "/application/v1/users/me.relayx",
      "x/application/v1/users/me.relay",
      "/Application/v1/users/me.relay",
      "/application/v2/users/me.relay",
      "//application/v1/users/me.relay",
      "/application/v1/users/you.relay",
      "/application/v1/channels/abc.relay",
      "/application/v1/channels/0.relay",
      "/application/v1/channels/007.relay",
      "/application/v1/channels/-1.relay",
      "/application/v1/channels/1.5.relay",
      "/application/v1/channels/1e3.relay",
      "/application/v1/channels/ 1.relay",
      "/application/v1/channels/1/typing.relay",
      "/application/v1/channels/1.delete",
      "/application/v1/messages/1.relay",
      "/topic/v1/channels/1/typing",
      "/topic/v1/channels/1/",
      "/topic/v1/users/me/channels",
      "/topic/v1/users/1/notifications/x",
      "/user/queue/v1/errors/x",
      "/user/queue/v2/errors",
      "/stompx/v1/channels/1/messages",
      "/application/v1/users/me.relay#x",
    ])("unknown path %j", (destination, { expect }) => {
      expect(parseDestination(destination)).toBeUndefined();
    });

    it("ids at or above 2^53 (not exact in JavaScript)", ({ expect }) => {
      const max = Number.MAX_SAFE_INTEGER; // 2^53 - 1
      expect(parseDestination(`/application/v1/channels/${max}.relay`)).toEqual({ kind: "relay", name: "channel", id: max, query: {} });
      for (const id of ["9007199254740992", "9007199254740993", "9999999999999999", "10000000000000000", "123456789012345678901"]) {
        expect(parseDestination(`/application/v1/channels/${id}.relay`), id).toBeUndefined();
        expect(parseDestination(`/topic/v1/channels/${id}/messages`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/channels/${id}.message`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/messages/${id}.read`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/users/${id}.relay`), id).toBeUndefined();
        expect(parseDestination(`/topic/v1/users/${id}/channels`), id).toBeUndefined();
      }
    });

    it.for([
      `${dest.channelTopic(1)}?x=1`,
      `${dest.channelMessagesTopic(1)}?start=1`,
      `${dest.userChannelsTopic(1)}?`,
      `${dest.userNotificationsTopic(1)}?a=b`,
      `${dest.channelMessage(1)}?size=1`,
      `${dest.channelJoin(1)}?`,
      `${dest.meUpdate}?x=1`,
      `${dest.meCreateChannel}?x=1`,
      `${dest.messageRead(1)}?x=1`,
      `${ERRORS_QUEUE}?x=1`,
    ])("a query on a non-relay: %s", (destination, { expect }) => {
      expect(parseDestination(destination)).toBeUndefined();
    });

    it("destinations longer than 512 characters, even valid relays", ({ expect }) => {
      const long = `${dest.meChannels}?page=1&pad=${"x".repeat(600)}`;
      expect(parseDestination(long)).toBeUndefined();
      const justFits = `${dest.meChannels}?pad=${"x".repeat(512 - dest.meChannels.length - 5)}`;
      expect(justFits.length).toBe(512);
      expect(parseDestination(justFits)).toMatchObject({ kind: "relay", name: "meChannels" });
    });
  });
});
