// What the benchmarks' direct drivers share: a fake-hardware node as a user would enrol it with
// the API alone, and the count of API requests in Ironic's own log (nothing self-reported).
import * as fs from "fs";
import type { IronicClient } from "../provider/ironic";
import type { Node } from "../provider/ironic";

/** A fake-hardware node with every fake interface and a port: the direct drivers' "enrol". */
export async function enrolFakeNode(client: IronicClient, name: string, mac: string): Promise<Node> {
    const node = await client.createNode({
        name,
        driver: "fake-hardware",
        boot_interface: "fake",
        deploy_interface: "fake",
        inspect_interface: "fake",
        management_interface: "fake",
        power_interface: "fake",
        resource_class: "baremetal",
    } as never);
    // Under load a POST may be answered late and repeated by the client: a 409 for our own port is success.
    await client.createPort({ node_uuid: node.uuid, address: mac }).catch(async (e: { status?: number }) => {
        if (e.status !== 409 || !(await client.listPorts({ node: node.uuid })).some((p) => p.address === mac)) throw e;
    });
    return node;
}

/**
 * One logged API request: Debian's Ironic 21.4 logs `eventlet.wsgi.server ... "GET /v1/... HTTP/1.1"`,
 * PyPI's Ironic 39 `ironic.api [req-...] 127.0.0.1 - GET /v1/... - 200 (12.3ms)`. Groups: verb, path, query.
 */
const REQUEST = String.raw`(?:eventlet\.wsgi\.server .*"|ironic\.api \[[^\]]*\] \S+ - )(GET|POST|PATCH|PUT|DELETE) (\/v1[^ ?"]*)(\?[^ "]*)?(?: HTTP| - \d{3})`;

/** API requests Ironic has logged so far. */
export function requestLines(logFile: string): number {
    const text = fs.readFileSync(logFile, "utf8");
    return (text.match(new RegExp(REQUEST, "g")) ?? []).length;
}

/**
 * Ironic's logged API requests after the first `skip`, by kind ("GET /v1/nodes/{id}"): who asks
 * what, for the benchmarks' profile. Identifiers (UUIDs, node names) become {id}; the query string
 * keeps only its parameter names.
 */
export function requestKinds(logFile: string, skip = 0): Map<string, number> {
    const text = fs.readFileSync(logFile, "utf8");
    const kinds = new Map<string, number>();
    const all = [...text.matchAll(new RegExp(REQUEST, "g"))];
    for (const m of all.slice(skip)) {
        const segments = m[2]
            .split("/")
            .map((s, i, all) => (i > 0 && ["nodes", "ports", "allocations", "drivers", "portgroups"].includes(all[i - 1]) ? "{id}" : s));
        const query = m[3] ? `?${[...new URLSearchParams(m[3].slice(1)).keys()].join("&")}` : "";
        const kind = `${m[1]} ${segments.join("/")}${query}`;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return kinds;
}

/** `requestKinds` per host, largest first, as one line per kind. */
export function formatKinds(kinds: Map<string, number>, hosts: number): string {
    return [...kinds]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `    ${(n / hosts).toFixed(2).padStart(6)} /host  ${k}`)
        .join("\n");
}

/** When Ironic logged the first and the last API request after the first `skip` (ms since the epoch; the log's local time is taken as the machine's). */
export function requestSpan(logFile: string, skip = 0): { first: number; last: number } | undefined {
    const text = fs.readFileSync(logFile, "utf8");
    const stamps = [...text.matchAll(new RegExp(String.raw`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*` + REQUEST, "gm"))]
        .slice(skip)
        .map((m) => new Date(m[1].replace(" ", "T")).getTime());
    return stamps.length ? { first: stamps[0], last: stamps[stamps.length - 1] } : undefined;
}
