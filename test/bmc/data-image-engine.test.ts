// Data images under the real `pulumi` CLI (file:// backend), the test run's real Ironic and its
// shared sushy-tools Redfish emulator (test/support/redfish.ts; its fake systems driver does
// virtual media: an inserted ISO is downloaded and shown in the system's VirtualMedia/Cd). The
// host is externally provisioned (adopted as active: the emulator's fake systems run nothing a
// deploy could put there), which Metal³ counts as provisioned. The ISO is a small file served by
// an HTTP server of this test on loopback: Ironic's conductor downloads it and serves its own
// copy to the BMC (Ironic's default image_download_source "local", as baremetal-operator leaves
// it), so the BMC's Image is Ironic's URL, whose bytes are checked to be the ISO's. The preview's
// words are checked before each `up`; no provision state change, the host stays on.
import { expect } from "chai";
import * as http from "http";
import type { AddressInfo } from "net";
import { redfishAddress, redfishPowerState, redfishVirtualCd, RedfishSystem } from "../../local/redfish";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/host/lifecycle";
import { TestStack } from "../e2e/stack";
import { sharedRedfishLab, SharedRedfishLab } from "../support/redfish";

const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3");
const cfg = new pulumi.Config();
const url = cfg.get("dataImageUrl");
const host = new BareMetalHost(cfg.require("host"), {
  namespace: cfg.require("namespace"),
  bmc: { address: cfg.require("address"), username: "admin", password: cfg.requireSecret("password") },
  bootMACAddress: cfg.require("mac"),
  online: true,
  externallyProvisioned: true,
  inspectionMode: "disabled",
  automatedCleaningMode: "disabled",
  ...(url ? { dataImage: { url } } : {}),
});
exports.attachedDataImage = host.attachedDataImage;
exports.nodeUuid = host.nodeUuid;
`;

/** GET a URL on loopback, its body as bytes. */
function fetchBytes(url: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        }).on("error", reject);
    });
}

describe("data images on a Redfish BMC (sushy-tools) with the real Pulumi engine", function () {
    this.timeout(600_000);
    const ns = `di${Math.random().toString(36).slice(2, 7)}`;
    const hostName = "data-image-0";
    const label = `${ns}~${hostName}`;
    // A stand-in ISO: Ironic and the BMC only download it; nothing boots it.
    const iso = Buffer.from(`pulumi-metal3 data image ${ns}\n`.repeat(64));
    const served: string[] = [];
    let server: http.Server;
    let isoUrl: string;
    let client: IronicClient;
    let shared: SharedRedfishLab;
    let system: RedfishSystem;
    let stack: TestStack;
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        server = http.createServer((req, res) => {
            served.push(`${req.method} ${req.url}`);
            if (req.url !== "/data.iso") return void res.writeHead(404).end();
            res.writeHead(200, { "content-type": "application/octet-stream", "content-length": iso.length });
            res.end(req.method === "HEAD" ? undefined : iso);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        isoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.iso`;

        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        shared = await sharedRedfishLab("http");
        [system] = shared.takeSystems(1);
        stack = await TestStack.inline(
            "data-image",
            { "Pulumi.yaml": "name: data-image\nruntime: nodejs\n", "package.json": '{"name":"data-image","main":"index.js"}\n', "index.js": PROGRAM },
            "dev",
        );
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        for (const [k, v] of Object.entries({ namespace: ns, host: hostName, address: redfishAddress(shared.lab, system), mac: system.mac }))
            await stack.setConfig(k, v);
        await stack.setConfig("password", shared.lab.password, { secret: true });
        await stack.must(["up", "--yes", "--skip-preview"]);
    });

    after(async function () {
        this.timeout(300_000);
        if (stack) await stack.run(["destroy", "--yes", "--skip-preview"]);
        await client?.close();
        server?.close();
    });

    it("dataImage added: the preview says WILL ATTACH DATA IMAGE; up inserts Ironic's copy of the ISO in the BMC's virtual CD, no provision or power change", async () => {
        const before = await client.getNode(label);
        expect(before.provision_state).to.equal("active");
        expect((await redfishVirtualCd(shared.lab, system)).Inserted, "the CD starts empty").to.not.equal(true);

        await stack.setConfig("dataImageUrl", isoUrl);
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(
            `WILL ATTACH DATA IMAGE ${isoUrl} to host ${label} (virtual CD; no reboot, no wipe): attach data image ${isoUrl} (virtual CD); ends active, power on`,
        );
        expect(preview).to.not.match(/WILL (REPROVISION|DEPROVISION|REBOOT)/);

        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain(`attaching data image ${isoUrl} (virtual CD; no reboot)`);
        expect(served, "Ironic's conductor downloaded the ISO from its URL").to.include("GET /data.iso");

        const cd = await redfishVirtualCd(shared.lab, system);
        expect(cd.Inserted, JSON.stringify(cd)).to.equal(true);
        expect(cd.Image, JSON.stringify(cd))
            .to.be.a("string")
            .and.match(/^https?:\/\/127\.0\.0\.1[:/]/);
        const copy = await fetchBytes(cd.Image!);
        expect(copy.status).to.equal(200);
        expect(copy.body.equals(iso), "the BMC's image is the ISO served").to.equal(true);

        const after = await client.getNode(before.uuid);
        expect(after.extra[EXTRA.dataImage]).to.equal(isoUrl);
        expect(after.provision_state).to.equal("active");
        expect(after.provision_updated_at, "no provision state change").to.equal(before.provision_updated_at);
        expect(after.power_state).to.equal("power on");
        expect(after.last_error).to.equal(null);
        expect(await redfishPowerState(shared.lab, system)).to.equal("On");
        expect((await stack.outputs()).attachedDataImage).to.equal(isoUrl);
        // Done: nothing more to do.
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL");
    });

    it("dataImage removed: the preview says WILL DETACH DATA IMAGE; up ejects the BMC's virtual CD, no provision or power change", async () => {
        const before = await client.getNode(label);
        await stack.must(["config", "rm", "dataImageUrl"]);
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(
            `WILL DETACH DATA IMAGE ${isoUrl} from host ${label} (ejected; no reboot, no wipe): eject data image ${isoUrl}; ends active, power on`,
        );
        expect(preview).to.not.match(/WILL (REPROVISION|DEPROVISION|REBOOT)/);

        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain(`ejecting data image ${isoUrl} (dataImage removed)`);
        const cd = await redfishVirtualCd(shared.lab, system);
        expect(cd.Inserted, JSON.stringify(cd)).to.equal(false);

        const after = await client.getNode(before.uuid);
        expect(after.extra[EXTRA.dataImage]).to.equal(undefined);
        expect(after.provision_state).to.equal("active");
        expect(after.provision_updated_at, "no provision state change").to.equal(before.provision_updated_at);
        expect(after.power_state).to.equal("power on");
        expect((await stack.outputs()).attachedDataImage).to.equal(undefined);
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL");
    });

    it("destroy of a host with a data image: ejected before its node is deleted (the server left on, as for any externally provisioned host)", async () => {
        await stack.setConfig("dataImageUrl", isoUrl);
        await stack.must(["up", "--yes", "--skip-preview"]);
        expect((await redfishVirtualCd(shared.lab, system)).Inserted).to.equal(true);
        const uuid = (await client.getNode(label)).uuid;
        const down = said(await stack.must(["destroy", "--yes", "--skip-preview"]));
        expect(down).to.contain(`ejecting data image ${isoUrl} (deleting the host)`);
        expect(await client.findNode(uuid)).to.equal(undefined);
        expect((await redfishVirtualCd(shared.lab, system)).Inserted).to.equal(false);
        expect(await redfishPowerState(shared.lab, system)).to.equal("On");
    });
});
