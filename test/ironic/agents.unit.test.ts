// The shared, bounded connection pool (provider/ironic/agents.ts) against a real HTTP server on
// loopback that counts the TCP connections open at once: many clients of one endpoint, many
// requests at once, never more connections than the bound; the last client to close closes it.
import * as http from "http";
import type { AddressInfo } from "net";
import { expect } from "chai";
import { IronicHttp } from "../../provider/ironic/http";
import { resolveConnection, MAX_CONNECTIONS_ENV, DEFAULT_MAX_CONNECTIONS } from "../../provider/ironic/connection";
import { openPools } from "../../provider/ironic/agents";

describe("Ironic connections: one bounded pool per endpoint in the process", function () {
    let server: http.Server;
    let url: string;
    let open = 0;
    let peak = 0;
    let answered = 0;

    before(async () => {
        server = http.createServer((_req, res) => {
            // Held a while, so requests pile up when the bound is not kept.
            setTimeout(() => {
                answered++;
                res.setHeader("content-type", "application/json");
                res.end(JSON.stringify({ nodes: [] }));
            }, 100);
        });
        server.on("connection", (socket) => {
            open++;
            peak = Math.max(peak, open);
            socket.on("close", () => open--);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    beforeEach(() => {
        peak = 0;
        answered = 0;
    });

    it("60 requests at once from 6 clients of one endpoint use at most maxConnections connections", async () => {
        const before = openPools();
        const clients = Array.from({ length: 6 }, () => new IronicHttp(resolveConnection({ url, authType: "none", maxConnections: 4 }, {}), "1.1"));
        expect(openPools() - before, "one pool for the six clients").to.equal(1);
        await Promise.all(Array.from({ length: 60 }, (_, i) => clients[i % 6].send("GET", "/v1/nodes")));
        expect(answered).to.equal(60);
        expect(peak).to.be.at.most(4).and.to.be.at.least(2);
        for (const c of clients.slice(0, 5)) await c.close();
        expect(openPools() - before, "still leased by the sixth client").to.equal(1);
        await clients[5].close();
        expect(openPools() - before, "the last close ends the pool").to.equal(0);
    });

    it("without the bound the same requests open far more connections (the bound is what keeps them down)", async () => {
        const clients = Array.from({ length: 6 }, () => new IronicHttp(resolveConnection({ url, authType: "none", maxConnections: 1000 }, {}), "1.1"));
        await Promise.all(Array.from({ length: 60 }, (_, i) => clients[i % 6].send("GET", "/v1/nodes")));
        expect(peak).to.be.greaterThan(4);
        for (const c of clients) await c.close();
    });

    it("a request's timeout counts from when it is on a connection, not while it waits for one", async () => {
        // One connection, 100 ms per answer, a 400 ms timeout: the fifth request waits ~400 ms
        // for its turn and must still succeed (timed from queueing, it would fail).
        const client = new IronicHttp(resolveConnection({ url, authType: "none", maxConnections: 1, timeoutMs: 400 }, {}), "1.1");
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 6 }, () => client.send("GET", "/v1/nodes")));
        expect(Date.now() - t0).to.be.greaterThan(500);
        expect(answered).to.equal(6);
        expect(peak).to.equal(1);
        await client.close();
    });

    it("the bound defaults to 64, comes from the environment, and a bad value is refused naming the variable", () => {
        expect(resolveConnection({ url, authType: "none" }, {}).maxConnections).to.equal(DEFAULT_MAX_CONNECTIONS);
        expect(resolveConnection({ url, authType: "none" }, { [MAX_CONNECTIONS_ENV]: "8" }).maxConnections).to.equal(8);
        expect(() => resolveConnection({ url, authType: "none" }, { [MAX_CONNECTIONS_ENV]: "0" })).to.throw(MAX_CONNECTIONS_ENV);
    });
});
