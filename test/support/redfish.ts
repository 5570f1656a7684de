// The Redfish tests' emulators (local/redfish.ts: sushy-tools, fake systems driver): ONE per
// transport for the whole test run, started on first use, so every Redfish test shares it instead
// of paying the start-up (and the venv check) again. Tests take systems of their own from it
// (`takeSystems`), never the same one twice, so their power and virtual-media state never mix.
// Killed with the test run (process exit), its temporary state removed.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningRedfishLab, RedfishSystem, startRedfish, stopRedfish } from "../../local/redfish";

/** Systems per emulator: more than every Redfish test of the suite takes together. */
const SYSTEMS_PER_LAB = 16;

export interface SharedRedfishLab {
    lab: RunningRedfishLab;
    stateDir: string;
    /** `n` systems no other test got. */
    takeSystems(n: number): RedfishSystem[];
    /** Stop the emulator (a BMC that stops answering); `restart` brings it back with the same systems and state. */
    stop(): Promise<void>;
    restart(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`[test-redfish] ${line}\n`);
const labs = new Map<"https" | "http", Promise<SharedRedfishLab>>();

async function start(transport: "https" | "http"): Promise<SharedRedfishLab> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `pulumi-metal3-test-redfish-${transport}-`));
    const basePort = 20000 + Math.floor(Math.random() * 20000);
    const opts = { count: SYSTEMS_PER_LAB, tls: transport === "https", stateDir, basePort, log };
    const first = await startRedfish(opts);
    if (!first) throw new Error("the Redfish emulator did not start");
    let lab = first;
    const kill = () => {
        try {
            process.kill(-lab.pid, "SIGTERM");
        } catch {
            /* already gone */
        }
        if (process.env.PULUMI_METAL3_KEEP_IRONIC_STATE !== "1") fs.rmSync(stateDir, { recursive: true, force: true });
    };
    process.once("exit", kill);
    let next = 0;
    return {
        get lab() {
            return lab;
        },
        stateDir,
        takeSystems(n: number) {
            if (next + n > lab.systems.length)
                throw new Error(`the shared Redfish emulator has ${lab.systems.length} systems; raise SYSTEMS_PER_LAB in test/support/redfish.ts`);
            const taken = lab.systems.slice(next, next + n);
            next += n;
            return taken;
        },
        async stop() {
            await stopRedfish({ stateDir, log });
        },
        async restart() {
            const again = await startRedfish(opts);
            if (!again) throw new Error("the Redfish emulator did not start again");
            lab = again;
        },
    };
}

/** The run's emulator for `https` (self-signed certificate) or plain `http`. */
export function sharedRedfishLab(transport: "https" | "http"): Promise<SharedRedfishLab> {
    let lab = labs.get(transport);
    if (!lab) {
        lab = start(transport);
        labs.set(transport, lab);
    }
    return lab;
}
