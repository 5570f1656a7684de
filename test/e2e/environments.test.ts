// examples/environments: one program, two stacks (dev, prod), each with its own Ironic, host list
// and image in stack config. Each provisions its own hosts; neither touches the other's.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { startExtraIronic } from "../support/hooks";
import { TestStack } from "./stack";

describe("e2e: examples/environments, dev and prod stacks of one program", function () {
    const tag = Math.random().toString(36).slice(2, 6);
    const mac = (n: number) =>
        `52:54:${(0x30 + Math.floor(Math.random() * 64)).toString(16)}:${tag.charCodeAt(0).toString(16)}:00:${n.toString(16).padStart(2, "0")}`;
    let dev: TestStack;
    let prod: TestStack;
    let devIronic: IronicClient;
    let prodIronic: IronicClient;

    const names = async (c: IronicClient, ns: string) =>
        (await c.listNodes())
            .map((n) => String(n.name))
            .filter((n) => n.startsWith(`${ns}~`))
            .sort();

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        const prodUrl = (await startExtraIronic({})).url;
        devIronic = await IronicClient.connect({ url: process.env.IRONIC_URL });
        prodIronic = await IronicClient.connect({ url: prodUrl });

        dev = await TestStack.create("environments", `dev${tag}`);
        prod = await dev.sibling(`prod${tag}`);
        for (const [s, url, image, hosts] of [
            [dev, process.env.IRONIC_URL as string, "http://images.example/dev.qcow2", [`dev-a-${tag}`]],
            [prod, prodUrl, "http://images.example/prod.qcow2", [`prod-a-${tag}`, `prod-b-${tag}`]],
        ] as const) {
            await s.setConfig("pulumi-metal3:ironicUrl", url);
            await s.setConfig("imageUrl", image);
            await s.setConfig("imageChecksum", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
            await s.setConfig("bmcPassword", `pw-${s.stack}`, { secret: true });
            for (let i = 0; i < hosts.length; i++) {
                await s.setConfig(`hosts[${i}].name`, hosts[i], { path: true });
                await s.setConfig(`hosts[${i}].bmcAddress`, `fake://${hosts[i]}`, { path: true });
                await s.setConfig(`hosts[${i}].bootMACAddress`, mac(s === dev ? i + 1 : i + 16), { path: true });
            }
        }
    });

    after(async function () {
        this.timeout(900_000);
        let destroyed = true;
        for (const s of [dev, prod]) if (s) destroyed = (await s.run(["destroy", "--yes"])).code === 0 && destroyed;
        // The stack copy under .state/e2e is kept only when its resources could not be destroyed.
        if (dev && destroyed) require("fs").rmSync(dev.dir, { recursive: true, force: true });
        await devIronic?.close();
        await prodIronic?.close();
    });

    it("each stack provisions its own hosts on its own Ironic", async function () {
        await dev.must(["up", "--yes", "--skip-preview"]);
        expect(await names(devIronic, dev.stack)).to.deep.equal([`${dev.stack}~dev-a-${tag}`]);
        expect(await names(prodIronic, dev.stack)).to.deep.equal([]);

        await prod.must(["up", "--yes", "--skip-preview"]);
        expect(await names(prodIronic, prod.stack)).to.deep.equal([`${prod.stack}~prod-a-${tag}`, `${prod.stack}~prod-b-${tag}`]);
        expect(await names(devIronic, prod.stack)).to.deep.equal([]);
        const prodNodes = (await prodIronic.listNodes()).filter((n) => String(n.name).startsWith(`${prod.stack}~`));
        for (const n of prodNodes) {
            expect(n.provision_state).to.equal("active");
            expect(JSON.stringify(n.instance_info)).to.contain("prod.qcow2");
        }
    });

    it("changing prod leaves dev untouched, and destroying dev leaves prod running", async function () {
        const devBefore = (await devIronic.listNodes()).find((n) => n.name === `${dev.stack}~dev-a-${tag}`)!;
        await prod.setConfig("imageUrl", "http://images.example/prod-v2.qcow2");
        const devPlan = await dev.previewSteps();
        for (const [name, op] of devPlan) expect(op, name).to.equal("same");
        await prod.must(["up", "--yes", "--skip-preview"]);
        const devAfter = (await devIronic.listNodes()).find((n) => n.name === `${dev.stack}~dev-a-${tag}`)!;
        expect(devAfter.provision_state).to.equal("active");
        expect(devAfter.instance_info).to.deep.equal(devBefore.instance_info);
        expect(devAfter.provision_updated_at).to.equal(devBefore.provision_updated_at);

        await dev.must(["destroy", "--yes", "--skip-preview"]);
        expect(await names(devIronic, dev.stack)).to.deep.equal([]);
        expect(await names(prodIronic, prod.stack)).to.have.length(2);
    });
});
