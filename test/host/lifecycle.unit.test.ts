import { expect } from "chai";
import { blankNode, type Node, type Port } from "../../provider/ironic/types";
import { hostSpecFromInputs, PlainHostInputs } from "../../provider/host/desired";
import { EXTRA, HostAction, nextAction, nextDeleteAction } from "../../provider/host/lifecycle";
import { maintenanceBy, movedOnByAnotherWriter, ownMaintenanceReason } from "../../provider/host/maintenance";
import { pendingRecord } from "../../provider/host/records";
import { registrationPatch } from "../../provider/host/registration";
import { takeOverDecision } from "../../provider/host/takeover";
import type { HostSpec } from "../../provider/host/spec";
import { metal3State } from "../../provider/host/states";

const image = { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" as const };

function spec(extra: Partial<PlainHostInputs> = {}): HostSpec {
    return hostSpecFromInputs({ name: "h1", bmc: { address: "fake://" }, online: true, bootMACAddress: "52:54:00:00:00:01", ...extra } as PlainHostInputs, {
        apiVersion: "1.82",
        digestKey: "test-digest-key",
    });
}

/** A node already registered exactly as `s` says, in `state`. */
function node(s: HostSpec, state: string, over: Partial<Node> = {}): Node {
    const n = blankNode({
        uuid: "11111111-2222-3333-4444-555555555555",
        name: s.nodeName,
        driver: s.bmc.driver,
        provision_state: state,
        inspection_finished_at: null,
        created_at: "2026-01-01T00:00:00Z",
        ...Object.fromEntries(Object.entries(s.bmc.interfaces)),
        inspect_interface: "fake",
    });
    // Apply the registration patch so only the state under test differs.
    for (const op of registrationPatch(s, n)) {
        const parts = op.path.split("/").slice(1);
        let target = n as unknown as Record<string, any>;
        for (const p of parts.slice(0, -1)) target = target[p] = target[p] ?? {};
        if (op.op === "remove") delete target[parts[parts.length - 1]];
        else target[parts[parts.length - 1]] = op.value;
    }
    n.traits = [...s.traits];
    return { ...n, ...over };
}

const port = (mac: string): Port => ({ uuid: "p", address: mac, node_uuid: "n", pxe_enabled: true, extra: {}, created_at: "", updated_at: null });
const observed = (s: HostSpec, n: Node, ports = [port("52:54:00:00:00:01")]) => ({ node: n, ports });

function kindOf(a: HostAction): string {
    if (a.kind === "provision") return `provision:${a.target}`;
    if (a.kind === "power") return `power:${a.target}`;
    if (a.kind === "deploy") return a.rebuild ? "rebuild" : "deploy";
    if (a.kind === "patch" && a.inMaintenance) return "patch-in-maintenance";
    return a.kind;
}

describe("host/lifecycle: nextAction(spec, observed node)", () => {
    const plain = spec();
    const withImage = spec({ image });
    const deployedFp = withImage.deployment!.fingerprint;
    const ipmiIso = spec({
        bmc: { address: "ipmi://10.0.0.1", username: "u", password: "p" },
        image: { url: "http://x/live.iso", format: "live-iso" } as never,
    });
    const ipmiImage = spec({ bmc: { address: "ipmi://10.0.0.1", username: "u", password: "p" }, image });
    const raid = { hardwareRAIDVolumes: [{ level: "1" }] };
    const withRaid = spec({ image, raid } as never);
    const externalRaid = spec({ externallyProvisioned: true, raid } as never);
    const TABLE: Array<[string, HostSpec, ReturnType<typeof observed> | undefined, string]> = [
        ["no node → enrol", plain, undefined, "enrol"],
        ["enroll → manage", plain, observed(plain, node(plain, "enroll")), "provision:manage"],
        [
            "enroll with last_error → manage again (Ironic re-checks credentials)",
            plain,
            observed(plain, node(plain, "enroll", { last_error: "IPMI call failed" })),
            "provision:manage",
        ],
        ["verifying → wait", plain, observed(plain, node(plain, "verifying", { target_provision_state: "manageable" })), "wait"],
        ["manageable, not inspected → inspect", plain, observed(plain, node(plain, "manageable")), "provision:inspect"],
        [
            "manageable, inspection disabled → provide",
            spec({ inspectionMode: "disabled" }),
            observed(spec({ inspectionMode: "disabled" }), node(spec({ inspectionMode: "disabled" }), "manageable")),
            "provision:provide",
        ],
        [
            "manageable, inspected → provide",
            plain,
            observed(plain, node(plain, "manageable", { inspection_finished_at: "2026-01-01T00:00:00Z" })),
            "provision:provide",
        ],
        ["inspecting → wait", plain, observed(plain, node(plain, "inspecting", { target_provision_state: "manageable" })), "wait"],
        ["inspect failed → manage (retry)", plain, observed(plain, node(plain, "inspect failed", { last_error: "boom" })), "provision:manage"],
        [
            "clean failed in maintenance → leave maintenance first",
            plain,
            observed(plain, node(plain, "clean failed", { maintenance: true, fault: "clean failure" })),
            "unset-maintenance",
        ],
        ["clean failed → manage", plain, observed(plain, node(plain, "clean failed")), "provision:manage"],
        [
            "clean failed with target still set (Ironic keeps it) → manage, not wait",
            plain,
            observed(plain, node(plain, "clean failed", { target_provision_state: "manageable" })),
            "provision:manage",
        ],
        [
            "manageable, inspected, RAID not applied → configure RAID before provide",
            spec({ raid: { hardwareRAIDVolumes: [{ level: "1" }] } } as never),
            observed(
                spec({ raid: { hardwareRAIDVolumes: [{ level: "1" }] } } as never),
                node(spec({ raid: { hardwareRAIDVolumes: [{ level: "1" }] } } as never), "manageable", { inspection_finished_at: "x" }),
            ),
            "configure-raid",
        ],
        [
            "available, RAID changed → manage (then configure RAID)",
            spec({ raid: { hardwareRAIDVolumes: [] } } as never),
            observed(
                spec({ raid: { hardwareRAIDVolumes: [] } } as never),
                node(spec({ raid: { hardwareRAIDVolumes: [] } } as never), "available", { extra: { ...node(plain, "x").extra, [EXTRA.raid]: "old" } }),
            ),
            "provision:manage",
        ],
        ["cleaning → wait", plain, observed(plain, node(plain, "clean wait", { target_provision_state: "available" })), "wait"],
        ["available, power unknown, no image → power off", plain, observed(plain, node(plain, "available", { power_state: null })), "power:power off"],
        ["available, powered off, no image → done", plain, observed(plain, node(plain, "available")), "done"],
        [
            "available with disablePowerOff, powered on → done",
            spec({ disablePowerOff: true }),
            observed(spec({ disablePowerOff: true }), node(spec({ disablePowerOff: true }), "available", { power_state: "power on" })),
            "done",
        ],
        ["available + image + online → deploy", withImage, observed(withImage, node(withImage, "available")), "deploy"],
        [
            "available + image + offline → stays available, off",
            spec({ image, online: false }),
            observed(spec({ image, online: false }), node(spec({ image, online: false }), "available")),
            "done",
        ],
        ["deploying → wait", withImage, observed(withImage, node(withImage, "wait call-back", { target_provision_state: "active" })), "wait"],
        ["deploy failed + image → deploy again", withImage, observed(withImage, node(withImage, "deploy failed")), "deploy"],
        ["deploy failed, image removed → undeploy", plain, observed(plain, node(plain, "deploy failed")), "undeploy"],
        [
            "active, same image, powered off, online → power on",
            withImage,
            observed(withImage, node(withImage, "active", { extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: deployedFp } })),
            "power:power on",
        ],
        [
            "active, same image, on → done",
            withImage,
            observed(
                withImage,
                node(withImage, "active", { power_state: "power on", extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: deployedFp } }),
            ),
            "done",
        ],
        [
            "active, online false → power off",
            spec({ image, online: false }),
            observed(
                spec({ image, online: false }),
                node(spec({ image, online: false }), "active", {
                    power_state: "power on",
                    extra: { ...node(spec({ image, online: false }), "x").extra, [EXTRA.deployment]: spec({ image, online: false }).deployment!.fingerprint },
                }),
            ),
            "power:power off",
        ],
        [
            "active, image changed → rebuild",
            withImage,
            observed(withImage, node(withImage, "active", { power_state: "power on", extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: "old" } })),
            "rebuild",
        ],
        [
            "active (direct deploy), image changed to a live ISO → undeploy first (the deploy interface cannot change while active)",
            ipmiIso,
            observed(
                ipmiIso,
                node(ipmiIso, "active", {
                    deploy_interface: "direct",
                    power_state: "power on",
                    extra: { ...node(ipmiIso, "x").extra, [EXTRA.deployment]: "old" },
                }),
            ),
            "undeploy",
        ],
        [
            "active, deployment record still pending and no provision change since (the request never reached Ironic) → rebuild",
            withImage,
            observed(
                withImage,
                node(withImage, "active", {
                    power_state: "power on",
                    provision_updated_at: "t1",
                    extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: pendingRecord(deployedFp, { provision_updated_at: "t1" }) },
                }),
            ),
            "rebuild",
        ],
        [
            "active, deployment record pending but Ironic deployed since (the run ended first) → record it, no second deploy",
            withImage,
            observed(
                withImage,
                node(withImage, "active", {
                    power_state: "power on",
                    provision_updated_at: "t2",
                    extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: pendingRecord(deployedFp, { provision_updated_at: "t1" }) },
                }),
            ),
            "patch",
        ],
        [
            "active, BMC scheme changed (fake → ipmi) → driver switched in place, in maintenance",
            ipmiImage,
            observed(
                ipmiImage,
                node(withImage, "active", { power_state: "power on", extra: { ...node(withImage, "x").extra, [EXTRA.deployment]: deployedFp } }),
            ),
            "patch-in-maintenance",
        ],
        ["available, BMC scheme changed → driver switched by a plain patch", ipmiImage, observed(ipmiImage, node(withImage, "available")), "patch"],
        [
            "active, RAID changed → undeploy (RAID is built by cleaning), not ignored",
            withRaid,
            observed(
                withRaid,
                node(withRaid, "active", {
                    power_state: "power on",
                    extra: { ...node(withRaid, "x").extra, [EXTRA.raid]: "old", [EXTRA.deployment]: withRaid.deployment!.fingerprint },
                }),
            ),
            "undeploy",
        ],
        [
            "active, externally provisioned, RAID changed → fail (cleaning would wipe it)",
            externalRaid,
            observed(externalRaid, node(externalRaid, "active", { power_state: "power on", extra: { ...node(externalRaid, "x").extra, [EXTRA.raid]: "old" } })),
            "fail",
        ],
        [
            "active, image removed → undeploy",
            plain,
            observed(plain, node(plain, "active", { power_state: "power on", extra: { ...node(plain, "x").extra, [EXTRA.deployment]: "old" } })),
            "undeploy",
        ],
        [
            "active, claimed by a Machine allocation, no image here → leave the image alone",
            plain,
            observed(plain, node(plain, "active", { power_state: "power on", allocation_uuid: "a" })),
            "done",
        ],
        [
            "active, claimed by a Machine, host online: false → leave the power alone (the Machine owns it)",
            spec({ online: false }),
            observed(spec({ online: false }), node(spec({ online: false }), "active", { power_state: "power on", allocation_uuid: "a" })),
            "done",
        ],
        [
            "deploy failed while claimed by a Machine → the Machine retries, the host does not undeploy",
            plain,
            observed(plain, node(plain, "deploy failed", { allocation_uuid: "a" })),
            "done",
        ],
        [
            "available, claimed (allocation made, deploy not started) → no power off under the Machine",
            spec({ online: false }),
            observed(spec({ online: false }), node(spec({ online: false }), "available", { power_state: "power on", allocation_uuid: "a" })),
            "done",
        ],
        [
            "active, not provisioned by us (adopted) → fail rather than wipe",
            withImage,
            observed(withImage, node(withImage, "active", { power_state: "power on" })),
            "fail",
        ],
        [
            "active, not provisioned by us, externallyProvisioned → leave the disk, power as online",
            spec({ externallyProvisioned: true }),
            observed(spec({ externallyProvisioned: true }), node(spec({ externallyProvisioned: true }), "active", { power_state: "power off" })),
            "power:power on",
        ],
        ["error (failed undeploy) → undeploy", plain, observed(plain, node(plain, "error")), "undeploy"],
        [
            "manageable + externallyProvisioned → adopt",
            spec({ externallyProvisioned: true }),
            observed(spec({ externallyProvisioned: true }), node(spec({ externallyProvisioned: true }), "manageable")),
            "provision:adopt",
        ],
        [
            "available + externallyProvisioned → manage (then adopt)",
            spec({ externallyProvisioned: true }),
            observed(spec({ externallyProvisioned: true }), node(spec({ externallyProvisioned: true }), "available")),
            "provision:manage",
        ],
        ["boot MAC port missing → create port", plain, observed(plain, node(plain, "manageable"), []), "create-port"],
        [
            "traits differ → set traits",
            spec({ traits: ["CUSTOM_GPU"] }),
            observed(spec({ traits: ["CUSTOM_GPU"] }), node(spec({ traits: ["CUSTOM_GPU"] }), "available", { traits: [] })),
            "set-traits",
        ],
        [
            "labels changed → patch",
            plain,
            observed(plain, node(plain, "available", { extra: { ...node(plain, "x").extra, [EXTRA.labels]: { old: "1" } } })),
            "patch",
        ],
        [
            "BMC credentials changed → patch driver_info",
            plain,
            observed(plain, node(plain, "enroll", { extra: { ...node(plain, "x").extra, [EXTRA.bmcFingerprint]: "old" } })),
            "patch",
        ],
        [
            "maintenance pulumi-metal3 set itself → leave maintenance",
            plain,
            observed(plain, node(plain, "available", { maintenance: true, maintenance_reason: ownMaintenanceReason("forcing deletion from a failed state") })),
            "unset-maintenance",
        ],
        [
            "maintenance set by an operator, nothing to do → done (kept)",
            plain,
            observed(plain, node(plain, "available", { maintenance: true, maintenance_reason: "DIMM swap" })),
            "done",
        ],
        [
            "maintenance set by an operator, labels changed → patch (metadata still applies)",
            plain,
            observed(
                plain,
                node(plain, "available", {
                    maintenance: true,
                    maintenance_reason: "DIMM swap",
                    extra: { ...node(plain, "x").extra, [EXTRA.labels]: { old: "1" } },
                }),
            ),
            "patch",
        ],
        [
            "maintenance set by an operator, power change needed → fail (never cleared)",
            spec({ image, online: false }),
            observed(
                spec({ image, online: false }),
                node(spec({ image, online: false }), "active", {
                    maintenance: true,
                    maintenance_reason: "DIMM swap",
                    power_state: "power on",
                    extra: { ...node(spec({ image, online: false }), "x").extra, [EXTRA.deployment]: spec({ image }).deployment!.fingerprint },
                }),
            ),
            "fail",
        ],
        [
            "maintenance set by an operator, no reason, provide needed → fail",
            plain,
            observed(plain, node(plain, "manageable", { maintenance: true, inspection_finished_at: "2026-01-01T00:00:00Z" })),
            "fail",
        ],
        [
            "clean failed with Ironic's own fault maintenance → leave maintenance (retry, as BMO)",
            plain,
            observed(plain, node(plain, "clean failed", { maintenance: true, fault: "clean failure" })),
            "unset-maintenance",
        ],
        [
            "maintenance with a fault in a stable state → fail",
            plain,
            observed(plain, node(plain, "available", { maintenance: true, fault: "power failure" })),
            "fail",
        ],
        ["rescue → fail (not handled)", plain, observed(plain, node(plain, "rescue")), "fail"],
    ];
    for (const [what, s, obs, expected] of TABLE) {
        it(what, () => expect(kindOf(nextAction(s, obs))).to.equal(expected));
    }

    it("the registration patch puts credentials, labels, capabilities, cleaning and resource class on the node", () => {
        const s = hostSpecFromInputs(
            {
                name: "h2",
                namespace: "prod",
                bmc: { address: "redfish://10.0.0.9/redfish/v1/Systems/1", username: "u", password: "p" },
                online: true,
                bootMode: "legacy",
                automatedCleaningMode: "disabled",
                labels: { rack: "r1" },
                resourceClass: "gpu",
                description: "d",
                architecture: "x86_64",
            } as PlainHostInputs,
            { apiVersion: "1.82", digestKey: "test-digest-key" },
        );
        const bare = {
            uuid: "u",
            name: null,
            driver: "redfish",
            driver_info: { ipmi_address: "old" },
            provision_state: "manageable",
            extra: {},
            properties: {},
        } as unknown as Node;
        const ops = registrationPatch(s, bare);
        const byPath = Object.fromEntries(ops.map((o) => [o.path, o]));
        expect(byPath["/name"].value).to.equal("prod~h2");
        expect(byPath["/driver_info/ipmi_address"].op).to.equal("remove");
        expect(byPath["/driver_info/redfish_password"].value).to.equal("p");
        expect(byPath["/automated_clean"].value).to.equal(false);
        expect(byPath["/properties/capabilities"].value).to.equal("boot_mode:bios");
        expect(byPath["/properties/cpu_arch"].value).to.equal("x86_64");
        expect(byPath["/resource_class"].value).to.equal("gpu");
        expect(byPath[`/extra/${EXTRA.labels}`].value).to.deep.equal({ rack: "r1" });
        expect(byPath["/firmware_interface"], "Ironic 1.82 has no firmware interface").to.equal(undefined);
        expect(byPath["/raid_interface"].value).to.equal("redfish");
    });
});

