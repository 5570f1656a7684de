// Virtual IPMI BMCs for a test file (local/bmc.ts: python3-pyghmi's BMC, one process per BMC):
// temporary state dir, ports away from 6230 so a developer's own lab keeps running. Stopped by the
// caller's `after`, and killed with the test run if it ends before that (Ctrl-C, timeout).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningBmc, startBmcs, stopBmcs } from "../../local/bmc";
import { stopProcessGroup } from "../../local/proc";

export interface TestBmcLab {
    bmcs: RunningBmc[];
    stateDir: string;
    stop(): Promise<void>;
    /** Stop one BMC (a server whose BMC stops answering). */
    stopOne(index: number): Promise<void>;
}

const log = (line: string) => process.stderr.write(`[test-bmc] ${line}\n`);

export async function startTestBmcs(count: number): Promise<TestBmcLab> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-test-bmc-"));
    const basePort = 20000 + Math.floor(Math.random() * 20000);
    const bmcs = await startBmcs({ count, stateDir, basePort, log });
    const killAll = () => {
        for (const b of bmcs) {
            try {
                process.kill(-b.pid, "SIGTERM");
            } catch {
                /* already gone */
            }
        }
    };
    process.once("exit", killAll);
    return {
        bmcs,
        stateDir,
        async stopOne(index: number) {
            await stopProcessGroup(bmcs[index].pid, 3000);
        },
        async stop() {
            process.removeListener("exit", killAll);
            await stopBmcs({ stateDir, log });
            if (process.env.PULUMI_METAL3_KEEP_IRONIC_STATE !== "1") fs.rmSync(stateDir, { recursive: true, force: true });
        },
    };
}
