// `pulumi-metal3 bmc start --redfish N [--tls]|stop|status` as a user runs it: the real sushy-tools
// emulator on loopback, checked over HTTP(S) with Node's own client (a wrong password is refused,
// the self-signed certificate fails verification unless pinned, power changes stick).
import { execFile } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { isProcessAlive, sleep } from "../../local/proc";
import { redfishPowerState, redfishRequest, RedfishLab, RedfishSystem } from "../../local/redfish";

const CLI = path.resolve(__dirname, "../../..", "bin", "pulumi-metal3");

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

interface Line {
    address: string;
    username: string;
    password: string;
    mac: string;
}
function parseLines(stdout: string): Line[] {
    return stdout
        .split("\n")
        .filter((l) => l.startsWith("BMC="))
        .map((l) => {
            const [address, username, password, mac] = l.slice(4).split(" ");
            return { address, username, password, mac: mac.replace(/^BOOT_MAC=/, "") };
        });
}

/** GET with certificate verification on (Node's default), optionally trusting `ca`. */
function verifiedGet(url: string, ca?: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
        https
            .get(url, { ca, timeout: 5000 }, (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            })
            .once("error", reject);
    });
}

describe("Redfish BMC lab (pulumi-metal3 bmc --redfish, sushy-tools)", function () {
    this.timeout(300_000);
    let stateDir: string;
    const port = String(20000 + Math.floor(Math.random() * 20000));
    before(() => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-redfish-cli-"));
    });
    after(async () => {
        await cli("bmc", "stop", "--state-dir", stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("serves N fake systems over HTTPS with basic auth, keeps them across starts, and stops", async () => {
        const first = await cli("bmc", "start", "--redfish", "2", "--tls", "--redfish-port", port, "--state-dir", stateDir);
        expect(first.code, first.stderr).to.equal(0);
        const lines = parseLines(first.stdout);
        expect(lines).to.have.length(2);
        for (const l of lines) expect(l.address).to.match(/^redfish\+https:\/\/127\.0\.0\.1:\d+\/redfish\/v1\/Systems\/[0-9a-f-]{36}$/);
        expect(lines[0].address).to.not.equal(lines[1].address);
        expect(lines[0].mac)
            .to.match(/^52:54:02(:[0-9a-f]{2}){3}$/)
            .and.not.equal(lines[1].mac);
        // No IPMI BMC was asked for, none started.
        expect(first.stdout).to.not.match(/ipmi:\/\//);
        // The password is in owner-only files only: the record, the htpasswd (a bcrypt hash), the key.
        const dir = path.join(stateDir, "redfish");
        for (const f of ["redfish.json", "htpasswd", "key.pem", "emulator.conf.py"]) expect(fs.statSync(path.join(dir, f)).mode & 0o077, f).to.equal(0);
        expect(fs.readFileSync(path.join(dir, "htpasswd"), "utf8"))
            .to.match(/^admin:\$2b\$/)
            .and.not.include(lines[0].password);
        expect(fs.readFileSync(path.join(dir, "emulator.conf.py"), "utf8")).to.not.include(lines[0].password);

        const url = new URL(lines[0].address.replace(/^redfish\+/, ""));
        const lab: RedfishLab = { port: Number(url.port), tls: true, username: lines[0].username, password: lines[0].password, systems: [] };
        const system: RedfishSystem = { name: "redfish-0", uuid: url.pathname.split("/").pop()!, mac: lines[0].mac };

        // Each system is what the line says: its UUID, name and NIC MAC.
        const sys = await redfishRequest(lab, "GET", url.pathname);
        expect(sys.status).to.equal(200);
        expect(sys.body).to.include({ Id: system.uuid, UUID: system.uuid, Name: "redfish-0", PowerState: "Off" });
        const nics = await redfishRequest(lab, "GET", `${url.pathname}/EthernetInterfaces`);
        expect(JSON.stringify(nics.body)).to.include(lines[0].mac);

        // Basic auth: a wrong password is refused.
        expect((await redfishRequest({ ...lab, password: "wrong-password" }, "GET", url.pathname)).status).to.equal(401);
        // The self-signed certificate fails verification, and passes when pinned.
        let refused: Error | undefined;
        await verifiedGet(`https://127.0.0.1:${lab.port}/redfish/v1/`).catch((e: Error) => (refused = e));
        expect(refused?.message).to.match(/self[- ]signed/i);
        expect(await verifiedGet(`https://127.0.0.1:${lab.port}/redfish/v1/`, fs.readFileSync(path.join(dir, "cert.pem")))).to.equal(200);

        // A power change through Redfish sticks (the fake driver applies it 1–11 s later).
        const reset = await redfishRequest(lab, "POST", `${url.pathname}/Actions/ComputerSystem.Reset`, { ResetType: "On" });
        expect(reset.status).to.be.oneOf([200, 204]);
        const deadline = Date.now() + 20_000;
        while ((await redfishPowerState(lab, system)) !== "On" && Date.now() < deadline) await sleep(500);
        expect(await redfishPowerState(lab, system)).to.equal("On");

        // Idempotent: the same process, systems, password; its state (power) kept.
        const again = await cli("bmc", "start", "--redfish", "2", "--tls", "--redfish-port", port, "--state-dir", stateDir);
        expect(again.code).to.equal(0);
        expect(parseLines(again.stdout)).to.deep.equal(lines);
        expect(again.stderr).to.match(/Redfish emulator already running/);
        expect(await redfishPowerState(lab, system)).to.equal("On");

        const status = await cli("bmc", "status", "--state-dir", stateDir);
        expect(status.code).to.equal(0);
        const pid = Number(/running pid (\d+)/.exec(status.stdout)?.[1]);
        expect(isProcessAlive(pid)).to.equal(true);

        // One system more: the emulator restarts with the first two unchanged (UUID, MAC, password).
        const three = await cli("bmc", "start", "--redfish", "3", "--tls", "--redfish-port", port, "--state-dir", stateDir);
        expect(three.code, three.stderr).to.equal(0);
        expect(parseLines(three.stdout).slice(0, 2)).to.deep.equal(lines);
        expect(parseLines(three.stdout)).to.have.length(3);
        const members = await redfishRequest(lab, "GET", "/redfish/v1/Systems");
        expect((members.body as { Members: unknown[] }).Members).to.have.length(3);

        const stop = await cli("bmc", "stop", "--state-dir", stateDir);
        expect(stop.code).to.equal(0);
        expect(stop.stderr).to.match(/Redfish emulator stopped/);
        const stopped = await cli("bmc", "status", "--state-dir", stateDir);
        expect(stopped.code).to.equal(3);
        expect(stopped.stdout).to.include(`${lines[0].address} admin ${lines[0].password} BOOT_MAC=${lines[0].mac} stopped`);
    });

    it("serves plain HTTP without --tls", async () => {
        const r = await cli("bmc", "start", "--redfish", "1", "--redfish-port", port, "--state-dir", stateDir);
        expect(r.code, r.stderr).to.equal(0);
        const [line] = parseLines(r.stdout);
        expect(line.address).to.match(/^redfish\+http:\/\/127\.0\.0\.1:\d+\/redfish\/v1\/Systems\//);
        const url = new URL(line.address.replace(/^redfish\+/, ""));
        const lab = { port: Number(url.port), tls: false, username: line.username, password: line.password };
        expect((await redfishRequest(lab, "GET", url.pathname)).status).to.equal(200);
    });

    it("rejects a bad --redfish count and --tls without --redfish", async () => {
        const bad = await cli("bmc", "start", "--redfish", "two", "--state-dir", stateDir);
        expect(bad.code).to.equal(2);
        expect(bad.stderr).to.match(/bad --redfish "two"/);
        const tls = await cli("bmc", "start", "--tls", "--state-dir", stateDir);
        expect(tls.code).to.equal(2);
        expect(tls.stderr).to.match(/--tls is for the Redfish emulator/);
    });
});
