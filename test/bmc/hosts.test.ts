// BareMetalHost against the real Ironic and real IPMI BMCs (local/bmc.ts: python3-pyghmi BMCs on
// loopback): what fake hardware never shows. Power is checked on the BMC itself with ipmitool.
// There is no ironic-python-agent image here, so no agent ever calls back: a live-iso deploy
// through the ramdisk deploy interface is the one deploy that reaches `active`; an agent deploy
// is shown waiting in `wait call-back` and destroyed from there.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { bmcPowerState, RunningBmc } from "../../local/bmc";
import { IronicClient } from "../../provider/ironic";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";
import { ironicsStartedByThisRun } from "../support/hooks";

const provider = bareMetalHostProvider;
let seq = 0;
function fresh(prefix: string) {
    seq++;
    const mac = `52:54:0b:${(process.pid % 256).toString(16).padStart(2, "0")}:${(Date.now() % 256).toString(16).padStart(2, "0")}:${(seq % 256).toString(16).padStart(2, "0")}`;
    return { name: `${prefix}-${process.pid % 1000}-${Date.now() % 100000}-${seq}`, mac };
}

/** A host on one lab BMC: cipher suite 3 (IPMI power changes in seconds, not half a minute), no agent-dependent steps unless asked. */
function ipmiHost(bmc: RunningBmc, prefix: string, extra: Record<string, unknown> = {}) {
    const { name, mac } = fresh(prefix);
    return {
        name,
        bmc: { address: `${bmc.address}?ciphersuite=3`, username: bmc.username, password: bmc.password },
        bootMACAddress: mac,
        online: true,
        automatedCleaningMode: "disabled",
        ...extra,
    };
}

async function configure(config: Record<string, string> = {}) {
    await provider.configure({ config: { get: (k: string) => config[k] } } as unknown as pulumi.dynamic.ConfigureRequest);
}

async function timed<T>(f: () => Promise<T>): Promise<{ value?: T; error?: Error; seconds: number }> {
    const start = Date.now();
    try {
        const value = await f();
        return { value, seconds: (Date.now() - start) / 1000 };
    } catch (error) {
        return { error: error as Error, seconds: (Date.now() - start) / 1000 };
    }
}

