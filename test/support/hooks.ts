// Mocha root-hook plugin (loaded through .mocharc.json "require"): unless IRONIC_URL is already
// set, the test run starts its own real Ironic (fake hardware, noauth, free port, temporary state
// dir) before any test and stops it after the last one.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningIronic, StartIronicOptions, startIronic, stopIronic } from "../../local/ironic";
import { findFreePort, readPidFile } from "../../local/proc";

/** Small but non-zero fake-hardware delays so intermediate states (deploying, inspecting) are observable. */
export const TEST_FAKE_DELAYS = { power: "0", deploy: "1", inspect: "1", boot: "0" };
/** Unreachable BMCs fail in seconds, not minutes (an ipmi node then leaves `manage` in ~7 s). */
export const TEST_IPMI_RETRY_TIMEOUT_S = 5;
export const TEST_REDFISH_RETRY = { attempts: 2, intervalS: 1 };

// Every Ironic this run started, stopped (and its temporary state removed) in the root afterAll.
const startedByThisRun: RunningIronic[] = [];

const keepState = () => process.env.PULUMI_METAL3_KEEP_IRONIC_STATE === "1";

function logLine(line: string): void {
  process.stderr.write(`[test-ironic] ${line}\n`);
}

// If the run is killed (Ctrl-C, `timeout`), afterAll never runs: take our Ironics down with us
// instead of leaving them listening. process.kill is synchronous, so this works inside "exit".
let exitHandlersInstalled = false;
function stopStartedOnExit(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = () => {
    for (const running of startedByThisRun) {
      // Ironic's process group, and the web server behind its http_url (a group of its own).
      for (const pid of [running.pid, readPidFile(path.join(running.stateDir, "httpboot-server.pid"))]) {
        try {
          if (pid) process.kill(-pid, "SIGTERM");
        } catch {
          /* already gone */
        }
      }
    }
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal); // handler removed by once(): default action now ends us
    });
  }
}

async function startOwnedIronic(opts: Omit<StartIronicOptions, "stateDir">): Promise<RunningIronic> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-test-ironic-"));
  // A random port, not 6385: a developer's own Ironic or a parallel test run may hold that one.
  const port = opts.port ?? (await findFreePort());
  const running = await startIronic({
    ipmiRetryTimeoutS: TEST_IPMI_RETRY_TIMEOUT_S,
    redfishRetry: TEST_REDFISH_RETRY,
    log: logLine,
    ...opts,
    port,
    stateDir,
  });
  startedByThisRun.push(running);
  stopStartedOnExit();
  return running;
}

/**
 * A second Ironic for tests that need different settings (http_basic, other delays); fresh state
 * dir and free port. It is stopped at the end of the whole run, not by the caller.
 */
export function startExtraIronic(opts: Omit<StartIronicOptions, "stateDir"> = {}): Promise<RunningIronic> {
  return startOwnedIronic({ fakeDelays: TEST_FAKE_DELAYS, ...opts });
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    // Installing the packages may take a minute on a fresh machine.
    this.timeout(600_000);
    if (process.env.IRONIC_URL) {
      logLine(`using IRONIC_URL=${process.env.IRONIC_URL} from the environment`);
      return;
    }
    const running = await startOwnedIronic({ fakeDelays: TEST_FAKE_DELAYS });
    process.env.IRONIC_URL = running.url;
    process.env.OS_ENDPOINT = running.url;
    process.env.OS_AUTH_TYPE = "none";
    logLine(`IRONIC_URL=${running.url} (state ${running.stateDir}, log ${running.logFile})`);
  },

  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    for (const running of startedByThisRun.splice(0).reverse()) {
      try {
        await stopIronic({ stateDir: running.stateDir, log: logLine });
        if (!keepState()) fs.rmSync(running.stateDir, { recursive: true, force: true });
        else logLine(`kept ${running.stateDir}`);
      } catch (err) {
        logLine(`could not stop the Ironic in ${running.stateDir}: ${(err as Error).message}`);
      }
    }
  },
};

/** The Ironics this run started (state dir, log file), e.g. to check what Ironic logged. */
export function ironicsStartedByThisRun(): readonly RunningIronic[] {
  return startedByThisRun;
}
