// A TCP proxy in front of a real Ironic that misbehaves on chosen requests, as networks, load
// balancers and restarting Ironics do:
//   - lose the connection *after* Ironic answered (the request took effect, the client never saw
//     the answer), or *before* forwarding it (it never took effect, the client cannot know);
//   - answer 503 Service Unavailable itself, either without forwarding the request (it never
//     reached Ironic) or after forwarding it and throwing Ironic's answer away (it took effect);
//   - answer 409 "node is locked" itself (a lock storm: another conductor or writer holds the node);
//   - hold Ironic's answer back for a while (a slow link or an overloaded Ironic: past the
//     client's timeout, the request took effect and the client never saw it);
//   - blackhole: accept connections and never answer, for a while (a firewall dropping packets).
// Not a mock: Ironic does the work; the proxy only hides or replaces its answers.

import * as net from "net";

export interface FlakyProxy {
    url: string;
    /** Cut the connection after Ironic answered the next `count` requests whose first line matches. */
    dropResponses(firstLine: RegExp, count?: number): void;
    /**
     * Answer 503 to the next `count` requests whose first line matches: with `forward`, only after
     * Ironic has carried the request out (its answer is discarded); without, Ironic never sees it.
     */
    answer503(firstLine: RegExp, opts: { count?: number; forward: boolean }): void;
    /** Cut the connection instead of forwarding the next `count` requests whose first line matches. */
    dropRequests(firstLine: RegExp, count?: number): void;
    /** Answer 409 "node is locked" (Ironic's own fault body) to the next `count` matching requests, without forwarding them. */
    answer409(firstLine: RegExp, count?: number): void;
    /** Forward the next `count` matching requests, but hold Ironic's answer back for `ms`. */
    delayResponses(firstLine: RegExp, ms: number, count?: number): void;
    /** For the next `ms`: accept every request and never forward or answer it (the client times out). */
    blackhole(ms: number): void;
    /** Forget every fault not yet spent (a storm longer than needed) and end a blackhole. */
    clearFaults(): void;
    dropped: number;
    answered409: number;
    delayed: number;
    /** Requests swallowed by the blackhole. */
    blackholed: number;
    /** How many 503s the proxy gave. */
    answered503: number;
    /** First lines (`PUT /v1/nodes/x/states/provision HTTP/1.1`) of the requests Ironic received. */
    forwarded: string[];
    /** Ironic gone: drop every open connection and refuse new ones (ECONNREFUSED), until `restore`. */
    cut(): Promise<void>;
    /** Ironic back, on the same address. */
    restore(): Promise<void>;
    close(): Promise<void>;
}

type Fault = "drop" | "drop-before" | "503-before" | "503-after" | "409" | "delay";

