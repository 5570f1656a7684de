// A TCP proxy in front of a real Ironic that can lose the connection *after* Ironic answered a
// chosen request: the situation of an Ironic restart or a network cut in the middle of a call,
// where the request took effect but the client never saw the answer. Not a mock: Ironic does the work.

import * as net from "net";

export interface FlakyProxy {
    url: string;
    /** Cut the connection after Ironic answered the next `count` requests whose first line matches. */
    dropResponses(firstLine: RegExp, count?: number): void;
    dropped: number;
    /** Ironic gone: drop every open connection and refuse new ones (ECONNREFUSED), until `restore`. */
    cut(): Promise<void>;
    /** Ironic back, on the same address. */
    restore(): Promise<void>;
    close(): Promise<void>;
}

export async function startFlakyProxy(upstreamUrl: string): Promise<FlakyProxy> {
    const upstream = new URL(upstreamUrl);
    let pattern: RegExp | undefined;
    let remaining = 0;
    const sockets = new Set<net.Socket>();
    const proxy: FlakyProxy = {
        url: "",
        dropped: 0,
        dropResponses(firstLine, count = 1) {
            pattern = firstLine;
            remaining = count;
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
        client.on("data", (chunk) => {
            requestText += chunk.toString("latin1");
            server.write(chunk);
        });
        server.on("data", (chunk) => {
            const firstLine = requestText.split("\r\n", 1)[0];
            requestText = "";
            if (pattern && remaining > 0 && pattern.test(firstLine)) {
                remaining--;
                proxy.dropped++;
                client.destroy();
                server.destroy();
                return;
            }
            client.write(chunk);
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
