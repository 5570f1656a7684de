// An Ironic on PostgreSQL (ironic-api + one conductor, local/ironic-cluster.ts) for the tests that
// race many claims at once. Ironic 39 on sqlite loses concurrent allocations: a conductor thread's
// `UPDATE allocations` meets "database is locked" at once (sqlite refuses to turn a reader into a
// writer after another writer committed, whatever the busy timeout) and `update_allocation` has no
// sqlite retry (ironic/db/sqlalchemy/api.py), so the allocation stays `allocating` for good. A
// production Ironic runs on a real database; these tests do too.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningCluster, startIronicCluster, stopIronicCluster } from "../../local/ironic-cluster";
import { removePostgresData } from "../../local/postgres";
import { TEST_FAKE_DELAYS } from "./hooks";

export async function startPostgresIronic(): Promise<RunningCluster> {
    // mkdtemp makes it 0700: as root, the postgres user cannot reach it and the cluster data goes to the /var/lib/postgresql fallback.
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-pg-ironic-"));
    try {
        return await startIronicCluster({
            conductors: 1,
            stateDir,
            // The API noauth, as the suite's own Ironic (test/support/hooks.ts says why): these tests
            // are about claims and connect with the URL alone. JSON-RPC between API and conductor
            // stays authenticated (local/ironic-cluster.ts), so they exercise that too.
            noauth: true,
            fakeDelays: TEST_FAKE_DELAYS,
            log: (line) => process.stderr.write(`[test-ironic-pg] ${line}\n`),
        });
    } catch (err) {
        // A start that failed halfway leaves PostgreSQL and the web server running: stop what it started.
        await stopIronicCluster({ stateDir }).catch(() => undefined);
        removePostgresData(stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
        throw err;
    }
}

export async function stopPostgresIronic(running: RunningCluster | undefined): Promise<void> {
    if (!running) return;
    await stopIronicCluster({ stateDir: running.stateDir });
    removePostgresData(running.stateDir);
    fs.rmSync(running.stateDir, { recursive: true, force: true });
}
