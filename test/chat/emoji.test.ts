/**
 * Emoji of reactions (src/chat/emoji.ts, spec stompx-current.md §9, §15.7): one Unicode emoji or
 * a known `:shortcode:`, both spellings of a known emoji coming down to the table's character.
 */
import { describe, it } from "vitest";
import { ChatError } from "../../src/chat/errors";
import { emojiOf, parseEmoji } from "../../src/chat/emoji";

/** The ChatError name parseEmoji throws for the input (fails when it accepts it). */
const refusal = (input: unknown) => {
  try {
    parseEmoji(input);
  } catch (e) {
    if (e instanceof ChatError) return e.error;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
};

describe("parseEmoji", () => {
  it("maps a known Unicode emoji to the table's entry (EmojiProperties shape of §15.7)", ({ expect }) => {
    expect(parseEmoji("👍")).toEqual({ character: "👍", description: "thumbs up", aliases: ["+1", "thumbsup"], tags: ["approve", "ok"] });
    expect(parseEmoji("😂").aliases).toEqual(["joy"]);
    expect(parseEmoji("☕").description).toBe("hot beverage");
  });

  it("maps every shortcode spelling of an emoji, in any ASCII case, to the same character as the emoji itself", ({ expect }) => {
    for (const code of [":+1:", ":thumbsup:", ":THUMBSUP:", ":ThumbsUp:"]) expect(parseEmoji(code)).toEqual(parseEmoji("👍"));
    expect(parseEmoji(":joy:").character).toBe("😂");
    expect(parseEmoji(":-1:").character).toBe("👎");
    expect(parseEmoji(":100:").character).toBe("💯");
    expect(parseEmoji(":x:").character).toBe("❌");
    expect(parseEmoji(":rage:")).toEqual(parseEmoji(":pout:"));
    expect(parseEmoji(":poop:")).toEqual(parseEmoji(":hankey:"));
  });

  it("treats an emoji with and without VARIATION SELECTOR-16 as one, answering the table's spelling", ({ expect }) => {
    expect(parseEmoji("❤").character).toBe("❤️");
    expect(parseEmoji("❤️").character).toBe("❤️");
    expect(parseEmoji(":heart:").character).toBe("❤️");
    expect(parseEmoji("✌").character).toBe("✌️");
    expect(parseEmoji("👍\uFE0F").character).toBe("👍");
  });

  it("accepts emoji outside the table as sent, with empty description, aliases and tags", ({ expect }) => {
    const unknown = [
      "🦄",
      "👍🏽", // skin tone: a different emoji from 👍
      "👨‍👩‍👧", // ZWJ family
      "👩🏽‍🚀", // ZWJ with skin tone
      "🏳️‍🌈", // ZWJ flag
      "🇫🇷", // regional indicator pair
      "🇯🇵",
      "🏴󠁧󠁢󠁳󠁣󠁴󠁿", // tag sequence (Scotland)
      "1️⃣", // keycap with VS-16
      "#⃣", // keycap without VS-16
      "*️⃣",
      "©️",
    ];
    for (const character of unknown) expect(parseEmoji(character)).toEqual({ character, description: "", aliases: [], tags: [] });
  });

  it("refuses text that is not one emoji: empty, letters, digits, punctuation, whitespace, emoticons", ({ expect }) => {
    for (const input of ["", " ", "\n", "a", "ok", "1", "#", "é", "ß", "中", ":)", "<3", "\uFE0F", "\u200D", "\u20E3"])
      expect(refusal(input)).toBe("InvalidEmojiError");
  });

  it("refuses two emoji, an emoji with text or whitespace around it, and a lone regional indicator", ({ expect }) => {
    for (const input of ["👍👍", "👍😂", "👍 ", " 👍", "👍\n", "a👍", "👍a", "🇫", "🇫🇷🇯", "🇫🇷🇯🇵", "1️⃣2️⃣"])
      expect(refusal(input)).toBe("InvalidEmojiError");
  });

  it("refuses an emoji carrying combining accents or two skin tones (each would otherwise be a new emoji)", ({ expect }) => {
    for (const input of ["👍\u0301", `👍${"\u0301".repeat(30)}`, "😂\u20DD", "👍🏻🏻", "👋🏽🏿"])
      expect(refusal(input)).toBe("InvalidEmojiError");
    // The marks emoji are made of still pass: VS-16, the keycap, one skin tone.
    for (const input of ["❤️", "1️⃣", "👍🏻"]) expect(parseEmoji(input).character).toBe(input);
  });

  it("refuses unknown, empty and malformed shortcodes", ({ expect }) => {
    for (const input of [":nope:", ":unicorn:", "::", ":::", ":joy", "joy:", "joy", ": joy:", ":joy :", ":joy: ", ":joy::joy:", ":👍:"])
      expect(refusal(input)).toBe("InvalidEmojiError");
    // Names of Object.prototype are no shortcodes.
    for (const input of [":constructor:", ":__proto__:", ":toString:", ":hasOwnProperty:"])
      expect(refusal(input)).toBe("InvalidEmojiError");
  });

  it("refuses non-strings", ({ expect }) => {
    for (const input of [undefined, null, 0, 128077, true, {}, [], ["👍"], { character: "👍" }, new String("👍")])
      expect(refusal(input)).toBe("InvalidEmojiError");
  });

  it("refuses huge inputs, naming the emoji field and keeping the message short", ({ expect }) => {
    for (const input of ["👍".repeat(10_000), "a".repeat(100_000), `:${"a".repeat(100_000)}:`, "🇫🇷".repeat(40)]) {
      try {
        parseEmoji(input);
        throw new Error("expected a refusal");
      } catch (e) {
        if (!(e instanceof ChatError)) throw e;
        expect(e.error).toBe("InvalidEmojiError");
        expect(Object.keys(e.properties ?? {})).toEqual(["emoji"]);
        expect(e.message.length).toBeLessThan(200);
      }
    }
  });

  it("refuses a lone surrogate", ({ expect }) => {
    expect(refusal("\uD83D")).toBe("InvalidEmojiError");
    expect(refusal("\uDC4D")).toBe("InvalidEmojiError");
  });
});

describe("emojiOf", () => {
  it("gives the table's entry for a stored character, with or without VS-16", ({ expect }) => {
    expect(emojiOf("👍")).toEqual(parseEmoji(":+1:"));
    expect(emojiOf("❤")).toEqual(parseEmoji(":heart:"));
    expect(emojiOf("❤️").character).toBe("❤️");
  });

  it("gives an emoji outside the table back as stored, with nothing else", ({ expect }) => {
    expect(emojiOf("🦄")).toEqual({ character: "🦄", description: "", aliases: [], tags: [] });
    expect(emojiOf("")).toEqual({ character: "", description: "", aliases: [], tags: [] });
  });
});
