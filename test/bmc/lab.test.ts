// `pulumi-metal3 bmc start|stop|status` as a user runs it: real IPMI BMC processes on loopback,
// checked with ipmitool (a wrong password is refused, power changes stick on the BMC).
import { execFile } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bmcPowerState, ipmitool, LabBmc } from "../../local/bmc";
import { isProcessAlive } from "../../local/proc";

const CLI = path.resolve(__dirname, "../../..", "bin", "pulumi-metal3");

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

function parseLines(stdout: string): LabBmc[] {
    return stdout
        .split("\n")
        .filter((l) => l.startsWith("BMC="))
        .map((l) => {
            const [address, username, password] = l.slice(4).split(" ");
            return { name: "", address, username, password, port: Number(new URL(address).port) };
        });
}

describe("virtual BMC lab (pulumi-metal3 bmc)", function () {
    let stateDir: string;
    const basePort = String(20000 + Math.floor(Math.random() * 20000));
    before(() => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-bmc-cli-"));
    });
    after(async () => {
        await cli("bmc", "stop", "--state-dir", stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("starts N BMCs with their own ports and passwords, idempotently, and stops them", async () => {
        const first = await cli("bmc", "start", "--ipmi", "2", "--base-port", basePort, "--state-dir", stateDir);
        expect(first.code, first.stderr).to.equal(0);
        const bmcs = parseLines(first.stdout);
        expect(bmcs).to.have.length(2);
        expect(bmcs[0].address).to.match(/^ipmi:\/\/127\.0\.0\.1:\d+$/);
        expect(bmcs[0].port).to.not.equal(bmcs[1].port);
        expect(bmcs[0].password).to.not.equal(bmcs[1].password);
        // The records hold the password: owner-only.
        expect(fs.statSync(path.join(stateDir, "bmc-0.json")).mode & 0o077).to.equal(0);

        // Real IPMI: the right password answers, a wrong one is refused, power changes stick.
        expect(bmcPowerState(bmcs[0])).to.equal("off");
        const wrong = ipmitool({ ...bmcs[0], password: "wrong-password" }, ["power", "status"]);
        expect(wrong.code).to.not.equal(0);
        expect(ipmitool(bmcs[1], ["power", "on"]).code).to.equal(0);
        expect(bmcPowerState(bmcs[1])).to.equal("on");
        expect(bmcPowerState(bmcs[0])).to.equal("off");

        const again = await cli("bmc", "start", "--ipmi", "2", "--base-port", basePort, "--state-dir", stateDir);
        expect(again.code).to.equal(0);
        expect(parseLines(again.stdout)).to.deep.equal(bmcs);
        expect(again.stderr).to.match(/bmc-0 already running/);
        expect(bmcPowerState(bmcs[1])).to.equal("on"); // the same process: its state is kept

        const status = await cli("bmc", "status", "--state-dir", stateDir);
        expect(status.code).to.equal(0);
        expect(status.stdout).to.match(/running pid \d+/);
        const pids = [...status.stdout.matchAll(/running pid (\d+)/g)].map((m) => Number(m[1]));
        expect(pids).to.have.length(2);

        // make-host declares a host for a lab BMC (its password only as a config secret reference).
        const declared = await cli("make-host", "--lab-bmc", "1", "--bmc-state-dir", stateDir, "--boot-mac", "52:54:00:aa:bb:01", "worker-1");
        expect(declared.code, declared.stderr).to.equal(0);
        expect(declared.stdout).to.include(`address: "${bmcs[1].address}?ciphersuite=3"`).and.include('username: "admin"');
        expect(declared.stdout).to.not.include(bmcs[1].password);

        // Fewer BMCs asked for: the extra one stops.
        const one = await cli("bmc", "start", "--ipmi", "1", "--base-port", basePort, "--state-dir", stateDir);
        expect(parseLines(one.stdout)).to.deep.equal([bmcs[0]]);
        expect(isProcessAlive(pids[1])).to.equal(false);

        const stop = await cli("bmc", "stop", "--state-dir", stateDir);
        expect(stop.code).to.equal(0);
        expect(isProcessAlive(pids[0])).to.equal(false);
        const stopped = await cli("bmc", "status", "--state-dir", stateDir);
        expect(stopped.code).to.equal(3);
        expect(stopped.stdout).to.include(`${bmcs[0].address} admin ${bmcs[0].password} stopped`);
    });

    it("rejects a bad --ipmi count", async () => {
        const r = await cli("bmc", "start", "--ipmi", "two", "--state-dir", stateDir);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/bad --ipmi "two"/);
    });
});
