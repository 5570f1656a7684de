// `pulumi-metal3 ironic start` after the local Ironic died (SIGKILL, as a crash or the OOM killer
// would): it comes back on the port it had, so the URL in programs and stack config still works;
// and when something else took that port meanwhile, it says so instead of moving elsewhere.
import { execFile } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { stateFiles } from "../../local/ironic";
import { findFreePort, httpGet, isProcessAlive, readPidFile } from "../../local/proc";

const CLI = path.resolve(__dirname, "../../..", "bin", "pulumi-metal3");

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [CLI, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

/** Kills the whole Ironic process group at once, leaving its pid file and instance record behind. */
async function crash(stateDir: string): Promise<void> {
    const pid = readPidFile(stateFiles(stateDir).pid)!;
    process.kill(-pid, "SIGKILL");
    // Ironic 39's `ironic` is a master and a worker process (one group): the port is free only once both are gone.
    const groupAlive = () =>
        fs.readdirSync("/proc").some((entry) => {
            try {
                return /^\d+$/.test(entry) && fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[2] === String(pid);
            } catch {
                return false;
            }
        });
    for (let i = 0; i < 200 && (isProcessAlive(pid) || groupAlive()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(pid) || groupAlive(), `ironic process group ${pid} still alive after SIGKILL`).to.equal(false);
}

describe("pulumi-metal3 ironic start after a crash", function () {
    this.timeout(240_000);
    let stateDir: string;
    let port: number;

    before(async () => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-ironic-restart-"));
        port = await findFreePort();
    });
    after(async function () {
        this.timeout(60_000);
        await cli("ironic", "stop", "--state-dir", stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("comes back on the port it had; refuses, naming the port and what to do, when another process holds it", async () => {
        const first = await cli("ironic", "start", "--state-dir", stateDir, "--port", String(port));
        expect(first.code, first.stderr).to.equal(0);
        expect(first.stdout).to.match(new RegExp(`^IRONIC_URL=http://127\\.0\\.0\\.1:${port}\n`));

        await crash(stateDir);
        // No --port: the state directory remembers it.
        const again = await cli("ironic", "start", "--state-dir", stateDir);
        expect(again.code, again.stderr).to.equal(0);
        // Same URL and the same credentials' lines (the generated password is kept in the state dir).
        expect(again.stdout).to.equal(first.stdout);
        expect((await httpGet(`http://127.0.0.1:${port}/`))?.status).to.equal(200);

        await crash(stateDir);
        const squatter = net.createServer((s) => s.destroy());
        await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
        try {
            const refused = await cli("ironic", "start", "--state-dir", stateDir);
            expect(refused.code).to.equal(1);
            expect(refused.stdout).to.equal("");
            expect(refused.stderr).to.contain(`port ${port}`).and.to.contain("in use by another process").and.to.contain("--port");
        } finally {
            await new Promise((resolve) => squatter.close(resolve));
        }
    });
});
