/**
 * The reads on hot paths walk an index, whatever the tables hold: each function runs against a
 * D1 session that records its statements, and SQLite's plan for every one of them is checked.
 * (Without ANALYZE statistics SQLite prefers an equality on `application_id` to a better index,
 * which turns a page's reply counts into a walk over every message of the application.)
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { messageExtras } from "../../src/chat/message-extras";
import { channelMembersToNotify } from "../../src/chat/queries/members";
import {
  countUnreadMessages,
  countVisibleMessages,
  findMessageForViewer,
  listReplies,
  listThreadMessages,
  listVisibleMessages,
} from "../../src/chat/queries/message-views";
import { findChannelWithMessages, findMessage, listChannelMessages, upperKeyAbove } from "../../src/chat/queries/messages";
import { newestVisibleBetween } from "../../src/chat/queries/read-receipts";
import { findUser, listUsersPage } from "../../src/chat/queries/users";
import { createDb, openSession } from "../../src/db/client";

interface Recorded {
  sql: string;
  params: unknown[];
}

/** A Drizzle client whose statements are recorded, with their parameters, as they are prepared and bound. */
const recordingDb = () => {
  const session = openSession(env.DB, "first-primary");
  const recorded: Recorded[] = [];
  const prepare = (sql: string) => {
    const entry: Recorded = { sql, params: [] };
    recorded.push(entry);
    const statement = session.prepare(sql);
    const bind = statement.bind.bind(statement);
    return Object.assign(statement, {
      bind: (...params: unknown[]) => {
        entry.params = params;
        return bind(...params);
      },
    });
  };
  const recording = { prepare, batch: session.batch.bind(session), getBookmark: () => session.getBookmark() };
  return { db: createDb(recording as unknown as D1DatabaseSession), recorded };
};

/** SQLite's plan lines for every recorded statement. */
const plansOf = async (recorded: Recorded[]) =>
  Promise.all(
    recorded.map(async ({ sql, params }) => {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      return { sql, plan: results.map((r) => r.detail) };
    }),
  );

/** Tables that grow with use: a plan must never scan them whole, nor search them by application alone. */
const BIG = ["messages", "users", "channel_members", "message_reactions", "channels"];

const walksTooMuch = (line: string) =>
  BIG.some(
    (table) =>
      new RegExp(`^SCAN ${table}\\b(?! USING (?:COVERING )?INDEX \\w+ \\(\\w+=\\?)`).test(line) ||
      line === `SEARCH ${table} USING INDEX ${table}_application_idx (application_id=?)`,
  );

const expectIndexed = async (
  expect: (v: unknown, m?: string) => { toEqual: (x: unknown) => void; toBeGreaterThan: (n: number) => void },
  recorded: Recorded[],
) => {
  expect(recorded.length).toBeGreaterThan(0);
  for (const { sql, plan } of await plansOf(recorded)) {
    expect(plan.filter(walksTooMuch), `${sql}\n${plan.join("\n")}`).toEqual([]);
  }
};

describe("query plans of hot reads", () => {
  it("the checker itself flags a statement that walks a whole application", async ({ expect }) => {
    const plan = await plansOf([
      { sql: "SELECT count(*) FROM messages WHERE application_id = ? AND parent_id IN (?, ?)", params: [1, 2, 3] },
    ]);
    expect(plan[0]!.plan.some(walksTooMuch)).toBe(true);
  });

  it("a page's reply counts and reactions use the parent and message indexes", async ({ expect }) => {
    const { db, recorded } = recordingDb();
    await messageExtras(db, 1, [1, 2, 3]);
    await expectIndexed(expect, recorded);
  });

  it("a channel's message page, a user, a users page and the members to notify are indexed reads", async ({ expect }) => {
    const { db, recorded } = recordingDb();
    await listChannelMessages(db, 1, 1, undefined, 25);
    await listChannelMessages(db, 1, 1, 500, 25);
    await findChannelWithMessages(db, 1, 1, 500, 25);
    await upperKeyAbove(db, 1, 1, 500, 25);
    await findMessage(db, 1, 1);
    await findUser(db, 1, 1);
    await channelMembersToNotify(db, 1, 1, 2, 1000);
    await expectIndexed(expect, recorded);
  });

  it("a users page walks the application's index in order and stops at the page (no sort of the whole application)", async ({ expect }) => {
    const { db, recorded } = recordingDb();
    await listUsersPage(db, 1, 0, 25);
    const plans = await plansOf(recorded);
    const page = plans.find((p) => p.sql.includes("limit"))!;
    expect(page.plan.join("\n")).toContain("USING INDEX users_application_idx");
    for (const { plan } of plans) expect(plan.join("\n")).not.toContain("TEMP B-TREE");
  });

  it("what a user sees of a channel, a thread, a message's replies and their unread counts are indexed reads", async ({ expect }) => {
    const { db, recorded } = recordingDb();
    await listVisibleMessages(db, 1, 2, 1, { limit: 25 });
    await listVisibleMessages(db, 1, 2, 1, { limit: 25, before: 500, mainThread: true });
    await listReplies(db, 1, 2, 1, { limit: 25 });
    await listThreadMessages(db, 1, 2, 1, { limit: 25 });
    await findMessageForViewer(db, 1, 2, 1);
    await countVisibleMessages(db, 1, 2, 1);
    await countUnreadMessages(db, 1, 2, 1);
    await newestVisibleBetween(db, 1, 2, 1, { from: 1, to: 500 });
    await expectIndexed(expect, recorded);
  });
});
