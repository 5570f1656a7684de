// What every scenario of the faults campaign checks at its end, and the row it leaves for
// docs/RELIABILITY.md (bench/reliability.ts renders the rows). The census counts what an operator
// would count: Ironic nodes by name and by owner record, allocations by name. A row is written
// only after the scenario's assertions passed: the assertions are the test, the row its record.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import type { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { EXTRA } from "../../provider/host/lifecycle";

/** Where the rows go: $PULUMI_METAL3_RELIABILITY_DIR, else a directory in the system's tmp. */
export const RELIABILITY_DIR_ENV = "PULUMI_METAL3_RELIABILITY_DIR";
export function reliabilityDir(): string {
    return process.env[RELIABILITY_DIR_ENV] || path.join(os.tmpdir(), "pulumi-metal3-reliability");
}

export interface Census {
    /** `name provision_state/power_state` of each node of the scenario, sorted. */
    nodes: string[];
    /** Allocation names of the scenario, sorted. */
    allocations: string[];
}

export interface ReliabilityRow {
    /** Scenario group: "ironic", "cli", "network", "bmc", "writers". */
    group: string;
    fault: string;
    moment: string;
    /** How the fault was exercised: "engine" (real `pulumi` CLI) or "handlers" (the providers' create/update/delete). */
    level: "engine" | "handlers" | "client";
    /** First line of the error the operator saw ("" when the operation rode the fault out). */
    operatorSaw: string;
    /** What the operator (the test) did next, and what that run did. */
    recovery: string;
    before: Census;
    after: Census;
    seconds: number;
}

export function recordRow(file: string, row: ReliabilityRow): void {
    const dir = reliabilityDir();
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, `${file}.json`);
    const rows: ReliabilityRow[] = fs.existsSync(target) ? JSON.parse(fs.readFileSync(target, "utf8")) : [];
    const kept = rows.filter((r) => !(r.group === row.group && r.fault === row.fault && r.moment === row.moment));
    fs.writeFileSync(target, JSON.stringify([...kept, row], null, 2) + "\n");
}

/** The first line of an error, as the operator reads it first. */
export function firstLine(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err ?? "");
    return (
        text
            .split("\n")
            .find((l) => l.trim() !== "")
            ?.trim() ?? ""
    );
}

/** Nodes and allocations whose name contains `tag` (every scenario names its hosts with a unique tag). */
export async function census(client: IronicClient, tag: string): Promise<Census & { raw: Node[] }> {
    const raw = (await client.listNodes()).filter((n) => String(n.name ?? "").includes(tag) || String(n.extra?.[EXTRA.resource] ?? "").includes(tag));
    const allocations = (await client.listAllocations()).filter((a) => String(a.name ?? "").includes(tag));
    return {
        raw,
        nodes: raw.map((n) => `${n.name} ${n.provision_state}/${n.power_state}`).sort(),
        allocations: allocations.map((a) => String(a.name)).sort(),
    };
}

/**
 * The end state every scenario must reach: exactly the declared nodes (by name, each once; by
 * owner record, each once), each in its declared provision and power state, with the node UUIDs
 * it had before the fault where given; exactly the declared allocations; nothing else with the tag.
 */
export async function expectDeclared(
    client: IronicClient,
    tag: string,
    declared: Record<string, { provision: string; power: string; uuid?: string }>,
    allocations: string[] = [],
): Promise<Census> {
    const c = await census(client, tag);
    const names = c.raw.map((n) => String(n.name));
    const duplicated = names.filter((n, i) => names.indexOf(n) !== i);
    expect(duplicated, `duplicated nodes: ${c.nodes.join(", ")}`).to.deep.equal([]);
    const owners = c.raw.filter((n) => n.extra?.[EXTRA.owner]).map((n) => `${n.extra[EXTRA.owner]}/${n.extra[EXTRA.resource]}`);
    expect(
        owners.filter((o, i) => owners.indexOf(o) !== i),
        `nodes sharing one owner record: ${owners.join(", ")}`,
    ).to.deep.equal([]);
    expect([...names].sort(), `orphaned or missing nodes: ${c.nodes.join(", ")}`).to.deep.equal(Object.keys(declared).sort());
    for (const [name, want] of Object.entries(declared)) {
        const node = c.raw.find((n) => n.name === name)!;
        expect(`${node.provision_state}/${node.power_state}`, `${name} (last_error: ${node.last_error})`).to.equal(`${want.provision}/${want.power}`);
        expect(node.maintenance, `${name} left in maintenance: ${node.maintenance_reason}`).to.equal(false);
        if (want.uuid) expect(node.uuid, `${name}: a new node replaced the one the fault interrupted`).to.equal(want.uuid);
    }
    expect(c.allocations, "orphaned or missing allocations").to.deep.equal([...allocations].sort());
    return { nodes: c.nodes, allocations: c.allocations };
}

/** Polls `probe` until it returns something (a node in the phase a fault is aimed at). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/** The rejection of `p` (fails the test when `p` succeeds). */
export async function rejection<E = Error & { id?: string; properties?: Record<string, any> }>(p: Promise<unknown>, what: string): Promise<E> {
    try {
        await p;
    } catch (e) {
        return e as E;
    }
    throw new Error(`expected ${what} to fail, but it succeeded`);
}

/** What a handler-level scenario's host is: a name under the scenario's tag, its owner stack and the Ironic (or proxy) it talks to. */
export interface FaultHost {
    tag: string;
    what: string;
    /** Last MAC byte: unique per host of this run. */
    seq: number;
    /** Fourth MAC byte: one per scenario file, so files running at once never share a MAC. */
    macByte: string;
    stack: string;
    url: string;
    bmc?: { address: string; username?: string; password: string };
    online?: boolean;
}

/** Inputs of a handler-level scenario's host: no inspection, no cleaning, powered off unless said; fake hardware unless a BMC is given. */
export function faultHostInputs(h: FaultHost, extra: Record<string, unknown> = {}): Record<string, any> {
    const name = `${h.tag}-${h.what}`;
    const hex = (n: number) => (n % 256).toString(16).padStart(2, "0");
    return {
        name,
        namespace: "faults",
        bmc: h.bmc ?? { address: `fake://${h.what}`, password: "bmc-pw-do-not-leak" },
        online: h.online ?? false,
        bootMACAddress: `52:54:${h.macByte}:${hex(process.pid)}:${hex(Date.now())}:${hex(h.seq)}`,
        inspectionMode: "disabled",
        automatedCleaningMode: "disabled",
        owner: { stack: h.stack, resource: name },
        ironic: { url: h.url },
        __provider: "exports.handler = () => ({})",
        ...extra,
    };
}
