import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** `--- a` / `+++ b` and the hunks with three lines of context, as `diff -u` prints them. */
export function unifiedDiff(oldName: string, newName: string, oldText: string, newText: string): string {
  return createTwoFilesPatch(oldName, newName, oldText, newText, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }).trimEnd();
}
