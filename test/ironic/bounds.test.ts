// Bounds on what the Ironic client takes in: answer sizes, `next` chains, Ironic's error text,
// the request timeout. A server on loopback plays an endpoint that is wrong or hostile (an
// Ironic cannot be made to answer this way); the timeout is checked against the real Ironic.
import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { IronicClient, IronicError } from "../../provider/ironic";
import { DEFAULT_MAX_LIST_PAGES, TIMEOUT_SECONDS_ENV } from "../../provider/ironic/connection";
import { MAX_ERROR_TEXT } from "../../provider/ironic/errors";

const ROOT = { default_version: { id: "v1", version: "1.82", min_version: "1.1" }, versions: [{ id: "v1", version: "1.82", min_version: "1.1" }] };

/** A loopback HTTP server answering `/` as Ironic does and everything else with `handle`. */
async function fakeEndpoint(
    handle: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; server: http.Server; requests: () => number; closedEarly: () => boolean }> {
    let requests = 0;
    let closedEarly = false;
    const server = http.createServer((req, res) => {
        requests++;
        res.on("close", () => {
            if (!res.writableFinished) closedEarly = true;
        });
        if (req.url === "/") {
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify(ROOT));
            return;
        }
        handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests: () => requests, closedEarly: () => closedEarly };
}

describe("Ironic client bounds", function () {
    this.timeout(120_000);
    const servers: http.Server[] = [];
    after(() => servers.forEach((s) => s.close()));

    it("refuses an answer larger than the cap, whether it says its length or streams, without reading the rest", async () => {
        const MB = 1024 * 1024;
        const ep = await fakeEndpoint((req, res) => {
            res.setHeader("content-type", "application/json");
            if (req.url?.startsWith("/v1/nodes/declared")) {
                res.setHeader("content-length", String(5 * MB));
                res.write("{");
                return; // never finishes: the client must not wait for the rest
            }
            // Chunked, 64 KiB at a time, up to 50 MiB unless the client hangs up.
            let sent = 0;
            const chunk = Buffer.alloc(64 * 1024, 0x20);
            const push = () => {
                while (sent < 50 * MB) {
                    sent += chunk.length;
                    if (!res.write(chunk)) return void res.once("drain", push);
                }
                res.end();
            };
            push();
        });
        servers.push(ep.server);
        const client = await IronicClient.connect({ url: ep.url, authType: "none", maxResponseBytes: MB, retryDeadlineMs: 0 });
        try {
            const declared = await client.getNode("declared").then(
                () => undefined,
                (e) => e,
            );
            expect(declared).to.be.instanceOf(IronicError);
            expect(declared.message).to.match(/is 5242880 bytes, more than the 1048576 bytes/);
            const streamed = await client.getNode("streamed").then(
                () => undefined,
                (e) => e,
            );
            expect(streamed).to.be.instanceOf(IronicError);
            expect(streamed.message).to.match(/over 1048576 bytes/);
            // Refused, not retried.
            expect(ep.requests()).to.equal(3);
            await new Promise((r) => setTimeout(r, 200));
            expect(ep.closedEarly(), "the client dropped the connection instead of reading 50 MiB").to.equal(true);
        } finally {
            await client.close();
        }
    });

    it("stops a `next` chain that repeats, and one that does not end after the page cap", async () => {
        let page = 0;
        const ep = await fakeEndpoint((req, res) => {
            res.setHeader("content-type", "application/json");
            const loop = req.url?.includes("loop");
            page++;
            const next = loop ? "http://127.0.0.1/v1/nodes?loop=1&marker=same" : `http://ironic.invalid/v1/nodes?endless=1&marker=${page}`;
            res.end(JSON.stringify({ nodes: [{ uuid: `n-${page}` }], next }));
        });
        servers.push(ep.server);
        const client = await IronicClient.connect({ url: ep.url, authType: "none" });
        try {
            const repeat = await client.listNodes({ fields: ["uuid"], ...({ loop: 1 } as object) }).then(
                () => undefined,
                (e) => e,
            );
            expect(repeat?.message, String(repeat)).to.match(/next link .* repeats an earlier page/);
            const before = ep.requests();
            const endless = await client.listNodes({ fields: ["uuid"] }).then(
                () => undefined,
                (e) => e,
            );
            expect(endless?.message, String(endless)).to.match(new RegExp(`still more pages after ${DEFAULT_MAX_LIST_PAGES}`));
            // The next links name another host: only the endpoint given is ever asked.
            expect(ep.requests() - before).to.equal(DEFAULT_MAX_LIST_PAGES);
        } finally {
            await client.close();
        }
    });

    it("bounds Ironic's error text in messages and masks credentials in it", async () => {
        const fault = `Node x failed: driver_info {'ipmi_password': 'hunter2-secret', 'redfish_address': 'https://admin:pa55word@bmc'} ` + "y".repeat(20_000);
        const ep = await fakeEndpoint((_req, res) => {
            res.statusCode = 400;
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify({ error_message: JSON.stringify({ faultcode: "Client", faultstring: fault }) }));
        });
        servers.push(ep.server);
        const client = await IronicClient.connect({ url: ep.url, authType: "none" });
        try {
            const err = await client.getNode("x").then(
                () => undefined,
                (e) => e,
            );
            expect(err).to.be.instanceOf(IronicError);
            expect(err.message.length).to.be.below(MAX_ERROR_TEXT + 600);
            expect(err.message).to.not.include("hunter2-secret").and.not.include("pa55word");
            expect(err.message).to.include("'ipmi_password': '***'").and.include("https://***@bmc").and.include("more characters");
        } finally {
            await client.close();
        }
    });

    it(`${TIMEOUT_SECONDS_ENV}=0 is refused before anything is sent (undici would read 0 as no timeout at all)`, async () => {
        const err = await IronicClient.connect({ url: process.env.IRONIC_URL }, { ...process.env, [TIMEOUT_SECONDS_ENV]: "0" }).then(
            async (c) => (await c.close(), undefined),
            (e) => e,
        );
        expect(err?.message, String(err)).to.match(/PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS="0": a request timeout must be more than 0 seconds/);
        // A positive value still works against the real Ironic.
        const ok = await IronicClient.connect({ url: process.env.IRONIC_URL }, { ...process.env, [TIMEOUT_SECONDS_ENV]: "5" });
        expect(ok.apiVersion).to.match(/^1\.\d+$/);
        await ok.close();
    });
});
