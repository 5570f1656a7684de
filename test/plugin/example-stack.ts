// The scenario every language's example runs (examples/yaml, examples/python, examples/go: two
// hosts and a Machine from the same stack config), shared so the three tests check the same thing.
import { randomBytes } from "crypto";
import { expect } from "chai";
import { EXTRA } from "../../provider/extra-keys";
import type { Node } from "../../provider/ironic/types";
import type { PluginProject } from "./project";

export const HOST_TYPE = "metal3:index:BareMetalHost";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** A value Pulumi's state records as a secret (its signature key, as `pulumi stack export` writes it). */
export const isSecret = (v: any) => !!v && typeof v === "object" && v["4dabf18193072939515e22adb298388d"] === SECRET_SIG;

/** `stack init dev` and the config every example reads: Ironic, namespace, MAC prefix, BMC password, owner key. */
export async function configureExampleStack(p: PluginProject, ns: string, bmcPassword: string): Promise<void> {
    const b = () =>
        Math.floor(Math.random() * 256)
            .toString(16)
            .padStart(2, "0");
    await p.must(["stack", "init", "dev"]);
    await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
    await p.must(["config", "set", "namespace", ns]);
    await p.must(["config", "set", "macPrefix", `52:54:${b()}`]);
    await p.must(["config", "set", "--secret", "bmcPassword", bmcPassword]);
    // The stack's owner key (README "Ownership"): the Machine claims only hosts keyed under it.
    await p.must(["config", "set", "--secret", "metal3:ownerKey", randomBytes(32).toString("hex")]);
}

export interface ExampleChecks {
    /** The program's labels reached Ironic as written (`{ role: "worker", stack: "dev" }`). */
    labels?: boolean;
    /** Each host's state record, beyond the password never being in clear. */
    host?: (host: any) => void;
}

/**
 * preview (4 to create, Ironic untouched), up (hosts enrolled, the Machine deployed on one, the
 * other available and off), the BMC password never in clear in state, refresh and preview with no
 * drift (the Machine powers its host on: no drift of the host's own `online: false`), destroy.
 */
export async function runExampleLifecycle(p: PluginProject, nodesOf: () => Promise<Node[]>, bmcPassword: string, checks: ExampleChecks = {}): Promise<void> {
    const preview = await p.must(["preview"]);
    expect(preview).to.match(/\+ 4 to create/);
    expect(await nodesOf()).to.have.length(0);

    const up = await p.must(["up", "--yes"]);
    expect(up).to.match(/\+ 4 created/);
    const outputs = JSON.parse(await p.must(["stack", "output", "--json"]));
    expect(outputs.machineReady).to.equal(true);
    expect(outputs.workerStates).to.deep.equal(["available", "available"]);
    expect(["worker-0", "worker-1"]).to.include(outputs.machineHost);
    const nodes = await nodesOf();
    const byName = Object.fromEntries(nodes.map((n) => [String(n.name).split("~")[1], n]));
    expect(Object.keys(byName).sort()).to.deep.equal(["worker-0", "worker-1"]);
    const claimed = byName[outputs.machineHost];
    const free = byName[outputs.machineHost === "worker-0" ? "worker-1" : "worker-0"];
    expect([claimed.provision_state, claimed.power_state]).to.deep.equal(["active", "power on"]);
    expect(claimed.allocation_uuid).to.be.a("string");
    expect(JSON.stringify(claimed.instance_info)).to.contain("ubuntu-24.04");
    expect([free.provision_state, free.power_state]).to.deep.equal(["available", "power off"]);
    if (checks.labels) {
        const labels = claimed.extra?.[EXTRA.labels];
        expect(typeof labels === "string" ? JSON.parse(labels) : labels).to.deep.equal({ role: "worker", stack: "dev" });
    }

    const state = await p.must(["stack", "export"]);
    expect(state).to.not.contain(bmcPassword);
    const hosts = JSON.parse(state).deployment.resources.filter((r: any) => r.type === HOST_TYPE);
    expect(hosts).to.have.length(2);
    for (const host of hosts) checks.host?.(host);

    await p.must(["refresh", "--yes", "--expect-no-changes"]);
    await p.must(["preview", "--expect-no-changes"]);

    await p.must(["destroy", "--yes"]);
    expect(await nodesOf()).to.have.length(0);
}
