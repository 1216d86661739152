/** `npm run fleet --`: starts the run in a process group of its own (processGroup.ts says why). */

import { isFleetWorker, runInOwnProcessGroup } from "./processGroup";

if (isFleetWorker()) require("./worker");
else runInOwnProcessGroup(__filename);