describe("BareMetalHost with real IPMI BMCs (virtual-BMC lab)", function () {
    this.timeout(600_000);
    let lab: TestBmcLab;
    let client: IronicClient;
    let server: http.Server;
    let filesUrl: string;
    const nodes: string[] = [];

    before(async () => {
        lab = await startTestBmcs(5);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        // The "images": a live ISO and agent kernel/ramdisk as tiny files served locally. Ironic's
        // iPXE boot only puts their URLs into the boot script; nothing here boots them.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-bmc-images-"));
        for (const f of ["live.iso", "ipa.kernel", "ipa.initramfs", "disk.qcow2"]) fs.writeFileSync(path.join(dir, f), `${f}\n`);
        server = http.createServer((req, res) => {
            const file = path.join(dir, path.basename(req.url ?? ""));
            if (!fs.existsSync(file)) return void res.writeHead(404).end();
            const body = fs.readFileSync(file);
            // Ironic checks the size with a HEAD request before it uses an image URL.
            res.writeHead(200, { "Content-Length": body.length, "Content-Type": "application/octet-stream" });
            res.end(req.method === "HEAD" ? undefined : body);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        filesUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(async () => {
        for (const id of nodes) {
            const n = await client.findNode(id).catch(() => undefined);
            if (!n) continue;
            if (!n.maintenance) await client.setMaintenance(n.uuid, "test cleanup").catch(() => undefined);
            await client.deleteNode(n.uuid).catch(() => undefined);
        }
        await client?.close();
        server?.close();
        await lab?.stop();
    });

    it("enrols with the right password (inspection it cannot do is skipped) and says why a wrong one fails, and how long it took", async () => {
        await configure();
        const good = ipmiHost(lab.bmcs[0], "lab-enrol");
        const ok = await timed(() => provider.create(good));
        expect(ok.error, ok.error?.message).to.equal(undefined);
        nodes.push(ok.value!.id);
        const node = await client.getNode(ok.value!.id);
        expect(node.provision_state).to.equal("available");
        expect(node.driver_info.ipmi_cipher_suite).to.equal("3");
        expect(node.driver_info.ipmi_password).to.equal("******"); // Ironic never returns it
        expect(node.inspect_interface).to.equal("no-inspect");
        expect(node.inspection_started_at ?? null).to.equal(null); // no "Driver ipmi does not support inspect"
        expect(bmcPowerState(lab.bmcs[0])).to.equal("off"); // available hosts wait powered off
        // Provide with automated cleaning disabled is where Ironic 21.4 logs the whole node at INFO.
        for (const ironic of ironicsStartedByThisRun()) {
            expect(fs.readFileSync(ironic.logFile, "utf8"), `${ironic.logFile} must not hold the BMC password`).to.not.include(lab.bmcs[0].password);
        }
        await provider.delete(ok.value!.id, ok.value!.outs);
        expect(await client.findNode(ok.value!.id)).to.equal(undefined);

        const bad = ipmiHost(lab.bmcs[0], "lab-badpw");
        bad.bmc.password = "not-the-password";
        const failed = await timed(() => provider.create(bad));
        const uuid = (failed.error as { id?: string } | undefined)?.id;
        if (uuid) nodes.push(uuid);
        expect(failed.error, "a wrong BMC password must fail the create").to.be.instanceOf(Error);
        const message = failed.error!.message;
        expect(message).to.include(`host default~${bad.name}`);
        expect(message).to.match(/last_error: .*(IPMI|power)/i);
        expect(message).to.match(/\d+\s?s\b/); // how long Ironic tried
        expect(message).to.not.include("not-the-password");
        expect(failed.seconds).to.be.lessThan(120);
    });

    it("live-iso deploy to active through the ramdisk deploy interface; online toggles the BMC's power; delete from active", async () => {
        await configure();
        const bmc = lab.bmcs[1];
        const host = ipmiHost(bmc, "lab-live", { inspectionMode: "disabled", image: { url: `${filesUrl}/live.iso`, format: "live-iso" } });
        const created = await timed(() => provider.create(host));
        expect(created.error, created.error?.message).to.equal(undefined);
        const id = created.value!.id;
        nodes.push(id);
        const node = await client.getNode(id);
        expect(node.provision_state).to.equal("active");
        expect(node.deploy_interface).to.equal("ramdisk");
        expect(node.instance_info.boot_iso).to.equal(`${filesUrl}/live.iso`);
        expect(bmcPowerState(bmc)).to.equal("on");

        const off = await provider.update(id, created.value!.outs, { ...host, online: false });
        expect(bmcPowerState(bmc)).to.equal("off");
        const on = await provider.update(id, off.outs!, { ...host, online: true });
        expect(bmcPowerState(bmc)).to.equal("on");

        const removed = await timed(() => provider.delete(id, on.outs!));
        expect(removed.error, removed.error?.message).to.equal(undefined);
        expect(await client.findNode(id)).to.equal(undefined);
        expect(bmcPowerState(bmc)).to.equal("off");
    });

    it("an agent deploy (qcow2) with the agent images from stack config waits for a call-back that never comes, and is destroyed at once", async () => {
        await configure({ "pulumi-metal3:deployKernel": `${filesUrl}/ipa.kernel`, "pulumi-metal3:deployRamdisk": `${filesUrl}/ipa.initramfs` });
        const host = ipmiHost(lab.bmcs[2], "lab-agent", {
            inspectionMode: "disabled",
            image: { url: `${filesUrl}/disk.qcow2`, checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
            timeouts: { deploy: "1m" },
        });
        const created = await timed(() => provider.create(host));
        const err = created.error as (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        expect(err, "no agent exists: the deploy cannot finish").to.be.instanceOf(Error);
        expect(err!.id, err!.message).to.be.a("string");
        nodes.push(err!.id!);
        const node = await client.getNode(err!.id!);
        expect(node.provision_state).to.equal("wait call-back");
        expect(node.driver_info.deploy_kernel).to.equal(`${filesUrl}/ipa.kernel`);
        expect(node.driver_info.deploy_ramdisk).to.equal(`${filesUrl}/ipa.initramfs`);
        expect(err!.message).to.include("wait call-back");

        const removed = await timed(() => provider.delete(err!.id!, err!.properties!));
        expect(removed.error, removed.error?.message).to.equal(undefined);
        expect(await client.findNode(err!.id!)).to.equal(undefined);
        // Undeployed from wait call-back, not waited out until Ironic's 30-minute callback timeout.
        expect(removed.seconds).to.be.lessThan(90);
    });

    it("without agent images: a clear error naming the inputs, for cleaning and for an agent deploy; the refused deploy leaves the node as it was", async () => {
        await configure();
        const bmc = lab.bmcs[3];
        const cleaning = ipmiHost(bmc, "lab-noipa", { automatedCleaningMode: "metadata", inspectionMode: "disabled" });
        const first = await timed(() => provider.create(cleaning));
        const e1 = first.error as (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        expect(e1, "cleaning needs the agent").to.be.instanceOf(Error);
        nodes.push(e1!.id!);
        expect(e1!.message).to.match(/automated cleaning .* needs the ironic-python-agent images: set deployKernel and deployRamdisk/);
        expect(e1!.message).to.include("pulumi-metal3:deployKernel").and.include("metal3:deployKernel etc. in YAML, Python and Go programs");
        expect(e1!.message).to.not.match(/^[^:]*Missing are/); // Ironic's words only after ours
        expect(first.seconds).to.be.lessThan(120);

        const deploy = {
            ...cleaning,
            automatedCleaningMode: "disabled",
            image: { url: `${filesUrl}/disk.qcow2`, checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
        };
        const second = await timed(() => provider.update(e1!.id!, e1!.properties!, deploy));
        expect(second.error, "an agent deploy needs the agent").to.be.instanceOf(Error);
        expect(second.error!.message).to.match(/deploy .*needs the ironic-python-agent images: set deployKernel and deployRamdisk/);
        const node = await client.getNode(e1!.id!);
        expect(node.provision_state).to.equal("available");
        expect(node.instance_info).to.deep.equal({});
        expect(node.deploy_interface).to.equal("direct");
    });

    it("deploy failed, then another image format (live-iso -> qcow2): undeploys first instead of Ironic's 409, and deploys the new one", async () => {
        await configure({ "pulumi-metal3:deployKernel": `${filesUrl}/ipa.kernel`, "pulumi-metal3:deployRamdisk": `${filesUrl}/ipa.initramfs` });
        // An ISO URL that answers 404: Ironic fails the ramdisk deploy at once ("deploy failed").
        const host = ipmiHost(lab.bmcs[3], "lab-format", { inspectionMode: "disabled", image: { url: `${filesUrl}/missing.iso`, format: "live-iso" } });
        const first = await timed(() => provider.create(host));
        const e1 = first.error as (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        expect(e1, "a missing ISO fails the deploy").to.be.instanceOf(Error);
        nodes.push(e1!.id!);
        expect((await client.getNode(e1!.id!)).provision_state).to.equal("deploy failed");

        const qcow2 = {
            ...host,
            image: { url: `${filesUrl}/disk.qcow2`, checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
            timeouts: { deploy: "45s" },
        };
        const second = await timed(() => provider.update(e1!.id!, e1!.properties!, qcow2));
        // No agent calls back here, so the new deploy cannot finish; what matters is that it started.
        expect(second.error?.message ?? "").to.not.match(/409|can not have deploy_interface updated/);
        const node = await client.getNode(e1!.id!);
        expect(["deploying", "wait call-back"]).to.include(node.provision_state);
        expect(node.deploy_interface).to.equal("direct");
        expect(node.instance_info.image_source).to.equal(`${filesUrl}/disk.qcow2`);
        expect(node.instance_info).to.not.have.property("boot_iso");
        const removed = await timed(() => provider.delete(e1!.id!, e1!.properties!));
        expect(removed.error, removed.error?.message).to.equal(undefined);
    });

    it("a BMC that stops answering during delete: the failed deprovisioning ends in a delete, not a loop", async () => {
        await configure();
        const bmc = lab.bmcs[4];
        const host = ipmiHost(bmc, "lab-dead", { inspectionMode: "disabled", image: { url: `${filesUrl}/live.iso`, format: "live-iso" } });
        const created = await provider.create(host);
        nodes.push(created.id);
        await lab.stopOne(4);
        const removed = await timed(() => provider.delete(created.id, created.outs));
        expect(removed.error, removed.error?.message).to.equal(undefined);
        expect(await client.findNode(created.id)).to.equal(undefined);
        expect(removed.seconds).to.be.lessThan(180);
    });

    it("the local Ironic offers every hardware type a BMC scheme maps to (ilo5-* schemes are redfish, idrac-* idrac)", async () => {
        const drivers = ((await client.request("GET", "/v1/drivers")) as { drivers: { name: string }[] }).drivers.map((d) => d.name);
        expect(drivers).to.include.members(["ipmi", "redfish", "idrac", "manual-management", "fake-hardware"]);
    });
});
