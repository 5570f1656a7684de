// Ironic dying and coming back, as test/e2e/outage.test.ts and the faults campaign (test/faults/)
// do it: SIGKILL of Ironic's process group (no clean shutdown: its conductor keeps its locks and
// its nodes stay in their `*ing` states until the next start takes them over), then a start on
// the same state directory, so the same database and the same port.
import { isProcessAlive } from "../../local/proc";
import { FakeDelays, RunningIronic, startIronic } from "../../local/ironic";
import { TEST_FAKE_DELAYS, TEST_IPMI_RETRY_TIMEOUT_S, TEST_REDFISH_RETRY } from "./hooks";

export async function killIronic(ironic: RunningIronic): Promise<void> {
    process.kill(-ironic.pid, "SIGKILL");
    while (isProcessAlive(ironic.pid)) await new Promise((r) => setTimeout(r, 100));
}

/** Ironic again on `ironic`'s state directory (same database, same port); returns the new process. */
export async function restartIronic(ironic: RunningIronic, fakeDelays: FakeDelays = TEST_FAKE_DELAYS, tag = "outage-ironic"): Promise<RunningIronic> {
    const restarted = await startIronic({
        stateDir: ironic.stateDir,
        // As the suite's Ironics (test/support/hooks.ts) are: noauth, what the restarted one's clients expect.
        noauth: !ironic.credentials,
        fakeDelays,
        ipmiRetryTimeoutS: TEST_IPMI_RETRY_TIMEOUT_S,
        redfishRetry: TEST_REDFISH_RETRY,
        log: (l) => process.stderr.write(`[${tag}] ${l}\n`),
    });
    if (restarted.url !== ironic.url) throw new Error(`Ironic came back on ${restarted.url}, not ${ironic.url}`);
    return restarted;
}
