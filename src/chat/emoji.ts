/**
 * Emoji of reactions (spec stompx-current.md §9, §15.7). A reaction names its emoji by the
 * Unicode character(s) or by a GitHub `:shortcode:`; both come down to one character string,
 * which is what D1 stores, and `emojiOf` turns it back into the resource's Emoji.
 */
import { ChatError } from "./errors";

/** The Platform API's `EmojiProperties`. */
export interface Emoji {
  character: string;
  description: string;
  aliases: string[];
  tags: string[];
}

/** Common emoji with their GitHub shortcodes (aliases) and search tags, as gemoji lists them. */
const COMMON_EMOJI: readonly Emoji[] = [
  { character: "👍", description: "thumbs up", aliases: ["+1", "thumbsup"], tags: ["approve", "ok"] },
  { character: "👎", description: "thumbs down", aliases: ["-1", "thumbsdown"], tags: ["disapprove", "bury"] },
  { character: "😂", description: "face with tears of joy", aliases: ["joy"], tags: ["tears"] },
  { character: "❤️", description: "red heart", aliases: ["heart"], tags: ["love"] },
  { character: "😀", description: "grinning face", aliases: ["grinning"], tags: ["smile", "happy"] },
  { character: "😃", description: "grinning face with big eyes", aliases: ["smiley"], tags: ["happy", "joy", "haha"] },
  { character: "😄", description: "grinning face with smiling eyes", aliases: ["smile"], tags: ["happy", "joy", "laugh", "pleased"] },
  { character: "😁", description: "beaming face with smiling eyes", aliases: ["grin"], tags: [] },
  { character: "😆", description: "grinning squinting face", aliases: ["laughing", "satisfied"], tags: ["happy", "haha"] },
  { character: "😅", description: "grinning face with sweat", aliases: ["sweat_smile"], tags: ["hot"] },
  { character: "🤣", description: "rolling on the floor laughing", aliases: ["rofl"], tags: ["lol", "laughing"] },
  { character: "🙂", description: "slightly smiling face", aliases: ["slightly_smiling_face"], tags: [] },
  { character: "😉", description: "winking face", aliases: ["wink"], tags: ["flirt"] },
  { character: "😊", description: "smiling face with smiling eyes", aliases: ["blush"], tags: ["proud"] },
  { character: "😇", description: "smiling face with halo", aliases: ["innocent"], tags: ["angel"] },
  { character: "😍", description: "smiling face with heart-eyes", aliases: ["heart_eyes"], tags: ["love", "crush"] },
  { character: "😘", description: "face blowing a kiss", aliases: ["kissing_heart"], tags: ["flirt"] },
  { character: "😋", description: "face savoring food", aliases: ["yum"], tags: ["tongue", "lick"] },
  { character: "😜", description: "winking face with tongue", aliases: ["stuck_out_tongue_winking_eye"], tags: ["prank", "silly"] },
  { character: "🤔", description: "thinking face", aliases: ["thinking"], tags: [] },
  { character: "🤗", description: "smiling face with open hands", aliases: ["hugs"], tags: [] },
  { character: "😐", description: "neutral face", aliases: ["neutral_face"], tags: ["meh"] },
  { character: "🙄", description: "face with rolling eyes", aliases: ["roll_eyes"], tags: [] },
  { character: "😏", description: "smirking face", aliases: ["smirk"], tags: ["smug"] },
  { character: "😬", description: "grimacing face", aliases: ["grimacing"], tags: [] },
  { character: "😌", description: "relieved face", aliases: ["relieved"], tags: ["whew"] },
  { character: "😴", description: "sleeping face", aliases: ["sleeping"], tags: ["zzz"] },
  { character: "😎", description: "smiling face with sunglasses", aliases: ["sunglasses"], tags: ["cool"] },
  { character: "🤓", description: "nerd face", aliases: ["nerd_face"], tags: ["geek", "glasses"] },
  { character: "😕", description: "confused face", aliases: ["confused"], tags: [] },
  { character: "😮", description: "face with open mouth", aliases: ["open_mouth"], tags: ["surprise", "impressed", "wow"] },
  { character: "😲", description: "astonished face", aliases: ["astonished"], tags: ["amazed", "gasp"] },
  { character: "😳", description: "flushed face", aliases: ["flushed"], tags: [] },
  { character: "🥺", description: "pleading face", aliases: ["pleading_face"], tags: ["puppy", "eyes"] },
  { character: "😢", description: "crying face", aliases: ["cry"], tags: ["sad", "tear"] },
  { character: "😭", description: "loudly crying face", aliases: ["sob"], tags: ["sad", "cry", "bawling"] },
  { character: "😱", description: "face screaming in fear", aliases: ["scream"], tags: ["horror", "shocked"] },
  { character: "😡", description: "enraged face", aliases: ["rage", "pout"], tags: ["angry"] },
  { character: "😠", description: "angry face", aliases: ["angry"], tags: ["mad", "annoyed"] },
  { character: "🤯", description: "exploding head", aliases: ["exploding_head"], tags: ["mind", "blown"] },
  { character: "🥳", description: "partying face", aliases: ["partying_face"], tags: ["celebration", "birthday"] },
  { character: "😷", description: "face with medical mask", aliases: ["mask"], tags: ["sick", "ill"] },
  { character: "👏", description: "clapping hands", aliases: ["clap"], tags: ["praise", "applause"] },
  { character: "🙌", description: "raising hands", aliases: ["raised_hands"], tags: ["hooray"] },
  { character: "🙏", description: "folded hands", aliases: ["pray"], tags: ["please", "hope", "wish"] },
  { character: "👌", description: "OK hand", aliases: ["ok_hand"], tags: [] },
  { character: "✌️", description: "victory hand", aliases: ["v"], tags: ["victory", "peace"] },
  { character: "👋", description: "waving hand", aliases: ["wave"], tags: ["goodbye"] },
  { character: "💪", description: "flexed biceps", aliases: ["muscle"], tags: ["flex", "bicep", "strong", "workout"] },
  { character: "👀", description: "eyes", aliases: ["eyes"], tags: ["look", "see", "watch"] },
  { character: "🔥", description: "fire", aliases: ["fire"], tags: ["burn"] },
  { character: "✨", description: "sparkles", aliases: ["sparkles"], tags: ["shiny"] },
  { character: "🎉", description: "party popper", aliases: ["tada"], tags: ["hooray", "party"] },
  { character: "💯", description: "hundred points", aliases: ["100"], tags: ["score", "perfect"] },
  { character: "✅", description: "check mark button", aliases: ["white_check_mark"], tags: [] },
  { character: "❌", description: "cross mark", aliases: ["x"], tags: [] },
  { character: "⭐", description: "star", aliases: ["star"], tags: [] },
  { character: "💔", description: "broken heart", aliases: ["broken_heart"], tags: [] },
  { character: "💙", description: "blue heart", aliases: ["blue_heart"], tags: [] },
  { character: "💚", description: "green heart", aliases: ["green_heart"], tags: [] },
  { character: "💜", description: "purple heart", aliases: ["purple_heart"], tags: [] },
  { character: "🚀", description: "rocket", aliases: ["rocket"], tags: ["ship", "launch"] },
  { character: "💩", description: "pile of poo", aliases: ["hankey", "poop", "shit"], tags: ["crap"] },
  { character: "🤝", description: "handshake", aliases: ["handshake"], tags: ["deal"] },
  { character: "☕", description: "hot beverage", aliases: ["coffee"], tags: ["cafe", "espresso"] },
];