describe("host/lifecycle: nextDeleteAction", () => {
    const s = spec();
    const d = { disablePowerOff: false, externallyProvisioned: false };
    const TABLE: Array<[string, typeof d, Node | undefined, string]> = [
        ["gone → done", d, undefined, "done"],
        ["active → undeploy", d, node(s, "active"), "undeploy"],
        ["active, externally provisioned → maintenance, then delete (no wipe)", { ...d, externallyProvisioned: true }, node(s, "active"), "set-maintenance"],
        [
            "active in our maintenance, externally provisioned → delete",
            { ...d, externallyProvisioned: true },
            node(s, "active", {
                maintenance: true,
                maintenance_reason: ownMaintenanceReason("deleting an externally provisioned host without deprovisioning"),
            }),
            "delete-node",
        ],
        [
            "active in maintenance of an earlier version, externally provisioned → delete",
            { ...d, externallyProvisioned: true },
            node(s, "active", { maintenance: true, maintenance_reason: "deleting an externally provisioned host without deprovisioning" }),
            "delete-node",
        ],
        [
            "active in an operator's maintenance → fail (no undeploy, maintenance kept)",
            d,
            node(s, "active", { maintenance: true, maintenance_reason: "firmware upgrade" }),
            "fail",
        ],
        [
            "available in an operator's maintenance → fail (not deleted under them)",
            d,
            node(s, "available", { maintenance: true, maintenance_reason: "firmware upgrade" }),
            "fail",
        ],
        [
            "active, claimed by a Machine → fail (never wiped)",
            d,
            node(s, "active", { allocation_uuid: "a", instance_uuid: "a", power_state: "power on" }),
            "fail",
        ],
        [
            "available, claimed (deploy not started) → fail (no power off, no delete)",
            d,
            node(s, "available", { allocation_uuid: "a", instance_uuid: "a", power_state: "power on" }),
            "fail",
        ],
        [
            "deploying for a Machine → fail, not wait-then-undeploy",
            d,
            node(s, "wait call-back", { target_provision_state: "active", allocation_uuid: "a" }),
            "fail",
        ],
        ["deploy failed → undeploy", d, node(s, "deploy failed"), "undeploy"],
        ["available, powered on → power off first", d, node(s, "available", { power_state: "power on" }), "power:power off"],
        [
            "available, powered on, disablePowerOff → delete without powering off",
            { ...d, disablePowerOff: true },
            node(s, "available", { power_state: "power on" }),
            "delete-node",
        ],
        ["available, off → delete", d, node(s, "available"), "delete-node"],
        ["enroll → delete", d, node(s, "enroll"), "delete-node"],
        ["inspect wait → abort", d, node(s, "inspect wait", { target_provision_state: "manageable" }), "provision:abort"],
        ["cleaning → wait", d, node(s, "cleaning", { target_provision_state: "available" }), "wait"],
        ["inspect failed → maintenance (force)", d, node(s, "inspect failed"), "set-maintenance"],
        ["clean failed in Ironic's fault maintenance → delete", d, node(s, "clean failed", { maintenance: true, fault: "clean failure" }), "delete-node"],
    ];
    for (const [what, ds, n, expected] of TABLE) it(what, () => expect(kindOf(nextDeleteAction(ds, n))).to.equal(expected));
});

