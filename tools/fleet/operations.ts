/** The pulumi operations the fleet runs across stacks. */

export const operations = ["preview", "up", "refresh"] as const;
export type Operation = (typeof operations)[number];