const conflict = (firstLine: string) => {
    const node = /\/v1\/nodes\/([^/ ?]+)/.exec(firstLine)?.[1] ?? "unknown";
    const fault = JSON.stringify({
        faultstring: `Node ${node} is locked by host flaky-proxy, please retry after the current operation is completed.`,
        faultcode: "Client",
        debuginfo: null,
    });
    const body = JSON.stringify({ error_message: fault });
    return `HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
};

const SERVICE_UNAVAILABLE =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nService Unavailable";

export async function startFlakyProxy(upstreamUrl: string): Promise<FlakyProxy> {
    const upstream = new URL(upstreamUrl);
    const rules: Array<{ pattern: RegExp; remaining: number; fault: Fault; ms?: number }> = [];
    let blackholeUntil = 0;
    const sockets = new Set<net.Socket>();
    /** The rule the first line matches, consumed; undefined when none does. */
    const takeRule = (firstLine: string, faults: Fault[]) => {
        const rule = rules.find((r) => r.remaining > 0 && faults.includes(r.fault) && r.pattern.test(firstLine));
        if (rule) rule.remaining--;
        return rule;
    };
    const take = (firstLine: string, faults: Fault[]): Fault | undefined => takeRule(firstLine, faults)?.fault;
    const proxy: FlakyProxy = {
        url: "",
        dropped: 0,
        answered503: 0,
        answered409: 0,
        delayed: 0,
        blackholed: 0,
        forwarded: [],
        dropResponses(firstLine, count = 1) {
            rules.push({ pattern: firstLine, remaining: count, fault: "drop" });
        },
        answer503(firstLine, { count = 1, forward }) {
            rules.push({ pattern: firstLine, remaining: count, fault: forward ? "503-after" : "503-before" });
        },
        dropRequests(firstLine, count = 1) {
            rules.push({ pattern: firstLine, remaining: count, fault: "drop-before" });
        },
        answer409(firstLine, count = 1) {
            rules.push({ pattern: firstLine, remaining: count, fault: "409" });
        },
        delayResponses(firstLine, ms, count = 1) {
            rules.push({ pattern: firstLine, remaining: count, fault: "delay", ms });
        },
        blackhole(ms) {
            blackholeUntil = Date.now() + ms;
        },
        clearFaults() {
            rules.length = 0;
            blackholeUntil = 0;
        },
        close: () => proxy.cut(),
        cut: () =>
            new Promise((resolve) => {
                for (const s of sockets) s.destroy();
                if (!server.listening) return resolve();
                server.close(() => resolve());
            }),
        restore: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    };
    let port = 0;
    const server = net.createServer((client) => {
        const server = net.connect(Number(upstream.port), upstream.hostname);
        sockets.add(client).add(server);
        let requestText = "";
        // What to do with Ironic's answer to the request in flight on this connection.
        let onAnswer: Fault | undefined;
        let swallowing = false;
        // Ironic's answer is written to the client no earlier than this (a "delay" fault), in order.
        let answerAt = 0;
        let answered = Promise.resolve();
        client.on("data", (chunk) => {
            if (swallowing) return;
            const startsRequest = requestText === "";
            requestText += chunk.toString("latin1");
            if (startsRequest) {
                const firstLine = requestText.split("\r\n", 1)[0];
                if (take(firstLine, ["drop-before"])) {
                    // Never forwarded, never answered: the connection is simply gone.
                    proxy.dropped++;
                    client.destroy();
                    server.destroy();
                    return;
                }
                if (Date.now() < blackholeUntil) {
                    // Accepted, never forwarded, never answered: the client's own timeout ends it.
                    proxy.blackholed++;
                    swallowing = true;
                    return;
                }
                if (take(firstLine, ["409"])) {
                    proxy.answered409++;
                    swallowing = true;
                    client.end(conflict(firstLine));
                    return;
                }
                if (take(firstLine, ["503-before"])) {
                    // Never forwarded: answer and close, dropping the rest of this request.
                    proxy.answered503++;
                    swallowing = true;
                    client.end(SERVICE_UNAVAILABLE); // its close ends the upstream connection too
                    return;
                }
                proxy.forwarded.push(firstLine);
                const rule = takeRule(firstLine, ["drop", "503-after", "delay"]);
                onAnswer = rule?.fault;
                if (rule?.fault === "delay") {
                    proxy.delayed++;
                    answerAt = Date.now() + rule.ms!;
                }
            }
            server.write(chunk);
        });
        server.on("data", (chunk) => {
            requestText = "";
            if (onAnswer === "drop") {
                proxy.dropped++;
                client.destroy();
                server.destroy();
                return;
            }
            if (onAnswer === "503-after") {
                proxy.answered503++;
                onAnswer = undefined;
                swallowing = true;
                client.end(SERVICE_UNAVAILABLE);
                return;
            }
            if (swallowing) return;
            const wait = answerAt - Date.now();
            if (wait <= 0) return void client.write(chunk);
            answered = answered
                .then(() => new Promise((r) => setTimeout(r, answerAt - Date.now())))
                .then(() => {
                    if (!client.destroyed) client.write(chunk);
                });
        });
        const end = () => {
            client.destroy();
            server.destroy();
            sockets.delete(client);
            sockets.delete(server);
        };
        client.on("close", end).on("error", end);
        server.on("close", end).on("error", end);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
    proxy.url = `http://127.0.0.1:${port}`;
    return proxy;
}