/** VARIATION SELECTOR-16 asks for emoji presentation: "❤" and "❤️" are one emoji. */
const EMOJI_PRESENTATION = /\uFE0F/g;
const lookupKey = (character: string) => character.replace(EMOJI_PRESENTATION, "");

const byCharacter = new Map(COMMON_EMOJI.map((e) => [lookupKey(e.character), e]));
const byAlias = new Map(COMMON_EMOJI.flatMap((e) => e.aliases.map((alias) => [alias, e] as const)));

/** Longest emoji accepted, in UTF-16 units: the longest ZWJ and tag sequences are under 40. */
const MAX_EMOJI_LENGTH = 64;

// Flags (two regional indicators) and keycaps (1️⃣) are emoji without an Extended_Pictographic code point.
/**
 * What one grapheme may carry but no emoji does: a combining mark other than VS-16 and the keycap,
 * or two skin tones in a row (an accent on 👍 would otherwise be a new "emoji" per accent).
 */
const NOT_IN_AN_EMOJI = /(?![\uFE0F\u20E3])\p{M}|\p{Emoji_Modifier}\p{Emoji_Modifier}/u;
const EMOJI_GRAPHEME = /^(?:\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3|.*\p{Extended_Pictographic}.*)$/su;
const SHORTCODE = /^:([^:\s]+):$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const isSingleEmoji = (s: string) => {
  if (s.length === 0 || s.length > MAX_EMOJI_LENGTH) return false;
  const segments = graphemes.segment(s)[Symbol.iterator]();
  const first = segments.next();
  return !first.done && segments.next().done === true && EMOJI_GRAPHEME.test(s) && !NOT_IN_AN_EMOJI.test(s);
};

const invalidEmoji = (why: string) => new ChatError("InvalidEmojiError", why, { emoji: why });

/** The Emoji a stored character stands for; one outside the table has no description, aliases or tags. */
export const emojiOf = (character: string): Emoji =>
  byCharacter.get(lookupKey(character)) ?? { character, description: "", aliases: [], tags: [] };

/**
 * The emoji a reaction names: one Unicode emoji (any, known to the table or not) or a `:shortcode:`
 * of the table. Known emoji come back with the table's character, so both spellings react alike.
 * @example parseEmoji(":+1:").character // "👍"
 */
export const parseEmoji = (input: unknown): Emoji => {
  if (typeof input !== "string") throw invalidEmoji("emoji must be a string");
  const shortcode = SHORTCODE.exec(input);
  if (shortcode) {
    const known = byAlias.get(shortcode[1]!.toLowerCase());
    if (!known) throw invalidEmoji(`Unknown emoji shortcode ${input.slice(0, MAX_EMOJI_LENGTH)}`);
    return known;
  }
  if (!isSingleEmoji(input)) throw invalidEmoji("emoji must be one Unicode emoji or a :shortcode:");
  return emojiOf(input);
};
