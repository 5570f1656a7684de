// A provider process ends with its engine (sdk/providers/engine-watch.ts). Real processes: an
// orphaned child re-parented to init, and the EPIPE loop of @pulumi/pulumi's dynamic-provider
// host (uncaught errors printed to a stderr nobody reads). Each case also runs without the watch,
// to show the process would have lived on: the test can fail.
import { expect } from "chai";
import { spawn, ChildProcess } from "child_process";
import * as path from "path";

const WATCH = path.resolve(__dirname, "../../sdk/providers/engine-watch.js");

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (!alive(pid)) return true;
        await new Promise((r) => setTimeout(r, 100));
    }
    return !alive(pid);
}

/**
 * A provider-like process whose parent exits as soon as the child says it is watching (so the
 * watch has seen its first parent): returns the orphan's pid.
 */
async function orphan(watch: boolean): Promise<number> {
    const body = `${watch ? `require(${JSON.stringify(WATCH)}).watchEngine(200);` : ""} process.stdout.write("ready\\n"); setInterval(() => {}, 1000);`;
    const parent = [
        `const c = require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(body)}], { stdio: ["ignore", "pipe", "ignore"], detached: true });`,
        `c.stdout.once("data", () => { process.stdout.write(String(c.pid)); process.exit(0); });`,
    ].join("\n");
    const p = spawn(process.execPath, ["-e", parent], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout!.on("data", (d) => (out += d));
    await new Promise((r) => p.on("exit", r));
    return Number(out.trim());
}

/** Upstream's handler: every uncaught error goes to console.error. Prints "ready", then writes to stderr forever. */
function epipeChild(watch: boolean): ChildProcess {
    const body = [
        `process.on("uncaughtException", (e) => console.error(e.stack || String(e)));`,
        watch ? `require(${JSON.stringify(WATCH)}).watchEngine(60000);` : "",
        `process.stdout.write("ready\\n");`,
        `setInterval(() => console.error("progress"), 20);`,
    ].join("\n");
    return spawn(process.execPath, ["-e", body], { stdio: ["ignore", "pipe", "pipe"] });
}

async function closeStderrWhenReady(child: ChildProcess): Promise<void> {
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    child.stderr!.destroy();
}

describe("a provider process ends with its engine (sdk/providers/engine-watch)", function () {
    this.timeout(30000);
    const leftovers: number[] = [];
    after(() => leftovers.forEach((pid) => alive(pid) && process.kill(pid, "SIGKILL")));

    it("exits once its parent is gone; without the watch the orphan lives on", async () => {
        const unwatched = await orphan(false);
        const watched = await orphan(true);
        leftovers.push(unwatched, watched);
        expect(await waitGone(watched, 5000), "the watched orphan should have exited").to.equal(true);
        expect(alive(unwatched), "the unwatched orphan is still running").to.equal(true);
    });

    it("exits when stderr's reader is gone instead of spinning on EPIPE; without the watch it spins", async () => {
        const unwatched = epipeChild(false);
        const watched = epipeChild(true);
        leftovers.push(unwatched.pid!, watched.pid!);
        const code = new Promise<number | null>((r) => watched.on("exit", (c) => r(c)));
        await Promise.all([closeStderrWhenReady(unwatched), closeStderrWhenReady(watched)]);
        const timeout = new Promise<string>((r) => setTimeout(() => r("still running"), 5000));
        expect(await Promise.race([code, timeout])).to.equal(3);
        expect(alive(unwatched.pid!), "the unwatched process is still running").to.equal(true);
    });
});
