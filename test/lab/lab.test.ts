// `lab start` with one VM, against real libvirt, sushy-tools and virtualbmc: the VM is a libvirt
// domain with the recorded MAC on a user-mode NIC (no libvirt network), powered off; the Redfish
// BMC (basic auth) powers it on and off, and so does the IPMI BMC; password files are 0600;
// `lab stop` undefines the domain and stops the BMCs.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ipmitool } from "../../local/bmc";
import { virsh } from "../../local/lab/libvirtd";
import { Lab, labStatus, readLabPassword, startLab, stopLab } from "../../local/lab/lab";
import { isProcessAlive, sleep } from "../../local/proc";

async function waitForState(domain: string, want: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let state = "";
    while (Date.now() < deadline) {
        state = virsh(["domstate", domain]).output.split("\n")[0];
        if (state === want) return state;
        await sleep(500);
    }
    return state;
}

describe("lab start/stop: a VM with Redfish (virtual media) and IPMI BMCs", function () {
    this.timeout(20 * 60_000);
    let stateDir: string;
    let lab: Lab;
    const prefix = `labtest${process.pid % 100000}`;

    before(async function () {
        this.timeout(60 * 60_000);
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-state-"));
        lab = await startLab({ vms: 1, stateDir, prefix, memoryMiB: 1024, diskGiB: 5 });
    });
    after(async () => {
        if (stateDir) {
            await stopLab({ stateDir });
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    it("defines one powered-off domain whose only NIC is user-mode with the recorded MAC, and no libvirt network", () => {
        expect(lab.vms).to.have.length(1);
        const vm = lab.vms[0];
        expect(vm.name).to.equal(`${prefix}-vm-0`);
        expect(vm.state).to.equal("shut off");
        const xml = virsh(["dumpxml", vm.name]).output;
        expect(xml).to.contain(`virtio-net-pci,netdev=labnet0,mac=${vm.mac}`);
        expect(xml).to.contain(`user,id=labnet0,hostfwd=tcp:127.0.0.1:${vm.agentPort}-:9999`);
        expect(xml).not.to.match(/<interface /);
        expect(virsh(["net-list", "--name"]).output.trim()).to.equal("");
    });

    it("keeps passwords in 0600 files and prints ready-to-use BMC addresses", () => {
        const vm = lab.vms[0];
        for (const f of [lab.redfishPasswordFile, vm.ipmiPasswordFile]) expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
        expect(vm.redfishAddress).to.match(new RegExp(`^redfish-virtualmedia\\+http://127\\.0\\.0\\.1:${lab.redfishPort}/redfish/v1/Systems/${vm.uuid}$`));
        expect(vm.ipmiAddress).to.equal(`ipmi://127.0.0.1:${vm.ipmiPort}`);
    });

    it("the Redfish BMC refuses a wrong password, reports the system with virtual media, and powers the VM on and off", async () => {
        const vm = lab.vms[0];
        const base = `http://127.0.0.1:${lab.redfishPort}/redfish/v1`;
        const auth = { Authorization: `Basic ${Buffer.from(`admin:${readLabPassword(lab.redfishPasswordFile)}`).toString("base64")}` };
        const bad = await fetch(`${base}/Systems/${vm.uuid}`, { headers: { Authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}` } });
        expect(bad.status).to.equal(401);
        const system = (await (await fetch(`${base}/Systems/${vm.uuid}`, { headers: auth })).json()) as {
            PowerState: string;
            MemorySummary: { TotalSystemMemoryGiB: number };
            VirtualMedia: { "@odata.id": string };
        };
        expect(system.PowerState).to.equal("Off");
        expect(system.MemorySummary.TotalSystemMemoryGiB).to.equal(1);
        // sushy-tools 2.2.0 lists virtual media under the System.
        const mediaUrl = `http://127.0.0.1:${lab.redfishPort}${system.VirtualMedia["@odata.id"]}`;
        const media = (await (await fetch(mediaUrl, { headers: auth })).json()) as { Members: { "@odata.id": string }[] };
        expect(media.Members.map((m) => m["@odata.id"])).to.include(`${system.VirtualMedia["@odata.id"]}/Cd`);
        const reset = (type: string) =>
            fetch(`${base}/Systems/${vm.uuid}/Actions/ComputerSystem.Reset`, {
                method: "POST",
                headers: { ...auth, "Content-Type": "application/json" },
                body: JSON.stringify({ ResetType: type }),
            });
        expect((await reset("On")).status).to.be.oneOf([200, 202, 204]);
        expect(await waitForState(vm.name, "running")).to.equal("running");
        expect((await reset("ForceOff")).status).to.be.oneOf([200, 202, 204]);
        expect(await waitForState(vm.name, "shut off")).to.equal("shut off");
    });

    it("the IPMI BMC powers the VM on and off", async () => {
        const vm = lab.vms[0];
        const bmc = { name: vm.name, port: vm.ipmiPort, username: "admin", password: readLabPassword(vm.ipmiPasswordFile), address: vm.ipmiAddress };
        expect(ipmitool(bmc, ["power", "on"]).code).to.equal(0);
        expect(await waitForState(vm.name, "running")).to.equal("running");
        expect(ipmitool(bmc, ["power", "status"]).output).to.contain("Chassis Power is on");
        expect(ipmitool(bmc, ["power", "off"]).code).to.equal(0);
        expect(await waitForState(vm.name, "shut off")).to.equal("shut off");
    });

    it("status reports the running BMCs; stop undefines the domain and stops them", async () => {
        const status = await labStatus({ stateDir });
        expect(status.redfishRunning && status.ipmiRunning).to.equal(true);
        const sushyPid = Number(fs.readFileSync(path.join(stateDir, "sushy.pid"), "utf8"));
        await stopLab({ stateDir });
        expect(virsh(["domstate", lab.vms[0].name]).code).to.not.equal(0);
        expect(isProcessAlive(sushyPid)).to.equal(false);
        const after = await labStatus({ stateDir });
        expect(after.redfishRunning || after.ipmiRunning).to.equal(false);
    });
});
