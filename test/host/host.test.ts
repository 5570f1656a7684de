// BareMetalHost against a real Ironic (fake hardware): the exported provider's handlers called
// directly, Ironic's state asserted with the client.
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";
import { EXTRA } from "../../provider/host/lifecycle";

const provider = bareMetalHostProvider;
// The dynamic-provider host sends results through protobuf Structs; anything they reject fails
// only under the real engine ("Unexpected struct type"), so every result is checked here.

const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));
function wireSafe<T>(v: T): T {
    expect(() => Struct.fromJavaScript(v), "result must survive the engine's protobuf Struct").to.not.throw();
    return v;
}
const REPO = path.resolve(__dirname, "../../..");
let seq = 0;
/** A unique host name and MAC per test so tests never adopt each other's nodes. */
function fresh(prefix: string) {
    seq++;
    const tag = `${process.pid % 256}`.padStart(2, "0");
    const mac = `52:54:${(process.pid % 256).toString(16).padStart(2, "0")}:${(Date.now() % 256).toString(16).padStart(2, "0")}:${(seq % 256).toString(16).padStart(2, "0")}:${Math.floor(
        Math.random() * 256,
    )
        .toString(16)
        .padStart(2, "0")}`;
    return { name: `${prefix}-${tag}-${Date.now() % 100000}-${seq}`, mac };
}

const image = { url: "http://127.0.0.1:1/images/os-1.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" };
const image2 = { url: "http://127.0.0.1:1/images/os-2.qcow2", checksum: "fedcba9876543210fedcba9876543210", format: "qcow2" };

async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

