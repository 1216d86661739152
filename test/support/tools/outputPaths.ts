/** Scratch directories for the output path tests, removed after each test, and the refusal a check gives. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, expect } from "vitest";
import { OutputPathError } from "../../../tools/cli/outputFiles";

/** Call once per test file: returns a maker of directories that are gone after each test. */
export function scratchDirectories(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-out-"));
    dirs.push(dir);
    return dir;
  };
}

/** The message of the OutputPathError `action` throws; fails the test when it throws none or another. */
export function outputPathRefusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(OutputPathError);
    return (error as Error).message;
  }
  throw new Error("expected an OutputPathError");
}
