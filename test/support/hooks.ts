// Mocha root-hook plugin (loaded through .mocharc.json "require"): the test run starts its own
// real Ironic (fake hardware, noauth, free port, temporary state dir) before any test and stops it
// after the last one. noauth on purpose, unlike `pulumi-metal3 ironic start`'s default: the tests
// that use it are about hosts, machines and faults, not about authentication, and connect with the
// URL alone; it lives only for the run, in a 0700 temporary directory, on a random port. The
// authenticated default is tested by test/local/ironic.test.ts and ironic-cluster.test.ts, basic
// auth through the provider by test/ironic/client.test.ts. The operator's Ironic settings in the environment (IRONIC_URL, OS_ENDPOINT,
// OS_CLOUD, credentials: what the README tells users to set for their own Ironic) are removed
// first, so tests never enrol or delete nodes there; only the test-only
// PULUMI_METAL3_TEST_IRONIC_URL points the run at another (noauth) Ironic on purpose.

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
        // noauth unless the test gives credentials (see the top of this file).
        noauth: !opts.basicAuth,
        ...opts,
        port,
        stateDir,
    });
    startedByThisRun.push(running);
    stopStartedOnExit();
    // Tests and the programs they run call `baremetal` from the same environment as this Ironic.
    const pathDirs = (process.env.PATH ?? "").split(path.delimiter);
    if (!pathDirs.includes(running.binDir)) process.env.PATH = [running.binDir, ...pathDirs].filter(Boolean).join(path.delimiter);
    return running;
}

/**
 * A second Ironic for tests that need different settings (http_basic, other delays); fresh state
 * dir and free port. It is stopped at the end of the whole run, not by the caller.
 */
export function startExtraIronic(opts: Omit<StartIronicOptions, "stateDir"> = {}): Promise<RunningIronic> {
    return startOwnedIronic({ fakeDelays: TEST_FAKE_DELAYS, ...opts });
}

/** The test-only variable that aims the run at an Ironic it did not start. */
export const TEST_IRONIC_URL_VARIABLE = "PULUMI_METAL3_TEST_IRONIC_URL";

/** Variables through which a shell set up for an operator's Ironic would reach it (sdk/connection.ts reads these). */
export const OPERATOR_IRONIC_VARIABLES = [
    "IRONIC_URL",
    "OS_ENDPOINT",
    "OS_CLOUD",
    "OS_AUTH_TYPE",
    "OS_USERNAME",
    "OS_PASSWORD",
    "OS_TOKEN",
    "OS_CACERT",
    "OS_CERT",
    "OS_KEY",
    "OS_INSECURE",
    "OS_CLIENT_CONFIG_FILE",
];

/** Remove the operator's Ironic settings from `env`; returns the names it removed (never their values). */
export function dropOperatorIronicSettings(env: NodeJS.ProcessEnv): string[] {
    const removed = OPERATOR_IRONIC_VARIABLES.filter((name) => env[name] !== undefined);
    for (const name of removed) delete env[name];
    return removed;
}

export const mochaHooks = {
    async beforeAll(this: Mocha.Context): Promise<void> {
        // Building the Ironic environment takes a few minutes on a fresh machine.
        this.timeout(900_000);
        const removed = dropOperatorIronicSettings(process.env);
        if (removed.length)
            logLine(
                `ignoring ${removed.join(", ")} from the environment: tests use only Ironics they start (${TEST_IRONIC_URL_VARIABLE} names another on purpose)`,
            );
        const target = process.env[TEST_IRONIC_URL_VARIABLE];
        if (target) {
            process.env.IRONIC_URL = target;
            process.env.OS_ENDPOINT = target;
            process.env.OS_AUTH_TYPE = "none";
            logLine(`using ${TEST_IRONIC_URL_VARIABLE}=${target}`);
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
