// The pure decisions behind real BMCs: agent images in driver_info, ipmi cipher suite, the
// lifecycle steps for wait call-back / error / deploy failed, and the production-like ironic.conf.
import { expect } from "chai";
import { renderIronicConfig, stateFiles } from "../../local/ironic";
import { bmcProfile, deployImageDriverInfo, missingAgentImages } from "../../provider/host/bmc";
import { hostSpecFromInputs, PlainHostInputs } from "../../provider/host/desired";
import { EXTRA, nextAction, nextDeleteAction } from "../../provider/host/lifecycle";
import { registrationPatch } from "../../provider/host/registration";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostInputsSchema } from "../../sdk/schemas/baremetalhost";
import { deployImagesFromStackConfig } from "../../sdk/connection";

const bmc = { address: "ipmi://10.0.0.5:623", username: "admin", password: "pw" };
const qcow2 = { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" };
const liveIso = { url: "http://images.example/live.iso", format: "live-iso" };

function spec(extra: Record<string, unknown> = {}, defaults = {}) {
    return hostSpecFromInputs({ name: "h1", bmc, online: true, bootMACAddress: "52:54:00:00:00:01", ...extra } as PlainHostInputs, {
        apiVersion: "1.82",
        digestKey: "test-digest-key",
        deployImageDefaults: defaults,
    });
}

function ironicNode(state: string, over: Partial<Node> = {}): Node {
    return {
        uuid: "u1",
        name: "default~h1",
        driver: "ipmi",
        driver_info: {},
        provision_state: state,
        target_provision_state: null,
        power_state: "power on",
        maintenance: false,
        fault: null,
        last_error: null,
        extra: { [EXTRA.deployment]: "old" },
        instance_info: {},
        deploy_interface: "direct",
        inspect_interface: "no-inspect",
        allocation_uuid: null,
        ...over,
    } as unknown as Node;
}

/** The node as if registration had already brought it in line with `s` (only the state under test differs). */
function registered(s: ReturnType<typeof spec>, n: Node): Node {
    const out = JSON.parse(JSON.stringify(n));
    for (const op of registrationPatch(s, n)) {
        const parts = op.path.split("/").slice(1);
        let target = out;
        for (const p of parts.slice(0, -1)) target = target[p] = target[p] ?? {};
        if (op.op === "remove") delete target[parts[parts.length - 1]];
        else target[parts[parts.length - 1]] = op.value;
    }
    return out;
}
const at = (s: ReturnType<typeof spec>, n: Node) => ({
    node: registered(s, n),
    ports: [{ uuid: "p", address: "52:54:00:00:00:01", node_uuid: "u1", pxe_enabled: true, extra: {}, created_at: "", updated_at: null }],
});

describe("real BMCs: agent images, cipher suite, lifecycle decisions (unit)", () => {
    it("writes deploy_kernel/deploy_ramdisk (or deploy_iso for virtual media) as BMO's setDeployImage does", () => {
        const images = { deployKernel: "http://x/k", deployRamdisk: "http://x/r", deployIso: "http://x/ipa.iso" };
        expect(deployImageDriverInfo(bmcProfile(bmc), images)).to.deep.equal({ deploy_kernel: "http://x/k", deploy_ramdisk: "http://x/r", deploy_iso: null });
        expect(deployImageDriverInfo(bmcProfile({ address: "redfish-virtualmedia://10.0.0.5/redfish/v1/Systems/1" }), images)).to.deep.equal({
            deploy_iso: "http://x/ipa.iso",
            deploy_kernel: null,
            deploy_ramdisk: null,
        });
        expect(deployImageDriverInfo(bmcProfile({ address: "fake://" }), images)).to.deep.equal({});
        expect(deployImageDriverInfo(bmcProfile(bmc), { deployKernel: "http://x/k" })).to.deep.equal({});
    });

    it("the host's own agent images win field by field over stack config; none leaves Ironic's defaults alone", () => {
        const stack = deployImagesFromStackConfig(
            (k) => ({ "pulumi-metal3:deployKernel": "http://stack/k", "pulumi-metal3:deployRamdisk": "http://stack/r" })[k],
        );
        expect(spec({}, stack).deployImages).to.deep.equal({ deploy_kernel: "http://stack/k", deploy_ramdisk: "http://stack/r", deploy_iso: null });
        expect(spec({ deployKernel: "http://own/k", deployRamdisk: "http://own/r" }, stack).deployImages.deploy_kernel).to.equal("http://own/k");
        expect(spec().deployImages).to.deep.equal({});
        const s = spec({}, stack);
        const ops = registrationPatch(
            s,
            ironicNode("manageable", { driver_info: { deploy_kernel: "http://old/k", deploy_ramdisk: "http://stack/r", deploy_iso: "http://old/iso" } }),
        );
        expect(ops).to.deep.include({ op: "add", path: "/driver_info/deploy_kernel", value: "http://stack/k" });
        expect(ops).to.deep.include({ op: "remove", path: "/driver_info/deploy_iso" });
        expect(ops.map((o) => o.path)).to.not.include("/driver_info/deploy_ramdisk");
        // Agent images do not change the BMC fingerprint (no credential re-patch).
        expect(s.bmcFingerprint).to.equal(spec().bmcFingerprint);
    });

    it("schema: deployKernel and deployRamdisk go together; deployIso needs a virtual-media driver", () => {
        const base = { name: "h1", bmc, online: true };
        expect(bareMetalHostInputsSchema.safeParse({ ...base, deployKernel: "http://x/k", deployRamdisk: "http://x/r" }).success).to.equal(true);
        const lone = bareMetalHostInputsSchema.safeParse({ ...base, deployKernel: "http://x/k" });
        expect(lone.success).to.equal(false);
        expect(JSON.stringify(lone.error?.issues)).to.include("deployRamdisk");
        expect(bareMetalHostInputsSchema.safeParse({ ...base, deployIso: "http://x/ipa.iso" }).success).to.equal(false);
        expect(
            bareMetalHostInputsSchema.safeParse({ ...base, bmc: { ...bmc, address: "redfish-virtualmedia://10.0.0.5" }, deployIso: "http://x/ipa.iso" })
                .success,
        ).to.equal(true);
    });

    it("ipmi_cipher_suite from the BMC URL's ciphersuite query, checked", () => {
        expect(bmcProfile({ address: "ipmi://10.0.0.5:6230?ciphersuite=3" }).driverInfo.ipmi_cipher_suite).to.equal("3");
        expect(bmcProfile(bmc).driverInfo).to.not.have.property("ipmi_cipher_suite");
        expect(() => bmcProfile({ address: "ipmi://10.0.0.5?ciphersuite=fast" })).to.throw(/ciphersuite/);
    });

    it("recognises Ironic's missing-agent-image text", () => {
        expect(
            missingAgentImages(
                "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info and configuration. Missing are: ['deploy_kernel', 'deploy_ramdisk']",
            ),
        ).to.equal(true);
        expect(missingAgentImages("IPMI call failed: power status.")).to.equal(false);
    });

    it("wait call-back: delete and image removal undeploy at once; a Machine's deployment is left to the Machine", () => {
        const d = { disablePowerOff: false, externallyProvisioned: false };
        expect(nextDeleteAction(d, ironicNode("wait call-back", { target_provision_state: "active" })).kind).to.equal("undeploy");
        expect(nextAction(spec(), at(spec(), ironicNode("wait call-back", { target_provision_state: "active" }))).kind).to.equal("undeploy");
        expect(
            nextAction(spec({ image: qcow2 }), at(spec({ image: qcow2 }), ironicNode("wait call-back", { target_provision_state: "active" }))).kind,
        ).to.equal("wait");
        expect(nextAction(spec(), at(spec(), ironicNode("wait call-back", { target_provision_state: "active", allocation_uuid: "a1" }))).kind).to.equal("wait");
    });

    it("error: delete goes through maintenance, and never clears a maintenance set by hand", () => {
        const d = { disablePowerOff: false, externallyProvisioned: false };
        expect(nextDeleteAction(d, ironicNode("error")).kind).to.equal("set-maintenance");
        // Our own maintenance (set on the way here) goes on into the delete...
        expect(
            nextDeleteAction(d, ironicNode("error", { maintenance: true, maintenance_reason: "pulumi-metal3: forcing deletion after a failed deprovisioning" }))
                .kind,
        ).to.equal("delete-node");
        // ...an operator's is neither cleared nor deleted through: the refusal names the reason.
        const held = nextDeleteAction(d, ironicNode("error", { maintenance: true, maintenance_reason: "operator: bad disk" }));
        expect(held.kind).to.equal("fail");
        expect(held.kind === "fail" && held.message).to.contain("operator: bad disk");
    });

    it("deploy failed with another deploy interface (live-iso -> qcow2): undeploy first; the same interface retries", () => {
        const failedLive = ironicNode("deploy failed", { deploy_interface: "ramdisk" });
        expect(nextAction(spec({ image: qcow2 }), at(spec({ image: qcow2 }), failedLive)).kind).to.equal("undeploy");
        expect(nextAction(spec({ image: liveIso }), at(spec({ image: liveIso }), failedLive)).kind).to.equal("deploy");
        expect(nextAction(spec({ image: liveIso }), at(spec({ image: liveIso }), ironicNode("deploy failed"))).kind).to.equal("undeploy");
    });

    it("manageable ipmi host with no inspect interface: provides (saying inspection is skipped) instead of inspecting", () => {
        const s = spec({ automatedCleaningMode: "disabled" });
        const a = nextAction(s, at(s, ironicNode("manageable", { power_state: "power off", extra: {} })));
        expect(a.kind === "provision" && a.target).to.equal("provide");
        expect(a.kind === "provision" && a.reason).to.match(/inspection skipped: .*driver ipmi/);
        const redfish = nextAction(spec(), at(spec(), ironicNode("manageable", { inspect_interface: "redfish", extra: {} })));
        expect(redfish.kind === "provision" && redfish.target).to.equal("inspect");
    });

    it("clean failed for lack of agent images: a clear failure naming the inputs, not a manage/provide loop", () => {
        const n = ironicNode("clean failed", {
            last_error: "Failed to prepare node for cleaning: ... Missing are: ['deploy_kernel', 'deploy_ramdisk']",
            extra: {},
        });
        const a = nextAction(spec(), at(spec(), n));
        expect(a.kind).to.equal("fail");
        expect(a.kind === "fail" && a.message)
            .to.include("deployKernel")
            .and.include("deployRamdisk")
            .and.include("pulumi-metal3:deployKernel / pulumi-metal3:deployRamdisk")
            .and.include("metal3:deployKernel etc. in YAML, Python and Go programs");
        const off = spec({ automatedCleaningMode: "disabled" });
        expect(nextAction(off, { ...at(off, n), node: { ...registered(off, n), automated_clean: false } }).kind).to.not.equal("fail");
    });

    it("ironic.conf: http_url, use_swift, endpoint_override, agent image defaults, all hardware types, no password logging", () => {
        const files = stateFiles("/tmp/x-state");
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "noauth",
            httpUrl: "http://127.0.0.1:6180",
            agentImages: { deployKernel: "http://x/k", deployRamdisk: "http://x/r" },
        });
        const section = (name: string) => conf.split(`[${name}]\n`)[1].split("\n[")[0];
        expect(section("deploy")).to.include("http_url = http://127.0.0.1:6180").and.include(`http_root = ${files.httpRoot}`);
        expect(section("redfish")).to.include("use_swift = false");
        expect(section("service_catalog")).to.include("endpoint_override = http://127.0.0.1:7000");
        expect(section("conductor")).to.include("deploy_kernel = http://x/k").and.include("deploy_ramdisk = http://x/r");
        // Every type ironic 39 ships (ilo, ilo5, irmc, xclarity, snmp were removed upstream: enabling one stops Ironic from starting).
        expect(section("DEFAULT"))
            .to.match(/^enabled_hardware_types = fake-hardware,ipmi,redfish,manual-management,idrac,intel-ipmi$/m)
            .and.match(/default_log_levels = .*ironic\.conductor\.cleaning=WARNING/);
        // Built-in (agent) inspection only when an agent image exists; firmware updates through redfish.
        expect(section("DEFAULT"))
            .to.match(/^enabled_inspect_interfaces = .*,agent$/m)
            .and.match(/^enabled_firmware_interfaces = fake,no-firmware,redfish$/m);
        expect(renderIronicConfig({ files, port: 7000, authStrategy: "noauth" })).to.match(
            /^enabled_inspect_interfaces = fake,no-inspect,redfish,idrac-redfish$/m,
        );
        expect(renderIronicConfig({ files, port: 7000, authStrategy: "noauth" })).to.not.include("deploy_kernel");
        // With an agent, in-band inspection is the default (a redfish node would otherwise inspect out-of-band).
        expect(section("DEFAULT")).to.match(/^default_inspect_interface = agent$/m);
        expect(renderIronicConfig({ files, port: 7000, authStrategy: "noauth" })).to.not.include("default_inspect_interface");
        // Fewer types on request (test/bmc/drivers.test.ts: how a type Ironic lacks is reported).
        expect(renderIronicConfig({ files, port: 7000, authStrategy: "noauth", hardwareTypes: ["fake-hardware", "ipmi"] })).to.match(
            /^enabled_hardware_types = fake-hardware,ipmi$/m,
        );
    });
});