describe("BareMetalHost against real Ironic (fake hardware)", function () {
    this.timeout(600_000);
    let client: IronicClient;
    const cleanup: string[] = [];

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        for (const id of cleanup) {
            const n = await client.findNode(id);
            if (n) {
                if (!n.maintenance) await client.setMaintenance(n.uuid, "test cleanup").catch(() => undefined);
                await client.deleteNode(n.uuid).catch(() => undefined);
            }
        }
        await client.close();
    });

    it("full lifecycle: enrol → available+off; image → active; power; reprovision; deprovision; delete", async () => {
        const { name, mac } = fresh("life");
        const inputs: Record<string, unknown> = {
            name,
            bmc: { address: "fake://lifecycle" },
            online: true,
            bootMACAddress: mac,
            labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" },
            traits: ["CUSTOM_GPU"],
            resourceClass: "test-metal",
            description: "lifecycle test",
        };
        expect((await provider.check({}, inputs)).failures).to.equal(undefined);

        // Create without an image: Ironic available, powered off, registered as the program says.
        const created = wireSafe(await provider.create(inputs));
        wireSafe(created.outs);
        cleanup.push(created.id);
        let node = await client.getNode(created.id);
        expect(node.name).to.equal(`default~${name}`);
        expect(node.provision_state).to.equal("available");
        expect(node.power_state).to.equal("power off");
        expect(node.resource_class).to.equal("test-metal");
        expect(node.traits).to.deep.equal(["CUSTOM_GPU"]);
        expect(node.extra[EXTRA.labels]).to.deep.equal({ "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" });
        expect(node.extra[EXTRA.managed]).to.equal("true");
        expect((await client.listPorts({ node: node.uuid })).map((p) => p.address)).to.deep.equal([mac]);
        expect(created.outs).to.include({
            nodeUuid: created.id,
            provisioningState: "available",
            ironicProvisionState: "available",
            poweredOn: false,
            errorMessage: "",
        });
        expect(created.outs.hardware).to.have.property("source");

        // Image + user data: provisioned, powered on, config drive given, secrets nowhere in outputs.
        const withImage = { ...inputs, image, userData: "#cloud-config\nhostname: secret-host\n" };
        const d1 = await provider.diff!(created.id, created.outs, withImage);
        expect(d1.changes).to.equal(true);
        expect(d1.replaces).to.deep.equal([]);
        const u1 = wireSafe(await provider.update!(created.id, created.outs, withImage));
        wireSafe(u1.outs);
        node = await client.getNode(created.id);
        expect(node.provision_state).to.equal("active");
        expect(node.power_state).to.equal("power on");
        expect(node.instance_info.image_source).to.equal(image.url);
        expect(node.instance_info.configdrive).to.equal("******");
        expect(u1.outs).to.include({ provisioningState: "provisioned", poweredOn: true });
        expect(JSON.stringify(u1.outs)).to.not.contain("secret-host");
        const fp1 = node.extra[EXTRA.deployment];
        expect(fp1).to.be.a("string");

        // Unchanged inputs: no diff.
        expect((await provider.diff!(created.id, u1.outs, withImage)).changes).to.equal(false);

        // online: false → powered off, still provisioned.
        const off = { ...withImage, online: false };
        const u2 = await provider.update!(created.id, u1.outs, off);
        node = await client.getNode(created.id);
        expect([node.provision_state, node.power_state]).to.deep.equal(["active", "power off"]);
        expect(u2.outs.poweredOn).to.equal(false);
        const u3 = await provider.update!(created.id, u2.outs, withImage);
        expect((await client.getNode(created.id)).power_state).to.equal("power on");

        // New image → reprovisioned (rebuild) with the new image.
        const withImage2 = { ...withImage, image: image2 };
        const d2 = await provider.diff!(created.id, u3.outs, withImage2);
        expect(d2.changes).to.equal(true);
        const u4 = await provider.update!(created.id, u3.outs, withImage2);
        node = await client.getNode(created.id);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_info.image_source).to.equal(image2.url);
        expect(node.extra[EXTRA.deployment]).to.not.equal(fp1);
        expect(u4.outs.provisioningState).to.equal("provisioned");

        // Image removed → deprovisioned back to available, powered off, claimable.
        const u5 = await provider.update!(created.id, u4.outs, inputs);
        node = await client.getNode(created.id);
        expect([node.provision_state, node.power_state]).to.deep.equal(["available", "power off"]);
        expect(node.extra[EXTRA.deployment]).to.equal(undefined);
        expect(u5.outs.provisioningState).to.equal("available");

        // Labels, traits, description in place.
        const edited = { ...inputs, labels: { rack: "r2" }, traits: ["CUSTOM_GPU", "CUSTOM_NVME"], description: "edited" };
        const u6 = await provider.update!(created.id, u5.outs, edited);
        node = await client.getNode(created.id);
        expect(node.extra[EXTRA.labels]).to.deep.equal({ rack: "r2" });
        expect([...node.traits].sort()).to.deep.equal(["CUSTOM_GPU", "CUSTOM_NVME"]);
        expect(node.description).to.equal("edited");

        await provider.delete!(created.id, u6.outs);
        expect(await client.findNode(created.id)).to.equal(undefined);
        // Gone already: success.
        await provider.delete!(created.id, u6.outs);
    });

    it("refresh after an out-of-band power-off shows online: false, and the next update powers it back on", async () => {
        const { name, mac } = fresh("refresh");
        const inputs = { name, bmc: { address: "fake://refresh" }, online: true, bootMACAddress: mac, image };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        expect((await client.getNode(created.id)).power_state).to.equal("power on");

        await client.setPowerState(created.id, "power off");
        await client.waitForPowerState(created.id, "power off", { timeoutMs: 60_000 });
        const r = await provider.read!(created.id, created.outs);
        wireSafe(r.props);
        wireSafe(r.inputs);
        expect(r.id).to.equal(created.id);
        expect(r.props).to.include({ poweredOn: false, online: false, provisioningState: "provisioned" });
        expect(r.inputs).to.include({ online: false });
        expect(JSON.stringify(r.inputs)).to.not.contain("password");

        const d = await provider.diff!(created.id, r.props, inputs);
        expect(d.changes).to.equal(true);
        await provider.update!(created.id, r.props, inputs);
        expect((await client.getNode(created.id)).power_state).to.equal("power on");

        // An available host waits powered off whatever `online` says: refresh reports no drift there.
        const { image: _img, ...noImage } = inputs;
        const avail = await provider.update!(created.id, r.props, noImage);
        expect((await client.getNode(created.id)).provision_state).to.equal("available");
        const r2 = await provider.read!(created.id, avail.outs);
        expect(r2.props).to.include({ online: true, poweredOn: false });
        expect((await provider.diff!(created.id, r2.props, noImage)).changes).to.equal(false);
        // A label edited behind Pulumi's back is drift too.
        await client.patchNode(created.id, [{ op: "add", path: `/extra/${EXTRA.labels}`, value: { rack: "moved" } }]);
        const r3 = await provider.read!(created.id, r2.props);
        expect(r3.inputs).to.deep.include({ labels: { rack: "moved" } });
        expect((await provider.diff!(created.id, r3.props, noImage)).changes).to.equal(true);
        await provider.update!(created.id, r3.props, noImage);
        expect((await client.getNode(created.id)).extra[EXTRA.labels]).to.deep.equal({});

        await provider.delete!(created.id, r.props);
        expect(await client.findNode(created.id)).to.equal(undefined);
        // A node deleted out of band: refresh drops the resource.
        expect((await provider.read!(created.id, r.props)).id).to.equal("");
    });

    it("an interrupted create (node left behind under <ns>~<name>, with this stack's owner record) is adopted, not duplicated", async () => {
        const { name, mac } = fresh("adopt");
        const owner = { stack: "host-test/dev", resource: name };
        const leftBehind = await client.createNode({
            name: `lab~${name}`,
            driver: "fake-hardware",
            boot_interface: "fake",
            deploy_interface: "fake",
            management_interface: "fake",
            power_interface: "fake",
            inspect_interface: "fake",
            extra: { [EXTRA.owner]: owner.stack, [EXTRA.resource]: owner.resource },
        } as never);
        cleanup.push(leftBehind.uuid);
        const inputs = { name, namespace: "lab", bmc: { address: "fake://adopt" }, online: false, bootMACAddress: mac, owner };
        const created = await provider.create(inputs);
        expect(created.id).to.equal(leftBehind.uuid);
        const same = (await client.listNodes()).filter((n) => n.name === `lab~${name}`);
        expect(same).to.have.length(1);
        expect(same[0].provision_state).to.equal("available");
        await provider.delete!(created.id, created.outs);
    });

    it("a node of this stack owning the boot MAC is adopted; adoptNode takes over a node by UUID or name (the import replacement)", async () => {
        const a = fresh("bymac");
        const owner = { stack: "host-test/dev", resource: a.name };
        const unnamed = await client.createNode({
            driver: "fake-hardware",
            power_interface: "fake",
            management_interface: "fake",
            boot_interface: "fake",
            deploy_interface: "fake",
            extra: { [EXTRA.owner]: owner.stack, [EXTRA.resource]: owner.resource },
        } as never);
        cleanup.push(unnamed.uuid);
        await client.createPort({ node_uuid: unnamed.uuid, address: a.mac });
        const byMac = await provider.create({
            name: a.name,
            bmc: { address: "fake://m" },
            online: false,
            bootMACAddress: a.mac,
            inspectionMode: "disabled",
            owner,
        });
        expect(byMac.id).to.equal(unnamed.uuid);
        expect((await client.getNode(unnamed.uuid)).name).to.equal(`default~${a.name}`);

        const b = fresh("import");
        const existing = await client.createNode({
            name: `legacy-${b.name}`,
            driver: "fake-hardware",
            power_interface: "fake",
            management_interface: "fake",
            boot_interface: "fake",
            deploy_interface: "fake",
            inspect_interface: "fake",
        } as never);
        cleanup.push(existing.uuid);
        const imported = await provider.create({ name: b.name, bmc: { address: "fake://i" }, online: false, adoptNode: `legacy-${b.name}` });
        expect(imported.id).to.equal(existing.uuid);
        const node = await client.getNode(existing.uuid);
        expect(node.name).to.equal(`default~${b.name}`);
        expect(node.provision_state).to.equal("available");

        // A boot MAC owned by another (named) node is a conflict, as in BMO: nothing is created.
        const c = fresh("conflict");
        const other = await client.createNode({
            name: `someone-else-${c.name}`,
            driver: "fake-hardware",
            power_interface: "fake",
            management_interface: "fake",
        } as never);
        cleanup.push(other.uuid);
        await client.createPort({ node_uuid: other.uuid, address: c.mac });
        let conflict: (Error & { id?: string }) | undefined;
        await provider.create({ name: c.name, bmc: { address: "fake://c" }, online: false, bootMACAddress: c.mac }).catch((e) => (conflict = e));
        expect(conflict?.message).to.contain(`boot MAC ${c.mac} already belongs to Ironic node someone-else-${c.name}`);
        expect(conflict?.id, "nothing was created, so no partial resource").to.equal(undefined);
        expect(await client.findNode(`default~${c.name}`)).to.equal(undefined);

        let missing: Error | undefined;
        await provider
            .create({ name: fresh("missing").name, bmc: { address: "fake://x" }, online: false, adoptNode: "no-such-node-anywhere" })
            .catch((e) => (missing = e));
        expect(missing?.message).to.match(/adoptNode "no-such-node-anywhere" is not an Ironic node/);
        await provider.delete!(byMac.id, byMac.outs);
        await provider.delete!(imported.id, imported.outs);
    });

    it("externallyProvisioned: adopted as active without a deploy, powered as online, deleted without a wipe", async () => {
        const { name, mac } = fresh("extprov");
        const created = wireSafe(
            await provider.create({ name, bmc: { address: "fake://ext" }, online: true, bootMACAddress: mac, externallyProvisioned: true }),
        );
        cleanup.push(created.id);
        const node = await client.getNode(created.id);
        expect([node.provision_state, node.power_state]).to.deep.equal(["active", "power on"]);
        expect(node.extra[EXTRA.deployment]).to.equal(undefined);
        expect(created.outs).to.include({ provisioningState: "externally provisioned", poweredOn: true });
        await provider.delete!(created.id, created.outs);
        expect(await client.findNode(created.id)).to.equal(undefined);
    });

    it("custom deploy with SecureBoot and root device hints: instance_info carries them and a config drive (masked by Ironic)", async () => {
        const { name, mac } = fresh("custom");
        const inputs = {
            name,
            bmc: { address: "fake://custom" },
            online: true,
            bootMACAddress: mac,
            bootMode: "UEFISecureBoot",
            customDeploy: { method: "install_coreos" },
            rootDeviceHints: { deviceName: "/dev/sdb", minSizeGigabytes: 200 },
            metaData: { role: "db" },
        };
        const created = wireSafe(await provider.create(inputs));
        cleanup.push(created.id);
        const node = await client.getNode(created.id);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_info.root_device).to.deep.equal({ name: "s== /dev/sdb", size: ">= 200" });
        expect(node.instance_info.capabilities).to.deep.equal({ secure_boot: "true" });
        expect(node.properties.capabilities).to.equal("boot_mode:uefi,secure_boot:true");
        expect(node.deploy_interface, "fake hardware keeps its fake deploy interface").to.equal("fake");
        expect(node.instance_info.configdrive, "Ironic holds the config drive, masked").to.equal("******");
        expect(created.outs).to.include({ provisioningState: "provisioned", poweredOn: true });
        await provider.delete!(created.id, created.outs);
        expect(await client.findNode(created.id)).to.equal(undefined);
    });

    it("RAID: the volumes become Ironic's target_raid_config while preparing; [] clears it (back through manageable)", async () => {
        const { name, mac } = fresh("raid");
        const inputs = {
            name,
            bmc: { address: "fake://raid" },
            online: false,
            bootMACAddress: mac,
            raid: { hardwareRAIDVolumes: [{ level: "1", sizeGibibytes: 100, name: "root" }, { level: "5" }] },
        };
        const created = wireSafe(await provider.create(inputs));
        cleanup.push(created.id);
        let node = await client.getNode(created.id);
        expect(node.provision_state).to.equal("available");
        expect((node as unknown as { target_raid_config: unknown }).target_raid_config).to.deep.equal({
            logical_disks: [
                { size_gb: 100, raid_level: "1", volume_name: "root", is_root_volume: true },
                { size_gb: "MAX", raid_level: "5" },
            ],
        });
        const cleared = await provider.update!(created.id, created.outs, { ...inputs, raid: { hardwareRAIDVolumes: [] } });
        node = await client.getNode(created.id);
        expect(node.provision_state).to.equal("available");
        expect((node as unknown as { target_raid_config: unknown }).target_raid_config).to.deep.equal({});
        await provider.delete!(created.id, cleared.outs);
    });

    it("an ipmi:// host whose BMC port is closed fails with Ironic's own last_error, keeping the node id", async () => {
        const port = await closedPort();
        const { name } = fresh("ipmi");
        const inputs = {
            name,
            bmc: { address: `ipmi://127.0.0.1:${port}`, username: "admin", password: "wrong-pw" },
            online: false,
            timeouts: { register: "3m" },
        };
        let err: (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        try {
            await provider.create(inputs);
        } catch (e) {
            err = e as Error & { id?: string };
        }
        expect(err, "create must fail").to.not.equal(undefined);
        expect(err!.id, "the error carries the node UUID so the engine keeps the partial resource").to.be.a("string");
        cleanup.push(err!.id!);
        const node = await client.getNode(err!.id!);
        expect(node.provision_state).to.equal("enroll");
        expect(node.last_error).to.be.a("string").and.not.equal("");
        expect(err!.message).to.contain(`default~${name}`);
        expect(err!.message).to.contain("enroll");
        expect(err!.message).to.contain(node.last_error!.slice(0, 40));
        expect(err!.message).to.not.contain("wrong-pw");
        expect(JSON.stringify(err!.properties)).to.not.contain("wrong-pw");
        expect(err!.properties).to.include({ nodeUuid: err!.id, ironicProvisionState: "enroll" });
        wireSafe(err!.properties);
        // The next `up` updates the partial resource: a new BMC address and password are patched
        // into driver_info in place (Ironic then tries the new BMC, which is closed too).
        const port2 = await closedPort();
        const fixed = { ...inputs, bmc: { address: `ipmi://127.0.0.1:${port2}`, username: "admin", password: "new-pw" } };
        const d = await provider.diff!(err!.id!, err!.properties!, fixed);
        expect(d.replaces).to.deep.equal([]);
        expect((d as { changed?: string[] }).changed).to.include.members(["bmc.address", "bmc.password"]);
        let err2: (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
        await provider.update!(err!.id!, err!.properties!, fixed).catch((e) => (err2 = e));
        expect(err2?.id).to.equal(err!.id);
        const patched = await client.getNode(err!.id!);
        expect(patched.driver_info.ipmi_port).to.equal(String(port2));
        expect(patched.driver_info.ipmi_password).to.not.equal("new-pw");
        expect(err2!.message).to.not.contain("new-pw");
        // Delete works from enroll.
        await provider.delete!(err!.id!, err!.properties!);
        expect(await client.findNode(err!.id!)).to.equal(undefined);
    });

    it("a phase that outlives its deadline fails naming the host, the phase's Ironic state and keeps the node id", async () => {
        const { name, mac } = fresh("deadline");
        // Inspection on fake hardware takes about a second here; allow it 0.3 s.
        let err: (Error & { id?: string }) | undefined;
        await provider
            .create({ name, bmc: { address: "fake://slow" }, online: false, bootMACAddress: mac, timeouts: { inspect: "300ms" } })
            .catch((e) => (err = e));
        expect(err, "create must time out").to.not.equal(undefined);
        expect(err!.id).to.be.a("string");
        cleanup.push(err!.id!);
        expect(err!.message).to.contain(`default~${name}`);
        expect(err!.message).to.match(/timed out/);
        expect(err!.message).to.match(/inspect/);
        // The next run picks the node up where it is and finishes.
        const done = await provider.update!(err!.id!, {}, { name, bmc: { address: "fake://slow" }, online: false, bootMACAddress: mac });
        expect(done.outs).to.include({ nodeUuid: err!.id, provisioningState: "available" });
        await provider.delete!(err!.id!, done.outs);
    });

    it("hosts created in parallel share the event loop without interfering; a resource's own ironic input beats the environment", async () => {
        const saved = { IRONIC_URL: process.env.IRONIC_URL, OS_ENDPOINT: process.env.OS_ENDPOINT };
        const realUrl = process.env.IRONIC_URL!;
        const hosts = [1, 2, 3, 4, 5].map(() => fresh("par"));
        // The environment points at a closed port: only the `ironic` input can reach Ironic.
        process.env.IRONIC_URL = process.env.OS_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
        let created: Array<{ id: string; outs?: any }>;
        try {
            created = await Promise.all(
                hosts.map((h) =>
                    provider.create({ name: h.name, bmc: { address: "fake://par" }, online: false, bootMACAddress: h.mac, ironic: { url: realUrl } }),
                ),
            );
        } finally {
            process.env.IRONIC_URL = saved.IRONIC_URL;
            process.env.OS_ENDPOINT = saved.OS_ENDPOINT;
        }
        cleanup.push(...created.map((c) => c.id));
        expect(new Set(created.map((c) => c.id)).size).to.equal(5);
        for (const [i, c] of created.entries()) {
            const node = await client.getNode(c.id);
            expect([node.name, node.provision_state, node.power_state]).to.deep.equal([`default~${hosts[i].name}`, "available", "power off"]);
            expect((await client.listPorts({ node: c.id })).map((p) => p.address)).to.deep.equal([hosts[i].mac]);
        }
        await Promise.all(created.map((c) => provider.delete!(c.id, c.outs)));
        for (const c of created) expect(await client.findNode(c.id)).to.equal(undefined);
    });

    it("the serialized provider runs in a fresh node process (create + delete against real Ironic)", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => bareMetalHostProvider);
        expect(serialized.text.length, "the provider closure stays tiny").to.be.below(8_000);
        expect(serialized.text).to.not.match(/zod|undici|IronicClient/);
        const { name, mac } = fresh("serial");
        const script = `
            const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi", { paths: [process.cwd()] })] }));
            (async () => {
                const provider = requireFromString(${JSON.stringify(serialized.text)}).${serialized.exportName}();
                await provider.configure({ config: { get: (k) => (k === "pulumi-metal3:ironicUrl" ? process.env.TEST_STACK_IRONIC_URL : undefined) } });
                const inputs = { name: ${JSON.stringify(name)}, bmc: { address: "fake://serialized" }, online: false, bootMACAddress: ${JSON.stringify(mac)} };
                const chk = await provider.check({}, inputs);
                if (chk.failures) throw new Error("check failed: " + JSON.stringify(chk.failures));
                const r = await provider.create(inputs);
                console.log(JSON.stringify({ created: r.id, state: r.outs.provisioningState }));
                await provider.delete(r.id, r.outs);
                console.log(JSON.stringify({ deleted: r.id }));
            })().catch((e) => { console.error(e.stack || e); process.exit(1); });`;
        const file = path.join(os.tmpdir(), `bmh-serialized-${process.pid}.js`);
        fs.writeFileSync(file, script);
        // Ironic's URL reaches the child only through stack config (configure), not the environment.
        const env: NodeJS.ProcessEnv = { ...process.env, TEST_STACK_IRONIC_URL: process.env.IRONIC_URL };
        delete env.IRONIC_URL;
        delete env.OS_ENDPOINT;
        delete env.OS_CLOUD;
        const out = await new Promise<string>((resolve, reject) =>
            execFile(process.execPath, [file], { cwd: REPO, env, timeout: 300_000 }, (e, stdout, stderr) =>
                e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
            ),
        );
        fs.unlinkSync(file);
        const lines = out
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        expect(lines[0].state).to.equal("available");
        expect(lines[1].deleted).to.equal(lines[0].created);
        expect(await client.findNode(lines[0].created)).to.equal(undefined);
    });
});
