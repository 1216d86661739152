import { describe, expect, it } from "vitest";
import { renderPostfixAliasTable, renderPostfixMailboxTable, renderPostfixSenderTable } from "../../../../../hostBundle/render/mail/postfixTables";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const rows = (text: string): string[] => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

describe("the Postfix tables of mailboxes, aliases and senders", () => {
  it("list each mailbox once, as itself", () => {
    const ctx = mailTestContext({ mailboxes: [mailbox("ops@tenant-one.example"), mailbox("alice@tenant-one.example")] });
    expect(rows(renderPostfixMailboxTable(ctx))).toEqual(["ops@tenant-one.example ops@tenant-one.example", "alice@tenant-one.example alice@tenant-one.example"]);
  });

  it("send the role and report addresses to the alert address unless a mailbox or alias of that name exists", () => {
    expect(rows(renderPostfixAliasTable(mailTestContext()))).toEqual(
      ["postmaster", "abuse", "root", "dmarc", "tlsrpt"].map((role) => `${role}@tenant-one.example ops@tenant-one.example`),
    );
    const ctx = mailTestContext({
      alertEmail: "ops@tenant-one.example",
      mailboxes: [mailbox("ops@tenant-one.example"), mailbox("postmaster@tenant-one.example")],
      aliases: { "abuse@tenant-one.example": "postmaster@tenant-one.example", "sales@tenant-one.example": "ops@tenant-one.example" },
    });
    expect(rows(renderPostfixAliasTable(ctx))).toEqual([
      "abuse@tenant-one.example postmaster@tenant-one.example",
      "sales@tenant-one.example ops@tenant-one.example",
      "root@tenant-one.example ops@tenant-one.example",
      "dmarc@tenant-one.example ops@tenant-one.example",
      "tlsrpt@tenant-one.example ops@tenant-one.example",
    ]);
  });

  it("let a login send as itself and as every alias that ends in its mailbox, and as nothing else", () => {
    const ctx = mailTestContext({
      mailboxes: [mailbox("ops@tenant-one.example"), mailbox("alice@tenant-one.example")],
      aliases: { "sales@tenant-one.example": "alice@tenant-one.example" },
    });
    expect(rows(renderPostfixSenderTable(ctx))).toEqual([
      "abuse@tenant-one.example ops@tenant-one.example",
      "alice@tenant-one.example alice@tenant-one.example",
      "dmarc@tenant-one.example ops@tenant-one.example",
      "ops@tenant-one.example ops@tenant-one.example",
      "postmaster@tenant-one.example ops@tenant-one.example",
      "root@tenant-one.example ops@tenant-one.example",
      "sales@tenant-one.example alice@tenant-one.example",
      "tlsrpt@tenant-one.example ops@tenant-one.example",
    ]);
  });

  it("forward the role addresses to an alert address outside the domain, which no login owns", () => {
    const ctx = mailTestContext({ alertEmail: "noc@platform.example", mailboxes: [] });
    expect(rows(renderPostfixAliasTable(ctx))[0]).toBe("postmaster@tenant-one.example noc@platform.example");
    expect(rows(renderPostfixSenderTable(ctx))).toEqual([]);
  });
});