describe("host/lifecycle: who owns the node (issue 9)", () => {
    const owner = { stack: "proj/dev", resource: "worker-0" };
    const ours = spec({ owner } as Partial<PlainHostInputs>);
    const mark = (extra: Record<string, unknown>) => ({ extra });

    it("the registration carries the owner record (project/stack, resource) and the own-image mark", () => {
        const n = node(ours, "available");
        expect(n.extra[EXTRA.owner]).to.equal("proj/dev");
        expect(n.extra[EXTRA.resource]).to.equal("worker-0");
        expect(n.extra[EXTRA.hostImage]).to.equal(undefined);
        const withImg = spec({ owner, image } as Partial<PlainHostInputs>);
        expect(node(withImg, "available").extra[EXTRA.hostImage]).to.equal("true");
        // Image removed: the mark goes, so Machines may claim the host again.
        const ops = registrationPatch(ours, { ...node(ours, "available"), extra: { ...node(ours, "available").extra, [EXTRA.hostImage]: "true" } });
        expect(ops).to.deep.include({ op: "remove", path: `/extra/${EXTRA.hostImage}` });
    });

    it("takes over only a node carrying this stack's owner record for this resource", () => {
        expect(takeOverDecision(ours, node(ours, "enroll"), "its name").kind).to.equal("take-over");
        const cases: Array<[string, Node, RegExp]> = [
            [
                "no record (hand-enrolled)",
                { ...node(ours, "enroll"), ...mark({}) },
                /carries no pulumi-metal3 owner record \(enrolled by hand or by another tool\)/,
            ],
            [
                "earlier version (managed, no owner)",
                { ...node(ours, "active"), ...mark({ [EXTRA.managed]: "true" }) },
                /carries no owner record \(enrolled by pulumi-metal3 before owner records/,
            ],
            [
                "another stack",
                { ...node(ours, "available"), ...mark({ [EXTRA.owner]: "proj/prod", [EXTRA.resource]: "worker-0" }) },
                /belongs to proj\/prod \(resource worker-0\)/,
            ],
            [
                "another resource of this stack",
                { ...node(ours, "available"), ...mark({ [EXTRA.owner]: "proj/dev", [EXTRA.resource]: "old-name" }) },
                /belongs to proj\/dev \(resource old-name\)/,
            ],
            ["another name, same MAC", { ...node(ours, "available"), name: "rack1-node7" }, /boot MAC .* already belongs to Ironic node rack1-node7/],
        ];
        for (const [what, n, message] of cases) {
            const d = takeOverDecision(ours, n, "boot MAC 52:54:00:00:00:01");
            expect(d.kind, what).to.equal("fail");
            const text = (d as { message: string }).message;
            expect(text, what).to.match(message);
            expect(text, what).to.contain(`adoptNode: "${n.uuid}"`);
            expect(text, what).to.contain("nothing was changed");
        }
        // Without an owner (a caller that gives none) nothing can be recognised as ours.
        expect(takeOverDecision(spec(), node(spec(), "enroll"), "its name").kind).to.equal("fail");
    });

    it("maintenance: ours by its reason text, Ironic's by its fault, anything else an operator's", () => {
        const m = (over: Partial<Node>) => maintenanceBy({ maintenance: true, maintenance_reason: null, fault: null, ...over } as Node);
        expect(maintenanceBy({ maintenance: false, maintenance_reason: null } as Node)).to.equal("none");
        expect(m({ maintenance_reason: ownMaintenanceReason("x") })).to.equal("ours");
        expect(m({ maintenance_reason: "forcing deletion in pulumi-metal3" })).to.equal("ours");
        expect(m({ fault: "clean failure", maintenance_reason: "boom" })).to.equal("ironic");
        expect(m({ maintenance_reason: "pulumi-metal3 is great but hands off" })).to.equal("operator");
        expect(m({})).to.equal("operator");
    });

    it("an operator's maintenance refusal names the reason and the command that ends it", () => {
        const s = spec({ image, online: false });
        const n = node(s, "active", {
            maintenance: true,
            maintenance_reason: "PSU swap",
            power_state: "power on",
            extra: { ...node(s, "x").extra, [EXTRA.deployment]: s.deployment!.fingerprint },
        });
        const a = nextAction(s, observed(s, n)) as { kind: string; message: string };
        expect(a.kind).to.equal("fail");
        expect(a.message).to.contain('"PSU swap"');
        expect(a.message).to.contain("power off");
        expect(a.message).to.contain("baremetal node maintenance unset default~h1");
    });

    it("service failed: settings still to apply are serviced again; nothing pending fails with Ironic's error and the way out", () => {
        const withFirmware = spec({ image, firmware: { settings: { ProcTurboMode: "Disabled" } } } as Partial<PlainHostInputs>);
        const deployed = { ...node(withFirmware, "x").extra, [EXTRA.deployment]: withFirmware.deployment!.fingerprint };
        const failed = (s: HostSpec, extra: Record<string, unknown>) =>
            node(s, "service failed", { power_state: "power on", last_error: "BIOS refused ProcTurboMode", extra });
        expect(nextAction(withFirmware, observed(withFirmware, failed(withFirmware, deployed)))).to.deep.equal({ kind: "configure-firmware", via: "service" });
        const plain = spec({ image });
        const a = nextAction(plain, observed(plain, failed(plain, { ...node(plain, "x").extra, [EXTRA.deployment]: plain.deployment!.fingerprint }))) as {
            kind: string;
            message: string;
        };
        expect(a.kind).to.equal("fail");
        expect(a.message).to.contain("BIOS refused ProcTurboMode").and.contain("firmware.settings").and.contain("baremetal node service default~h1");
    });

    it("a state the lifecycle does not handle names Ironic's error and the command back", () => {
        const s = spec({ image });
        const a = nextAction(s, observed(s, node(s, "rescue failed", { last_error: "rescue agent timed out" }))) as { kind: string; message: string };
        expect(a.kind).to.equal("fail");
        expect(a.message).to.contain('"rescue failed"').and.contain("rescue agent timed out").and.contain("baremetal node unrescue default~h1");
    });

    it("deleting a claimed host names the allocation, its owner and the Machine", () => {
        const s = spec();
        const a = nextDeleteAction({ disablePowerOff: false, externallyProvisioned: false }, node(s, "active", { allocation_uuid: "al-1" }), {
            uuid: "al-1",
            name: "prod~worker-0",
            machine: "prod/worker-0",
            owner: "cluster/prod",
        }) as { kind: string; message: string };
        expect(a.kind).to.equal("fail");
        expect(a.message).to.contain("Machine prod/worker-0 (Ironic allocation prod~worker-0, al-1, owner cluster/prod)");
        expect(a.message).to.contain("Delete the Machine first");
    });
});

describe("host/states: Ironic → Metal³ provisioning state", () => {
    const s = spec();
    const cases: Array<[string, Partial<Node>, string, boolean?]> = [
        ["enroll", {}, "registering"],
        ["verifying", {}, "registering"],
        ["inspect wait", {}, "inspecting"],
        ["manageable", {}, "preparing"],
        ["clean wait", {}, "preparing"],
        ["available", {}, "available"],
        ["wait call-back", {}, "provisioning"],
        ["deploy failed", {}, "provisioning"],
        ["active", {}, "provisioned"],
        ["active", {}, "externally provisioned", true],
        ["deleting", {}, "deprovisioning"],
    ];
    for (const [state, over, expected, ext] of cases) {
        it(`${state}${ext ? " (externally provisioned)" : ""} → ${expected}`, () =>
            expect(metal3State(node(s, state, over), { externallyProvisioned: ext })).to.equal(expected));
    }
});

describe("host/lifecycle: a node another writer moved on (movedOnByAnotherWriter)", () => {
    const s = spec();
    it("stable elsewhere, no error, nothing in progress: moved on (an operator's provide after our manage)", () => {
        expect(movedOnByAnotherWriter(node(s, "available"), ["manageable"])).to.equal(true);
        expect(movedOnByAnotherWriter(node(s, "manageable"), ["available"])).to.equal(true);
    });
    it("a failure is never taken for another writer: last_error, failed states, enroll, work in progress, or already there", () => {
        expect(movedOnByAnotherWriter(node(s, "manageable", { last_error: "cleaning failed" }), ["available"])).to.equal(false);
        expect(movedOnByAnotherWriter(node(s, "clean failed"), ["available"])).to.equal(false);
        expect(movedOnByAnotherWriter(node(s, "enroll"), ["manageable"])).to.equal(false);
        expect(movedOnByAnotherWriter(node(s, "cleaning"), ["manageable"])).to.equal(false);
        expect(movedOnByAnotherWriter(node(s, "available", { target_provision_state: "manageable" }), ["manageable"])).to.equal(false);
        expect(movedOnByAnotherWriter(node(s, "manageable"), ["manageable"])).to.equal(false);
    });
});
