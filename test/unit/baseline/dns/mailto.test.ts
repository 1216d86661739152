import { describe, expect, it } from "vitest";
import { parseMailtoUri } from "../../../../baseline/dns/mailto";

describe("parseMailtoUri", () => {
  it.each([
    ["mailto:dmarc@tenant-one.example", "dmarc@tenant-one.example", "tenant-one.example"],
    ["MAILTO:Reports+DMARC@Example.COM", "Reports+DMARC@example.com", "example.com"],
    ["mailto:re+joqy8fpatm3@dmarc.postmarkapp.com", "re+joqy8fpatm3@dmarc.postmarkapp.com", "dmarc.postmarkapp.com"],
    ["mailto:first.last@sub.example.org.", "first.last@sub.example.org", "sub.example.org"],
    ["mailto:odd%21name@example.net", "odd!name@example.net", "example.net"],
  ])("reads %s", (uri, address, domain) => {
    expect(parseMailtoUri(uri)).toEqual({ address, domain });
  });

  it.each([
    ["https://reports.example.com/dmarc", '"https://reports.example.com/dmarc" is not a mailto: URI'],
    ["dmarc@example.com", '"dmarc@example.com" is not a mailto: URI'],
    ["mailto:", '"mailto:": no "@" in the address'],
    ["mailto:@example.com", '"mailto:@example.com": the address has an empty local part'],
    ["mailto:a..b@example.com", '"mailto:a..b@example.com": local part "a..b" is not a valid dot-atom'],
    ["mailto:dmarc@localhost", '"mailto:dmarc@localhost": "localhost" is not a valid mail domain'],
    ["mailto:dmarc@192.0.2.10", '"mailto:dmarc@192.0.2.10": "192.0.2.10" is not a valid mail domain'],
    ["mailto:dmarc@exa_mple.com", '"mailto:dmarc@exa_mple.com": "exa_mple.com" is not a valid mail domain'],
    ["mailto:dmarc@example.com?subject=hi", '"mailto:dmarc@example.com?subject=hi": header fields ("?...") are not allowed in a report address'],
    ["mailto:a@example.com,b@example.com", '"mailto:a@example.com,b@example.com": one address per URI; list several URIs instead'],
    ["mailto:a b@example.com", '"mailto:a b@example.com": a mailto: URI may contain only printable ASCII without spaces'],
    ["mailto:dmarc%2@example.com", '"mailto:dmarc%2@example.com": invalid percent-encoding'],
    [`mailto:${"a".repeat(65)}@example.com`, `"mailto:${"a".repeat(65)}@example.com": local part is longer than 64 characters`],
  ])("rejects %s", (uri, error) => {
    expect(parseMailtoUri(uri)).toEqual({ error });
  });
});
